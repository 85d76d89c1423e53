#!/usr/bin/env python3
"""Redline at scale: warm and cold start, start after 1% changed, memory, idle CPU and disk on a tree of
N articles, each figure beside its peer measured in the same run (git status, sha256sum, inotifywait, git's
objects). Readiness is READY=1 on a notify socket of our own, as systemd hears it.

Usage: scale_bench.py --redline BIN --out FILE [--articles 100000] [--idle-s 30]
"""
import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def ready_start(redline, config, env_extra=None):
    """Starts `redline run`, returns (process, seconds to READY=1)."""
    sock_path = tempfile.mktemp(prefix="redline-notify-")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    env.update(env_extra or {})
    start = time.monotonic()
    proc = subprocess.Popen([redline, "run", "--config", config], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(config + ".log", "ab"))
    sock.settimeout(1.0)
    got = ""
    while "READY=1" not in got:
        try:
            got += sock.recv(4096).decode(errors="replace")
        except socket.timeout:
            if proc.poll() is not None:
                raise SystemExit(f"redline exited before READY=1; see {config}.log")
    elapsed = time.monotonic() - start
    sock.close()
    os.unlink(sock_path)
    return proc, elapsed


def stop(proc):
    proc.terminate()
    proc.wait(timeout=120)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def switches(pid):
    """Context switches per thread id (threads that come and go are compared only while both exist)."""
    result = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                result[task] = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except FileNotFoundError:
            pass
    return result


def switched(before, after):
    return sum(after[t] - before[t] for t in after if t in before)


def timed(cmd, cwd=None, runs=3):
    """Median wall time of `cmd` over `runs` runs."""
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, shell=isinstance(cmd, str))
        times.append(time.monotonic() - start)
    return sorted(times)[len(times) // 2]


def du(path):
    out = subprocess.run(["du", "-sb", path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redline", required=True)
    parser.add_argument("--article", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--idle-s", type=int, default=30)
    args = parser.parse_args()
    n = args.articles
    random.seed(1)
    base = open(args.article, encoding="utf-8").read()
    paragraphs = [p for p in base.split("\n\n") if p.strip()]
    work = tempfile.mkdtemp(prefix="redline-scale-")
    tree = os.path.join(work, "articles")
    data = os.path.join(work, "var")
    config = os.path.join(work, "redline.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{data}"\nlog_level = "notice"\n[[root]]\npath = "{tree}"\n')
    rows = []

    def row(what, redline_value, peer_name, peer_value, unit):
        ratio = (redline_value / peer_value) if peer_value else float("nan")
        rows.append({"what": what, "redline": redline_value, "peer": peer_name, "peer_value": peer_value,
                     "unit": unit, "ratio": ratio})
        print(f"{what:52} {redline_value:12.3f} {unit:5}  {peer_name:34} {peer_value:10.3f}  {ratio:7.2f}x", flush=True)

    print(f"generating {n} articles in {n // 10} directories under {tree}", flush=True)
    for i in range(n):
        d = os.path.join(tree, f"d{i // 10:05d}")
        if i % 10 == 0:
            os.makedirs(d, exist_ok=True)
        picked = random.sample(paragraphs, min(len(paragraphs), 6))
        with open(os.path.join(d, f"a{i:06d}.txt"), "w", encoding="utf-8") as f:
            f.write(f"{i}\n\n" + "\n\n".join(picked) + "\n")
    tree_bytes = du(tree)

    # Peers on the same tree.
    subprocess.run(["git", "init", "-q", tree], check=True)
    git_env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
                   GIT_COMMITTER_EMAIL="b@b")
    start = time.monotonic()
    subprocess.run(["git", "-C", tree, "-c", "gc.auto=0", "add", "-A"], check=True, env=git_env)
    git_add = time.monotonic() - start
    # No background auto-gc: it would race the explicit gc below and the timings after it.
    subprocess.run(["git", "-C", tree, "-c", "gc.auto=0", "commit", "-qm", "x"], check=True, env=git_env)
    subprocess.run(["git", "-C", tree, "gc", "-q"], check=True, env=git_env)
    git_objects = du(os.path.join(tree, ".git", "objects"))
    git_status = timed(["git", "-C", tree, "status", "--porcelain"])
    sha = timed(f"find {tree} -name '*.txt' -print0 | xargs -0 -P2 -n 2000 sha256sum", runs=1)

    # Cold start: empty state, every article becomes a `created`.
    proc, cold = ready_start(args.redline, config)
    row("cold start -> READY (100% created)", cold, "sha256sum, 2 processes", sha, "s")
    row("", cold, "git add -A", git_add, "s")
    cold_rss = status_kib(proc.pid, "VmRSS")
    stop(proc)

    # Warm start: nothing changed.
    warm_times = []
    for _ in range(3):
        proc, warm = ready_start(args.redline, config)
        warm_times.append(warm)
        rss = status_kib(proc.pid, "VmRSS")
        hwm = status_kib(proc.pid, "VmHWM")
        if len(warm_times) < 3:
            stop(proc)
    warm = sorted(warm_times)[1]
    row("warm start -> READY (nothing changed)", warm, "git status", git_status, "s")
    # Idle: nothing changes.
    t0, s0 = cpu_ticks(proc.pid), switches(proc.pid)
    time.sleep(args.idle_s)
    t1, s1 = cpu_ticks(proc.pid), switches(proc.pid)
    inotify = subprocess.Popen(["inotifywait", "-m", "-r", "-q", tree], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(min(30, 5 + n / 20000))
    inotify_rss = status_kib(inotify.pid, "VmRSS")
    i0, is0 = cpu_ticks(inotify.pid), switches(inotify.pid)
    time.sleep(args.idle_s)
    i1, is1 = cpu_ticks(inotify.pid), switches(inotify.pid)
    inotify.terminate()
    inotify.wait()
    row(f"idle {args.idle_s} s: CPU ticks", t1 - t0, "inotifywait -m -r", i1 - i0, "ticks")
    row(f"idle {args.idle_s} s: context switches", switched(s0, s1), "inotifywait -m -r", switched(is0, is1), "")
    row("resident memory after a warm start", rss / 1024, "inotifywait -m -r", inotify_rss / 1024, "MiB")
    print(f"  per article: {rss * 1024 / n:.0f} bytes (peak {hwm / 1024:.0f} MiB; after the cold start "
          f"{cold_rss / 1024:.0f} MiB)", flush=True)
    stop(proc)

    # 1% changed while down: 1,000 edits, 100 moves, 100 deletes.
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(tree) if ".git" not in dp for f in fs)
    random.shuffle(files)
    for path in files[:n // 100]:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\nویرایش تازه.\n")
    for path in files[n // 100:n // 100 + n // 1000]:
        os.rename(path, path[:-4] + "-moved.txt")
    for path in files[n // 100 + n // 1000:n // 100 + 2 * (n // 1000)]:
        os.unlink(path)
    git_status_changed = timed(["git", "-C", tree, "status", "--porcelain"])
    proc, changed = ready_start(args.redline, config)
    row("start after 1% changed -> READY", changed, "git status (same changes)", git_status_changed, "s")
    stop(proc)

    feed_bytes = du(os.path.join(data, "feed"))
    state_bytes = du(os.path.join(data, "state"))
    row("disk: feed + state", (feed_bytes + state_bytes) / 2**20, "git objects (gc'd)", git_objects / 2**20, "MiB")
    print(f"  feed {feed_bytes / 2**20:.0f} MiB, state {state_bytes / 2**20:.0f} MiB, tree {tree_bytes / 2**20:.0f} MiB",
          flush=True)

    with open(args.out, "w") as f:
        f.write(f"Redline at scale ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}), {n} articles, "
                f"{os.cpu_count()} cores, binary {args.redline}\n")
        f.write(f"{'what':52} {'redline':>12} {'unit':5}  {'peer, same run':34} {'peer':>10}  ratio\n")
        for r in rows:
            f.write(f"{r['what']:52} {r['redline']:12.3f} {r['unit']:5}  {r['peer']:34} {r['peer_value']:10.3f}  "
                    f"{r['ratio']:7.2f}x\n")
        f.write(f"memory per article after a warm start: {rss * 1024 / n:.0f} bytes; feed {feed_bytes} B, "
                f"state {state_bytes} B, git objects {git_objects} B\n")
    with open(args.out.replace(".txt", ".json"), "w") as f:
        json.dump({"articles": n, "rows": rows, "rss_kib": rss, "hwm_kib": hwm, "cold_rss_kib": cold_rss,
                   "feed_bytes": feed_bytes, "state_bytes": state_bytes, "git_objects_bytes": git_objects}, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
