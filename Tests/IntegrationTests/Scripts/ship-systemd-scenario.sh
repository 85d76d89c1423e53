#!/usr/bin/env bash
# Runs inside ../shared/tools/with-systemd: installs the units as `make install` does, starts the daemon and
# redline-ship.service with a PostgreSQL that is not there, and prints `fact key=value` lines that
# ShipSystemdTests asserts on: the sandbox lets ship read the feed, and it waits for the database.
# Usage: ship-systemd-scenario.sh REDLINE_BINARY REPO_ROOT
set -uo pipefail
bin=$1 repo=$2
R=$SD_ROOT
fact() { echo "fact $1=$2"; }

make -C "$repo" --no-print-directory install-files DESTDIR="$R" BIN="$bin" >/dev/null
fact installed_ship_unit "$([ -f "$R/etc/systemd/system/redline-ship.service" ] && echo yes || echo no)"
mkdir -p "$R/srv/news"
printf 'یک خبر.\n' > "$R/srv/news/a.txt"
cat > "$R/etc/redline/redline.toml" <<'T'
data_dir = "/var/lib/redline"
[[root]]
path = "/srv/news"
[ship]
postgres = "postgres://redline@/redline?host=/run/postgresql"
T
sd systemctl daemon-reload
sd systemd-analyze verify /etc/systemd/system/redline-ship.service >/dev/null 2>&1
fact verify_status $?
fact exposure "$(sd systemd-analyze security --offline=true /etc/systemd/system/redline-ship.service 2>/dev/null \
  | sed -n 's/.*Overall exposure level for redline-ship.service: \([0-9.]*\).*/\1/p')"

sd systemctl start redline.service
sd systemctl enable --now redline-ship.service >/dev/null 2>&1
fact ship_start_status $?
for _ in $(seq 100); do
  sd journalctl -u redline-ship.service --no-pager 2>/dev/null | grep -q 'PostgreSQL is unavailable' && break
  sleep 0.1
done
fact waiting "$(sd journalctl -u redline-ship.service --no-pager 2>/dev/null | grep -c 'PostgreSQL is unavailable')"
fact active "$(sd systemctl is-active redline-ship.service)"
pid=$(sd systemctl show -P MainPID redline-ship.service)
fact data_dir_mount "$(sd awk '$5 == "/run/redline-ship/data" { print $6 }' /proc/"$pid"/mountinfo | cut -d, -f1 | head -1)"
fact metrics_up "$(sd cat /var/lib/private/redline-ship/redline-ship.prom 2>/dev/null | grep '^redline_ship_up' | cut -d' ' -f2)"
sd systemctl stop redline-ship.service
fact stop_status $?
fact result_after_stop "$(sd systemctl show -P Result redline-ship.service)"
sd journalctl -u redline-ship.service --no-pager 2>/dev/null | tail -20 >&2
