#!/usr/bin/env bash
# Runs inside ../shared/tools/with-systemd: installs both units as `make install` does, starts the daemon
# and redline-serve.service, and prints `fact key=value` lines that ServeSystemdTests asserts on.
# Usage: serve-systemd-scenario.sh REDLINE_BINARY REPO_ROOT
set -uo pipefail
bin=$1 repo=$2
R=$SD_ROOT
fact() { echo "fact $1=$2"; }
# A GET over bash's /dev/tcp inside the private systemd's network namespace (no curl needed).
get() {
  sd bash -c "exec 3<>/dev/tcp/127.0.0.1/8640 && printf 'GET $1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3 && timeout 10 cat <&3"
}

make -C "$repo" --no-print-directory install-files DESTDIR="$R" BIN="$bin" >/dev/null
fact installed_serve_unit "$([ -f "$R/etc/systemd/system/redline-serve.service" ] && echo yes || echo no)"
mkdir -p "$R/srv/news"
printf 'یک خبر.\n' > "$R/srv/news/a.txt"
cat > "$R/etc/redline/redline.toml" <<'T'
data_dir = "/var/lib/redline"
[[root]]
path = "/srv/news"
T
sd systemctl daemon-reload
sd systemd-analyze verify /etc/systemd/system/redline-serve.service >/dev/null 2>&1
fact verify_status $?
fact exposure "$(sd systemd-analyze security --offline=true /etc/systemd/system/redline-serve.service 2>/dev/null \
  | sed -n 's/.*Overall exposure level for redline-serve.service: \([0-9.]*\).*/\1/p')"

sd systemctl start redline.service
sd systemctl enable --now redline-serve.service >/dev/null 2>&1
fact serve_start_status $?
for _ in $(seq 100); do get /healthz 2>/dev/null | grep -q '"status":"ok"' && break; sleep 0.1; done
fact healthz "$(get /healthz 2>/dev/null | grep -o '"status":"[a-z]*"')"
fact enabled "$(sd systemctl is-enabled redline-serve.service)"
fact changes_records "$(get '/changes?since=0' 2>/dev/null | grep -c '"seq":')"
fact articles "$(get '/articles' 2>/dev/null | grep -o '"path":"[^"]*"' | tr '\n' ' ')"
printf 'یک خبر تازه.\n' > "$R/srv/news/b.txt"
fact longpoll_seq "$(get '/changes?feed=longpoll&since=1&timeout=20000' 2>/dev/null | grep -o '"seq":2' | head -1)"
pid=$(sd systemctl show -P MainPID redline-serve.service)
# The data directory as serve's mount namespace sees it: a read-only mount.
fact data_dir_mount "$(sd awk '$5 == "/run/redline-serve/data" { print $6 }' /proc/"$pid"/mountinfo | cut -d, -f1 | head -1)"
daemon_pid=$(sd systemctl show -P MainPID redline.service)
fact same_uid "$([ "$(sd stat -c %u /proc/"$daemon_pid")" = "$(sd stat -c %u /proc/"$pid")" ] && echo yes || echo no)"
fact index_file "$([ -s "$R/var/lib/private/redline-serve/articles.sqlite" ] && echo yes || echo no)"
sd systemctl stop redline-serve.service
fact stop_status $?
fact result_after_stop "$(sd systemctl show -P Result redline-serve.service)"
sd journalctl -u redline-serve.service --no-pager 2>/dev/null | tail -20 >&2
