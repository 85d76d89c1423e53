#!/usr/bin/env python3
"""`redline serve` beside nginx, measured in the same run (issue 13):

1. wrk on /changes?since=0 of a RECORDS-record feed, against nginx serving the same records as one static
   JSONL file: bytes per second and the ratio.
2. SUBSCRIBERS event-stream subscribers (/changes?feed=eventsource), then a burst of BURST edits the real daemon
   turns into records: for each record, from the moment the feed's durable mark covered it (seen by a separate
   process watching the mark with inotify) to the moment the last subscriber received it; serve's RSS.
3. The HTML history page of an article with VERSIONS versions: time to first byte over REQUESTS requests,
   against nginx serving a static HTML file of the same size.

Usage: serve_bench.py --redline BIN --bench BIN --out FILE [--records 100000] [--subscribers 1000]
       [--burst 1000] [--versions 1000] [--requests 50] [--wrk-seconds 10]
"""
import argparse
import bisect
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait(pid):
    """Seconds the process's threads spent runnable but waiting for a CPU (schedstat), to tell a busy machine
    from a slow program."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[1])
        except (FileNotFoundError, IndexError):
            pass
    return total / 1e9


def get(url, headers=None, timeout=120):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


class Serve:
    """`redline serve` on a free loopback port; ready once it prints `listening on`."""

    def __init__(self, redline, args, log):
        self.port = free_port()
        self.proc = subprocess.Popen([redline, "serve", "--listen", f"127.0.0.1:{self.port}"] + args,
                                     stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"redline serve did not start: {line!r}; see {log}")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Nginx:
    """nginx in the foreground (`daemon off;`) with a private config, serving `root` on a free loopback port."""

    def __init__(self, work, root):
        self.port = free_port()
        conf_dir = os.path.join(work, "nginx")
        os.makedirs(conf_dir, exist_ok=True)
        conf = os.path.join(conf_dir, "nginx.conf")
        # As root nginx's workers switch to nobody, so the files must be world-readable (they are, 0644/0755).
        with open(conf, "w") as f:
            f.write(f"""daemon off;
worker_processes auto;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ application/x-ndjson jsonl; text/html html; }}
    client_body_temp_path {conf_dir}/body;
    proxy_temp_path {conf_dir}/proxy;
    fastcgi_temp_path {conf_dir}/fastcgi;
    uwsgi_temp_path {conf_dir}/uwsgi;
    scgi_temp_path {conf_dir}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {root};
    }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", conf_dir, "-e", f"{conf_dir}/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{conf_dir}/stderr.log", "ab"))
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"nginx did not start; see {conf_dir}/error.log")
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


WRK_REPORT = """
done = function(summary, latency, requests)
  io.stderr:write(string.format('{"requests": %d, "bytes": %d, "duration_us": %d, "errors": %d}\\n',
    summary.requests, summary.bytes, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout))
end
"""


def wrk(url, seconds, work, connections):
    script = os.path.join(work, "report.lua")
    with open(script, "w") as f:
        f.write(WRK_REPORT)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "-s", script, url],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stderr.strip().splitlines()[-1])


def wire_bytes(port, path):
    """Bytes on the wire of one response to `path` (headers, chunk framing and body)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    total = 0
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    s.close()
    return total


def throughput(args, work, rows, figures):
    feed_dir = os.path.join(work, "big", "feed")
    subprocess.run([args.bench, "feed", "generate", feed_dir, str(args.records)], check=True,
                   stdout=subprocess.DEVNULL)
    # The same records, as the feed stores them, in one static file (zcat -f: sealed segments may be gzipped).
    names = sorted(n for n in os.listdir(feed_dir) if n.startswith("changes-")) + ["changes.jsonl"]
    static = os.path.join(work, "www")
    os.makedirs(static, exist_ok=True)
    jsonl = os.path.join(static, "changes.jsonl")
    with open(jsonl, "wb") as out:
        subprocess.run(["zcat", "-f"] + [os.path.join(feed_dir, n) for n in names], stdout=out, check=True)
    jsonl_bytes = os.path.getsize(jsonl)
    serve = Serve(args.redline, ["--data-dir", os.path.join(work, "big")], os.path.join(work, "serve-big.log"))
    nginx = Nginx(work, static)
    try:
        _, body = get(serve.base + "/changes?since=0")
        parsed = json.loads(body)
        if len(parsed["results"]) != args.records:
            raise SystemExit(f"/changes?since=0 returned {len(parsed['results'])} records, not {args.records}")
        serve_body = len(body)
        _, static_body = get(nginx.base + "/changes.jsonl")
        assert len(static_body) == jsonl_bytes
        results = {}
        for name, port, path, size in [("serve", serve.port, "/changes?since=0", serve_body),
                                       ("nginx", nginx.port, "/changes.jsonl", jsonl_bytes)]:
            wire = wire_bytes(port, path)
            r = wrk(f"http://127.0.0.1:{port}{path}", args.wrk_seconds, work, args.wrk_connections)
            if r["requests"] == 0 or r["errors"]:
                raise SystemExit(f"wrk against {name}: {r}")
            # wrk counts a request once its response is complete, and its bytes include the responses still in
            # flight when it stops (at most one per connection): anything else means it did not read whole bodies.
            if not r["requests"] * wire <= r["bytes"] <= (r["requests"] + args.wrk_connections) * wire:
                raise SystemExit(f"wrk against {name}: {r['bytes']} bytes for {r['requests']} requests of {wire}")
            seconds = r["duration_us"] / 1e6
            # Whole bodies only: the records delivered per second, not headers, chunk framing or unfinished ones.
            results[name] = dict(r, body=size, wire=wire, bytes_per_s=r["requests"] * size / seconds,
                                 wire_bytes_per_s=r["bytes"] / seconds)
        figures["wrk"] = results
        s, n = results["serve"], results["nginx"]
        rows.append((f"wrk /changes?since=0, {args.records:,} records ({s['body'] / 2**20:.0f} MiB JSON, "
                     f"{s['wire'] / 2**20:.0f} MiB on the wire; {s['requests']} whole bodies in {args.wrk_seconds} s)",
                     f"{s['bytes_per_s'] / 2**20:.0f} MiB/s",
                     f"nginx, the same JSONL static ({n['body'] / 2**20:.0f} MiB, {n['requests']} requests)",
                     f"{n['bytes_per_s'] / 2**20:.0f} MiB/s",
                     f"{s['bytes_per_s'] / n['bytes_per_s']:.2f} (goal >= 0.5)"))
    finally:
        serve.stop()
        nginx.stop()


# A separate process stamps each advance of the durable mark with CLOCK_MONOTONIC (shared by all processes),
# so the subscribers' busy loop can never delay the stamp. It prints "seconds seq" lines until SIGTERM.
MARK_WATCHER = r"""
import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
path = sys.argv[1]
fd = libc.inotify_init1(0)
if libc.inotify_add_watch(fd, path.encode(), 0x2) < 0:  # IN_MODIFY: the writer pwrites the mark in place
    sys.exit("cannot watch " + path)
signal.signal(signal.SIGTERM, lambda *_: (sys.stdout.flush(), os._exit(0)))
mark = os.open(path, os.O_RDONLY)
print("ready", flush=True)
last = 0
out = []
while True:
    os.read(fd, 4096)
    now = time.monotonic()
    line = os.pread(mark, 38, 0)
    if len(line) == 38 and line.startswith(b"durable "):
        seq = int(line[8:28])
        if seq > last:
            last = seq
            print(f"{now:.6f} {seq}", flush=True)
"""


def subscribers_burst(args, work, rows, figures):
    tree = os.path.join(work, "tree")
    data = os.path.join(work, "live")
    os.makedirs(tree)
    n = args.burst
    base = "پاراگراف شماره {i}: متن خبر با عدد {i} و چند کلمهٔ دیگر برای یک مقاله.\n\nبند دوم خبر {i}.\n"
    for i in range(n):
        with open(os.path.join(tree, f"a{i:05}.txt"), "w") as f:
            f.write(base.format(i=i))
    config = os.path.join(work, "live.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{data}"\n[feed]\nfsync = "always"\n[serve]\nmax_subscribers = {args.subscribers + 100}\n'
                f'[[root]]\npath = "{tree}"\n')
    daemon = subprocess.Popen([args.redline, "run", "--config", config], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "daemon.log"), "ab"))
    mark_path = os.path.join(data, "feed", "durable")
    created = wait_mark(mark_path, n, daemon, "record the tree")
    time.sleep(1)  # anything else the startup writes
    created = wait_mark(mark_path, created, daemon, "record the tree")
    serve = Serve(args.redline, ["--config", config], os.path.join(work, "serve-live.log"))
    rss_idle = status_kib(serve.proc.pid, "VmRSS")
    watcher = subprocess.Popen([sys.executable, "-c", MARK_WATCHER, mark_path], stdout=subprocess.PIPE, text=True)
    assert watcher.stdout.readline().strip() == "ready"

    sel = selectors.DefaultSelector()
    subs = []
    request = (f"GET /changes?feed=eventsource&since={created}&heartbeat=false HTTP/1.1\r\n"
               f"Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").encode()
    for i in range(args.subscribers):
        s = socket.create_connection(("127.0.0.1", serve.port))
        s.sendall(request)
        s.setblocking(False)
        sub = {"sock": s, "carry": b"", "last": created, "marks": [], "headers": False, "events": 0, "ended": None,
               "bytes": 0, "keep": [] if i == 0 else None}
        subs.append(sub)
        sel.register(s, selectors.EVENT_READ, sub)

    def pump(timeout):
        """Reads whatever arrived; returns whether anything did."""
        got = False
        for key, _ in sel.select(timeout):
            sub = key.data
            try:
                chunk = sub["sock"].recv(1 << 20)
            except BlockingIOError:
                continue
            now = time.monotonic()
            got = True
            sub["bytes"] += len(chunk)
            if sub["keep"] is not None and sub["headers"]:
                sub["keep"].append(chunk)
            if not chunk:
                sel.unregister(sub["sock"])
                sub["ended"] = sub["ended"] or "closed"
                continue
            buf = sub["carry"] + chunk
            end = buf.rfind(b"\n\n")
            if end < 0:
                sub["carry"] = buf
                continue
            sub["carry"] = buf[end + 2:]
            done = buf[:end]
            if not sub["headers"]:
                if not done.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"subscriber refused: {done[:200]!r}")
                sub["headers"] = True
            if b"\nevent: " in done or done.startswith(b"event: "):
                sub["ended"] = "event: " + done[done.find(b"event: ") + 7:][:40].decode(errors="replace")
            # Events are in seq order: the last complete `id:` says every seq up to it has arrived by now.
            at = done.rfind(b"id: ")
            if at >= 0:
                seq = int(done[at + 4:done.index(b"\n", at)])
                if seq > sub["last"]:
                    sub["events"] += done.count(b"\nid: ") + done.startswith(b"id: ")
                    sub["last"] = seq
                    sub["marks"].append((seq, now))
        return got

    # Every subscriber connected and answered (headers), none ahead of the others.
    deadline = time.monotonic() + 60
    while not all(s["headers"] for s in subs):
        pump(0.1)
        if time.monotonic() > deadline:
            raise SystemExit(f"only {sum(s['headers'] for s in subs)} subscribers got their headers")
    rss_subscribed = status_kib(serve.proc.pid, "VmRSS")
    target = created + n
    serve_cpu = cpu_seconds(serve.proc.pid)
    serve_waited = runqueue_wait(serve.proc.pid)
    client_cpu = time.process_time()
    burst_start = time.monotonic()
    for i in range(n):
        with open(os.path.join(tree, f"a{i:05}.txt"), "w") as f:
            f.write(base.format(i=i).replace("چند", "چندین"))
    burst_written = time.monotonic() - burst_start
    deadline = time.monotonic() + 120
    while min(s["last"] for s in subs) < target and time.monotonic() < deadline:
        if not pump(1.0) and any(s["ended"] for s in subs):
            break
    wall = time.monotonic() - burst_start
    client_cpu = time.process_time() - client_cpu
    serve_cpu = cpu_seconds(serve.proc.pid) - serve_cpu
    serve_waited = runqueue_wait(serve.proc.pid) - serve_waited
    rss_burst = status_kib(serve.proc.pid, "VmRSS")
    hwm = status_kib(serve.proc.pid, "VmHWM")
    time.sleep(0.2)
    watcher.terminate()
    marks = [tuple(line.split()) for line in watcher.communicate(timeout=10)[0].splitlines()]
    marks = [(int(seq), float(t)) for t, seq in marks]
    ended = [s["ended"] for s in subs if s["ended"]]
    received = sum(s["bytes"] for s in subs)
    stream = b"".join(subs[0]["keep"])
    short = [s for s in subs if s["last"] < target]
    for s in subs:
        s["sock"].close()
    serve.stop()
    daemon.terminate()
    daemon.wait(timeout=60)
    if short:
        raise SystemExit(f"{len(short)} subscribers stopped short of seq {target} ({ended[:3]})")
    # The peer: nginx sending the same event bytes (one subscriber's stream of the burst, as a static file) to
    # as many clients at once, read by the same loop: the floor for moving that many bytes through loopback.
    static = os.path.join(work, "www-sse")
    os.makedirs(static)
    with open(os.path.join(static, "burst.txt"), "wb") as f:
        f.write(stream)
    nginx = Nginx(work, static)
    try:
        peer_s = fan_out(nginx.port, "/burst.txt", args.subscribers, len(stream))
    finally:
        nginx.stop()

    # durable[seq]: when the mark first covered seq; everywhere[seq]: when the last subscriber had it.
    mark_seqs = [m[0] for m in marks]
    latencies = []
    for seq in range(created + 1, target + 1):
        m = bisect.bisect_left(mark_seqs, seq)
        if m == len(marks):
            raise SystemExit(f"the durable mark never covered seq {seq}")
        durable = marks[m][1]
        everywhere = 0.0
        for s in subs:
            seqs = s.get("seqs") or s.setdefault("seqs", [x[0] for x in s["marks"]])
            everywhere = max(everywhere, s["marks"][bisect.bisect_left(seqs, seq)][1])
        latencies.append(everywhere - durable)
    p50, p99, worst = percentile(latencies, 0.5), percentile(latencies, 0.99), max(latencies)
    events = sum(s["events"] for s in subs)
    figures["subscribers"] = {
        "subscribers": args.subscribers, "records": n, "p50_ms": p50 * 1e3, "p99_ms": p99 * 1e3, "max_ms": worst * 1e3,
        "burst_wall_s": wall, "edits_written_s": burst_written, "group_commits": len(marks),
        "client_cpu_s": client_cpu, "serve_cpu_s": serve_cpu, "bytes_received": received,
        "stream_bytes_per_subscriber": len(stream), "nginx_same_bytes_to_all_s": peer_s,
        "serve_runqueue_wait_s": serve_waited, "events_received": events,
        "rss_idle_kib": rss_idle, "rss_subscribed_kib": rss_subscribed, "rss_after_burst_kib": rss_burst,
        "hwm_kib": hwm}
    rows.append((f"{args.subscribers:,} SSE subscribers, burst of {n:,} records ({len(stream) / 1024:.0f} KiB of events "
                 f"each, {received / 2**20:.0f} MiB in all): durable mark -> last subscriber",
                 f"p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms (max {worst * 1e3:.0f})",
                 f"nginx sending the same bytes to {args.subscribers:,} clients at once (static file, same client): "
                 "request -> last client done", f"{peer_s * 1e3:.0f} ms", "goal p99 <= 50 ms"))
    rows.append(("  serve's memory (VmRSS): idle / 1,000 subscribed / after the burst (peak)",
                 f"{rss_idle / 1024:.0f} / {rss_subscribed / 1024:.0f} / {rss_burst / 1024:.0f} MiB "
                 f"({hwm / 1024:.0f})", "", "", ""))
    rows.append((f"  CPU during the burst ({wall:.2f} s wall, {len(marks)} group commits)",
                 f"serve {serve_cpu:.2f} s (and {serve_waited:.2f} s runnable, waiting for a CPU)",
                 "the subscribers' client (one Python process)", f"{client_cpu:.2f} s",
                 ""))


def fan_out(port, path, clients, size):
    """Seconds from the first of `clients` concurrent GETs of `path` to the last one having its `size`-byte body."""
    sel = selectors.DefaultSelector()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    got = {}
    start = time.monotonic()
    for s in socks:
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        got[s] = 0
    open_ = clients
    while open_:
        for key, _ in sel.select(10):
            try:
                chunk = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fileobj)
                open_ -= 1
            got[key.fileobj] += len(chunk)
    elapsed = time.monotonic() - start
    for s in socks:
        s.close()
    if min(got.values()) < size:
        raise SystemExit(f"nginx sent {min(got.values())} bytes to a client, not {size}")
    return elapsed


def ttfb(port, path, headers, requests):
    """Seconds to the first byte of the response, and to its end, for `requests` sequential requests."""
    firsts, totals, size = [], [], 0
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode()
    for _ in range(requests):
        s = socket.create_connection(("127.0.0.1", port))
        start = time.monotonic()
        s.sendall(req)
        first = s.recv(1 << 16)
        firsts.append(time.monotonic() - start)
        got = len(first)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        totals.append(time.monotonic() - start)
        size = got
        s.close()
    return firsts, totals, size


def wait_mark(mark_path, seq, proc, what, seconds=120):
    """Waits until the feed's durable mark is at least `seq`; returns it."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with open(mark_path, "rb") as f:
                line = f.read(38)
            if len(line) == 38 and int(line[8:28]) >= seq:
                return int(line[8:28])
        except (FileNotFoundError, ValueError):
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"the daemon did not {what}")
        time.sleep(0.002)


def history(args, work, rows, figures):
    # The real daemon records VERSIONS versions of one article, one save at a time (settle_ms = 0): numbers,
    # words and, every tenth version, an added paragraph, so each record carries a real classified diff.
    tree = os.path.join(work, "hist-tree")
    data = os.path.join(work, "hist")
    os.makedirs(os.path.join(tree, "section"))
    article = os.path.join(tree, "section", "history-article.txt")
    with open(args.article, encoding="utf-8") as f:
        text = f.read()
    paragraphs = text.split("\n\n")
    config = os.path.join(work, "hist.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{data}"\nsettle_ms = 0\n[feed]\nfsync = "always"\n[[root]]\npath = "{tree}"\n')
    with open(article, "w", encoding="utf-8") as f:
        f.write(text)
    daemon = subprocess.Popen([args.redline, "run", "--config", config], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "daemon-hist.log"), "ab"))
    mark_path = os.path.join(data, "feed", "durable")
    seq = wait_mark(mark_path, 1, daemon, "record the article")
    generated = time.monotonic()
    words = ["ویتکاف", "ویتکاوف", "مذاکره", "گفتگو"]
    for v in range(1, args.versions):
        if v % 10 == 0:
            paragraphs.append(f"بند تازهٔ شماره {v}: خبرنگار ما گزارش داد که {v * 3} نفر در جلسه بودند.")
        else:
            first = paragraphs[0]
            paragraphs[0] = f"{first.split(' | ')[0]} | به‌روزرسانی {v} {words[v % len(words)]}"
        # Saved as editors save: a temp file renamed over the article, so no half-written version is recorded.
        with open(article + ".tmp", "w", encoding="utf-8") as f:
            f.write("\n\n".join(paragraphs))
        os.replace(article + ".tmp", article)
        seq = wait_mark(mark_path, seq + 1, daemon, f"record version {v + 1}")
    generated = time.monotonic() - generated
    daemon.terminate()
    daemon.wait(timeout=60)
    index = os.path.join(work, "hist-index")
    serve = Serve(args.redline, ["--data-dir", data, "--index-dir", index], os.path.join(work, "serve-hist.log"))
    static = os.path.join(work, "www")
    os.makedirs(static, exist_ok=True)
    nginx = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(serve.base + "/articles")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise SystemExit("serve's article index did not catch up")
                time.sleep(0.1)
        path = "/articles/section/history-article.txt/history?format=html"
        _, page = get(serve.base + path)
        versions = page.count(b'<li class="version')
        if versions < args.versions:
            raise SystemExit(f"the history page lists {versions} versions, not {args.versions}")
        with open(os.path.join(static, "history.html"), "wb") as f:
            f.write(page)
        nginx = Nginx(work, static)
        if os.environ.get("SERVE_BENCH_PAUSE"):  # a hook to attach perf to serve: the pid and the URL, then wait
            print(f"serve pid {serve.proc.pid} {serve.base}{path}", file=sys.stderr)
            input()
        ttfb(serve.port, path, "", 3)  # warm both alike
        ttfb(nginx.port, "/history.html", "", 3)
        cpu, waited = cpu_seconds(serve.proc.pid), runqueue_wait(serve.proc.pid)
        s_first, s_total, s_size = ttfb(serve.port, path, "", args.requests)
        cpu = (cpu_seconds(serve.proc.pid) - cpu) / args.requests
        waited = (runqueue_wait(serve.proc.pid) - waited) / args.requests
        n_first, n_total, n_size = ttfb(nginx.port, "/history.html", "", args.requests)
        figures["history"] = {
            "versions": args.versions, "generated_s": generated, "version_elements": versions, "page_bytes": len(page),
            "serve_cpu_ms_per_request": cpu * 1e3, "serve_runqueue_wait_ms_per_request": waited * 1e3,
            "serve_ttfb_ms": [x * 1e3 for x in s_first], "serve_total_ms": [x * 1e3 for x in s_total],
            "nginx_ttfb_ms": [x * 1e3 for x in n_first], "nginx_total_ms": [x * 1e3 for x in n_total]}
        sm, sp = percentile(s_first, 0.5) * 1e3, percentile(s_first, 0.99) * 1e3
        nm, np_ = percentile(n_first, 0.5) * 1e3, percentile(n_first, 0.99) * 1e3
        rows.append((f"history page, {args.versions:,} versions ({len(page) / 1024:.0f} KiB HTML), "
                     f"time to first byte over {args.requests} requests",
                     f"median {sm:.1f} ms, p99 {sp:.1f} ms", "nginx, the same page as a static file",
                     f"median {nm:.2f} ms, p99 {np_:.2f} ms", f"{sm / nm:.0f}x (goal < 100 ms)"))
        rows.append(("  serve's CPU per request / runnable but waiting for a CPU", f"{cpu * 1e3:.0f} ms / {waited * 1e3:.0f} ms",
                     "", "", ""))
        rows.append(("  whole page received", f"median {percentile(s_total, 0.5) * 1e3:.1f} ms", "",
                     f"median {percentile(n_total, 0.5) * 1e3:.2f} ms", ""))
    finally:
        serve.stop()
        if nginx:
            nginx.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redline", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--article", required=True)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--versions", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    # One connection: a body is ~120 MiB, so more connections would only leave more of them unfinished at the end.
    ap.add_argument("--wrk-connections", type=int, default=1)
    ap.add_argument("--only", default="wrk,sse,history", help="a comma list of wrk, sse, history")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (feeds, logs) and say where")
    args = ap.parse_args()
    # Each subscriber is a socket on both ends, in one process each.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.subscribers * 2 + 256
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))  # raising the hard limit needs root
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="redline-serve-bench-")
    os.chmod(work, 0o755)  # nginx's workers run as nobody when started by root
    rows, figures = [], {}
    load_start = os.getloadavg()
    started = time.monotonic()
    try:
        if "wrk" in args.only:
            throughput(args, work, rows, figures)
        if "sse" in args.only:
            subscribers_burst(args, work, rows, figures)
        if "history" in args.only:
            history(args, work, rows, figures)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    load_end = os.getloadavg()
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown CPU")
    machine = f"{os.cpu_count()} cores, {model}, Linux {os.uname().release}"
    lines = [f"# redline serve benchmark  {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}  {machine}",
             f"# release build; load average at start {' '.join(f'{x:.2f}' for x in load_start)}, "
             f"at the end {' '.join(f'{x:.2f}' for x in load_end)}; {time.monotonic() - started:.0f} s",
             "", "| what | redline serve | peer, same run | peer | ratio / goal |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(args.out, "w") as f:
        f.write(text)
    with open(args.out.replace(".txt", ".json"), "w") as f:
        json.dump({"machine": machine, "loadavg_start": load_start, "loadavg_end": load_end, "figures": figures,
                   "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
