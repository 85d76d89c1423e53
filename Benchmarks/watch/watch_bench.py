#!/usr/bin/env python3
"""Redline watcher benchmark: end-to-end latency and burst ingest, beside raw inotify (inotifywait) in the same run.

Latency: time from close() of an edited article to its record appearing in DATA/feed/*.jsonl, one edit at a
time, for each --fsync mode; raw inotify latency is close() to inotifywait printing the CLOSE_WRITE.
The record is timed when it becomes visible in the feed file: with fsync=always the daemon fsyncs as part of the
append, so the figure includes (or at worst slightly precedes) the fsync.
Burst: N new articles in fresh directories (100 per directory, each directory made just before its files), time
from the first write to the last `created` record, beside `inotifywait -m -r` receiving the same CLOSE_WRITEs.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import queue
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

IN_MODIFY = 0x2
IN_CLOSE_WRITE = 0x8
IN_MOVED_TO = 0x80
IN_CREATE = 0x100

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def now_ns():
    return time.monotonic_ns()


def pct(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def write_file(path, text):
    """Writes in place (open, write, close) and returns the monotonic time taken just before close(), which is
    when the kernel queues CLOSE_WRITE (taken after, a fast reader thread could see the event 'before' it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        stamp = now_ns()
        os.close(fd)
    return stamp


class InotifyWaitReader:
    """Runs `inotifywait -m -r` on a directory and timestamps each CLOSE_WRITE line as it arrives."""

    def __init__(self, directory):
        self.lines = queue.Queue()
        self.count = 0
        self.last_ns = None
        self.proc = subprocess.Popen(
            ["inotifywait", "-m", "-r", "-e", "close_write", "--format", "%w%f", directory],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        # inotifywait says "Watches established." on stderr once it is ready.
        while True:
            line = self.proc.stderr.readline()
            if not line or b"established" in line:
                break
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        while True:
            chunk = self.proc.stdout.read1(65536) if hasattr(self.proc.stdout, "read1") else os.read(
                self.proc.stdout.fileno(), 65536)
            if not chunk:
                return
            stamp = now_ns()
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                self.count += 1
                self.last_ns = stamp
                self.lines.put((stamp, line.decode("utf-8", "replace")))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class FeedTailer:
    """Follows DATA/feed/*.jsonl (across rotations) with raw inotify and timestamps every record as it appears."""

    def __init__(self, feed_dir):
        self.feed_dir = feed_dir
        self.records = queue.Queue()
        self.offsets = {}  # inode -> bytes consumed
        self.partial = {}
        self.stopped = False
        os.makedirs(feed_dir, exist_ok=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        wd = libc.inotify_add_watch(self.fd, feed_dir.encode(), IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + feed_dir)
        self._scan()
        threading.Thread(target=self._run, daemon=True).start()

    def _scan(self):
        stamp = now_ns()
        try:
            names = sorted(n for n in os.listdir(self.feed_dir) if n.endswith(".jsonl"))
        except FileNotFoundError:
            return
        # Sealed segments first (changes-<seq>.jsonl), the active one last.
        names.sort(key=lambda n: (n == "changes.jsonl", n))
        for name in names:
            path = os.path.join(self.feed_dir, name)
            try:
                with open(path, "rb") as handle:
                    inode = os.fstat(handle.fileno()).st_ino
                    offset = self.offsets.get(inode, 0)
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                continue
            if not data:
                continue
            self.offsets[inode] = offset + len(data)
            text = self.partial.pop(inode, b"") + data
            *complete, rest = text.split(b"\n")
            if rest:
                self.partial[inode] = rest
            for line in complete:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                self.records.put((stamp, record))

    def _run(self):
        while not self.stopped:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    os.read(self.fd, 65536)
                except BlockingIOError:
                    pass
            self._scan()

    def stop(self):
        self.stopped = True


def start_redline(binary, watch, data, fsync, settle_ms, log_path):
    log = open(log_path, "ab")
    args = [binary, "run", "--watch", watch, "--data-dir", data, "--fsync", fsync, "--settle-ms", str(settle_ms)]
    return subprocess.Popen(args, stdout=log, stderr=log)


def stop_process(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_record(records, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            stamp, record = records.get(timeout=remaining)
        except queue.Empty:
            return None
        if predicate(record):
            return stamp, record


def article_text(base, i):
    # Each version differs in one word, so every edit is a real change (a `modified` record).
    return base + "\n\nویرایش شماره %d: ترمپ و ویتکاوف\n" % i


def raw_latency(edits, work):
    directory = tempfile.mkdtemp(prefix="raw-", dir=work)
    target = os.path.join(directory, "article.txt")
    write_file(target, "seed\n")
    reader = InotifyWaitReader(directory)
    latencies = []
    try:
        for i in range(edits):
            t0 = write_file(target, "edit %d\n" % i)
            while True:
                try:
                    stamp, line = reader.lines.get(timeout=5)
                except queue.Empty:
                    stamp = None
                    break
                if line == target:
                    break
            if stamp is not None:
                latencies.append((stamp - t0) / 1e6)
    finally:
        reader.stop()
    return latencies


def redline_latency(binary, base, edits, fsync, settle_ms, work, log_path):
    watch = tempfile.mkdtemp(prefix="watch-", dir=work)
    data = tempfile.mkdtemp(prefix="data-", dir=work)
    article = os.path.join(watch, "article.txt")
    write_file(article, article_text(base, -1))
    tailer = FeedTailer(os.path.join(data, "feed"))
    proc = start_redline(binary, watch, data, fsync, settle_ms, log_path)
    latencies, missing = [], 0
    try:
        # Ready once the startup reconcile has recorded the seed article.
        if wait_record(tailer.records, lambda r: r.get("path", "").endswith("article.txt"), 60) is None:
            raise RuntimeError("redline never recorded the seed article (see %s)" % log_path)
        time.sleep(0.2)
        while not tailer.records.empty():
            tailer.records.get_nowait()
        for i in range(edits):
            if proc.poll() is not None:
                raise RuntimeError("redline exited with %s (see %s)" % (proc.returncode, log_path))
            t0 = write_file(article, article_text(base, i))
            got = wait_record(
                tailer.records,
                lambda r: r.get("type") == "modified" and r.get("path", "").endswith("article.txt"), 10)
            if got is None:
                missing += 1
                continue
            latencies.append((got[0] - t0) / 1e6)
    finally:
        stop_process(proc)
        tailer.stop()
    return latencies, missing


def burst(binary, base, count, fsync, settle_ms, work, log_path):
    watch = tempfile.mkdtemp(prefix="burst-", dir=work)
    data = tempfile.mkdtemp(prefix="data-", dir=work)
    os.makedirs(os.path.join(watch, "seed"))
    write_file(os.path.join(watch, "seed", "seed.txt"), article_text(base, -1))
    tailer = FeedTailer(os.path.join(data, "feed"))
    proc = start_redline(binary, watch, data, fsync, settle_ms, log_path)
    result = {}
    try:
        if wait_record(tailer.records, lambda r: r.get("path", "").endswith("seed.txt"), 60) is None:
            raise RuntimeError("redline never recorded the seed article (see %s)" % log_path)
        time.sleep(0.2)
        while not tailer.records.empty():
            tailer.records.get_nowait()
        peer = InotifyWaitReader(watch)
        per_dir = 100
        t0 = now_ns()
        for d in range((count + per_dir - 1) // per_dir):
            directory = os.path.join(watch, "batch-%03d" % d)
            os.mkdir(directory)
            for f in range(min(per_dir, count - d * per_dir)):
                write_file(os.path.join(directory, "a-%05d.txt" % f), article_text(base, d * per_dir + f))
        t_written = now_ns()
        seen = set()
        t_last = None
        while len(seen) < count:
            got = wait_record(
                tailer.records, lambda r: r.get("type") == "created" and "batch-" in r.get("path", ""), 30)
            if got is None:
                break
            seen.add(got[1]["path"])
            t_last = got[0]
        # Give inotifywait until the same moment plus a grace period to catch up.
        deadline = time.monotonic() + 5
        while peer.count < count and time.monotonic() < deadline:
            time.sleep(0.05)
        peer.stop()
        # Baseline: reading and hashing the same files, one process (what "limited by disk and hashing" means).
        h0 = now_ns()
        subprocess.run(
            "find %s -name '*.txt' -path '*batch-*' -print0 | xargs -0 sha256sum > /dev/null" % watch,
            shell=True, check=False)
        hash_s = (now_ns() - h0) / 1e9
        result = {
            "sha256sum_s": hash_s,
            "files": count,
            "write_s": (t_written - t0) / 1e9,
            "redline_records": len(seen),
            "redline_last_s": (t_last - t0) / 1e9 if t_last else float("nan"),
            "inotifywait_events": min(peer.count, count),
            "inotifywait_last_s": (peer.last_ns - t0) / 1e9 if peer.last_ns else float("nan"),
        }
    finally:
        stop_process(proc)
        tailer.stop()
    return result


def summary(name, values, extra=""):
    if not values:
        return "%-34s %8s %8s %8s %6s %s" % (name, "-", "-", "-", 0, extra)
    return "%-34s %8.2f %8.2f %8.2f %6d %s" % (
        name, pct(values, 50), pct(values, 99), max(values), len(values), extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redline", required=True)
    parser.add_argument("--article", required=True, help="corpus article used as the base text")
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=10000)
    parser.add_argument("--settle-ms", type=int, default=50)
    parser.add_argument("--modes", default="always,never")
    parser.add_argument("--out", required=True, help="results file (text); a .json beside it")
    args = parser.parse_args()

    with open(args.article, encoding="utf-8") as handle:
        base = handle.read()
    work = tempfile.mkdtemp(prefix="redline-watch-bench-")
    # The daemon's log goes under Benchmarks/work/ (ignored by git), kept for a look when something fails.
    log_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.out))), "work")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "watch-redline.log")
    open(log_path, "wb").close()
    report = {"edits": args.edits, "settle_ms": args.settle_ms, "latency_ms": {}, "burst": {}, "errors": []}
    lines = []
    try:
        raw = raw_latency(args.edits, work)
        report["latency_ms"]["inotifywait"] = raw
        daemon_ok = os.access(args.redline, os.X_OK)
        if not daemon_ok:
            report["errors"].append("no redline binary at %s" % args.redline)
        for mode in args.modes.split(","):
            if not daemon_ok:
                break
            try:
                values, missing = redline_latency(
                    args.redline, base, args.edits, mode, args.settle_ms, work, log_path)
                report["latency_ms"]["redline fsync=" + mode] = values
                if missing:
                    report["errors"].append("fsync=%s: %d edits gave no record within 10 s" % (mode, missing))
            except Exception as error:  # report what failed, keep the other figures
                report["errors"].append("latency fsync=%s: %s" % (mode, error))
        for mode in args.modes.split(","):
            if not daemon_ok or args.burst <= 0:
                break
            try:
                report["burst"]["fsync=" + mode] = burst(
                    args.redline, base, args.burst, mode, args.settle_ms, work, log_path)
            except Exception as error:
                report["errors"].append("burst fsync=%s: %s" % (mode, error))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines.append("Redline watch benchmark (%s)" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    lines.append("machine: %s, %d cores; settle_ms=%d; goal: redline p99 < settle + 10 ms = %d ms" % (
        os.uname().release, os.cpu_count() or 0, args.settle_ms, args.settle_ms + 10))
    lines.append("")
    lines.append("Latency, close() -> event/record visible (ms), %d sequential edits of one article" % args.edits)
    lines.append("%-34s %8s %8s %8s %6s" % ("", "p50", "p99", "max", "n"))
    for name, values in report["latency_ms"].items():
        extra = ""
        if name.startswith("redline") and values:
            extra = "(p99 - settle = %.2f ms)" % (pct(values, 99) - args.settle_ms)
        lines.append(summary(("raw inotify (inotifywait)" if name == "inotifywait" else name), values, extra))
    if report["burst"]:
        lines.append("")
        lines.append("Burst ingest: %d new articles in %d new directories" % (args.burst, (args.burst + 99) // 100))
        lines.append("(seconds from the first write; sha256sum = reading and hashing the same files afterwards)")
        lines.append("%-22s %10s %12s %14s %14s %14s %12s" % (
            "", "written s", "records", "last record s", "inotifywait", "last event s", "sha256sum s"))
        for mode, b in report["burst"].items():
            lines.append("%-22s %10.2f %12s %14.2f %14s %14.2f %12.2f" % (
                "redline " + mode, b["write_s"], "%d/%d" % (b["redline_records"], b["files"]),
                b["redline_last_s"], "%d/%d" % (b["inotifywait_events"], b["files"]), b["inotifywait_last_s"],
                b["sha256sum_s"]))
    if report["errors"]:
        lines.append("")
        lines.extend("error: " + e for e in report["errors"])
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    summary_json = {
        "edits": args.edits, "settle_ms": args.settle_ms, "errors": report["errors"], "burst": report["burst"],
        "latency_ms": {
            name: {"p50": pct(v, 50), "p99": pct(v, 99), "max": max(v) if v else None, "n": len(v)}
            for name, v in report["latency_ms"].items()
        },
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w", encoding="utf-8") as handle:
        json.dump(summary_json, handle, indent=2, ensure_ascii=False)
    return 0 if not report["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
