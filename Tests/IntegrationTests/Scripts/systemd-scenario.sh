#!/usr/bin/env bash
# Runs inside ../shared/tools/with-systemd: installs the unit, binary and a config into the private
# systemd, drives it as an administrator would, and prints `fact key=value` lines that the Swift
# test (SystemdTests) asserts on. Usage: systemd-scenario.sh REDLINE_BINARY REPO_ROOT
set -uo pipefail
bin=$1 repo=$2
R=$SD_ROOT
feed=$R/var/lib/private/redline/feed/changes.jsonl
fact() { echo "fact $1=$2"; }
records() { [ -f "$feed" ] && wc -l < "$feed" || echo 0; }
wait_records() { for _ in $(seq 300); do [ "$(records)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
prop() { sd systemctl show -P "$1" redline.service; }

# Install exactly as a user does (make install = release build + these copies), into the private root.
make -C "$repo" --no-print-directory install-files DESTDIR="$R" BIN="$bin" >/dev/null
fact installed_unit "$([ -f "$R/etc/systemd/system/redline.service" ] && echo yes || echo no)"
fact installed_config "$([ -f "$R/etc/redline/redline.toml" ] && echo yes || echo no)"
fact installed_completion "$([ -s "$R/usr/local/share/bash-completion/completions/redline" ] && echo yes || echo no)"
mkdir -p "$R/srv/news/world" "$R/srv/other"
cat > "$R/etc/redline/redline.toml" <<'T'
data_dir = "/var/lib/redline"
[[root]]
path = "/srv/news"
T
cp "$repo/../shared/corpus/000_e5aa263bf61808cb.txt" "$R/srv/news/world/000.txt" 2>/dev/null \
  || printf 'ویتکاوف گفت.\n' > "$R/srv/news/world/000.txt"
sd systemctl daemon-reload

sd systemd-analyze verify /etc/systemd/system/redline.service >/dev/null 2>&1
fact verify_status $?
fact exposure "$(sd systemd-analyze security --offline=true /etc/systemd/system/redline.service 2>/dev/null \
  | sed -n 's/.*Overall exposure level for redline.service: \([0-9.]*\).*/\1/p')"

sd systemctl start redline.service
fact start_status $?
# `start` returns only after READY=1, which comes after the startup reconciliation: the
# article that was already there has its record by now, without waiting.
fact records_at_ready "$(records)"
fact active_after_start "$(prop ActiveState)"
fact status_text "\"$(prop StatusText)\""

sed -i 's/ویتکاوف/ویتکاف/' "$R/srv/news/world/000.txt"
wait_records 2; fact records_after_edit "$(records)"
fact edit_type "$(sed -n 2p "$feed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["type"])')"

# Reload with a second root: it is watched without a restart.
cat >> "$R/etc/redline/redline.toml" <<'T'
[[root]]
path = "/srv/other"
T
pid_before=$(prop MainPID)
sd systemctl reload redline.service
fact reload_status $?
echo "second root" > "$R/srv/other/b.txt"
wait_records 3; fact records_after_reload "$(records)"
fact third_root "$(sed -n 3p "$feed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["root"])')"
fact same_pid_after_reload "$([ "$(prop MainPID)" = "$pid_before" ] && echo yes || echo no)"

# An invalid config on reload is refused; the service keeps running on the old one.
cp "$R/etc/redline/redline.toml" "$R/etc/redline/good.toml"
echo 'settle_ms = "soon"' >> "$R/etc/redline/redline.toml"
sd systemctl reload redline.service
sleep 0.5
fact active_after_bad_reload "$(prop ActiveState)"
cp "$R/etc/redline/good.toml" "$R/etc/redline/redline.toml"

# kill -9: systemd restarts it; an edit made while it was dead is recorded once.
sd systemctl kill -s KILL redline.service
echo "written while redline was dead" > "$R/srv/news/world/dead.txt"
for _ in $(seq 100); do [ "$(prop NRestarts)" -ge 1 ] && [ "$(prop ActiveState)" = active ] && break; sleep 0.1; done
fact restarts "$(prop NRestarts)"
fact active_after_kill "$(prop ActiveState)"
wait_records 4
sleep 0.5
fact dead_records "$(grep -c '"path":"world/dead.txt"' "$feed")"

# Watchdog: with WatchdogSec=2s the service stays up only if the pipeline keeps pinging; a
# frozen process (SIGSTOP) is killed and restarted by systemd.
mkdir -p "$R/etc/systemd/system/redline.service.d"
printf '[Service]\nWatchdogSec=2s\n' > "$R/etc/systemd/system/redline.service.d/watchdog.conf"
sd systemctl daemon-reload
sd systemctl restart redline.service
sleep 5
fact active_with_short_watchdog "$(prop ActiveState)"
restarts_before=$(prop NRestarts)
sd systemctl kill -s STOP redline.service
for _ in $(seq 150); do [ "$(prop NRestarts)" -gt "$restarts_before" ] && break; sleep 0.1; done
fact watchdog_restarted "$([ "$(prop NRestarts)" -gt "$restarts_before" ] && echo yes || echo no)"
for _ in $(seq 100); do [ "$(prop ActiveState)" = active ] && break; sleep 0.1; done

# stop: clean exit within TimeoutStopSec, and the feed verifies.
sd systemctl stop redline.service
fact stop_status $?
fact result_after_stop "$(prop Result)"
fact exit_status_after_stop "$(prop ExecMainStatus)"
"$bin" check --feed "$R/var/lib/private/redline/feed" >/dev/null 2>&1
fact check_status $?
sd journalctl -u redline.service --no-pager -o cat > "$R/journal.txt" 2>/dev/null
fact journal_has_timestamps "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$R/journal.txt")"
fact journal_lines "$(wc -l < "$R/journal.txt")"
