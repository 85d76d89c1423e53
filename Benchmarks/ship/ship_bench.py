#!/usr/bin/env python3
"""`redline ship` into a private PostgreSQL 15 (issue 14): records per second shipped beside `psql \\copy` of the
same records into a table of the same shape in the same run (PostgreSQL's own limit), then ship's lag while the
daemon records 1,000 edits a second.

The feed is the daemon's own: `redline run` over a generated tree of --records small articles, one `created`
record each. The server is initdb'd into a temporary directory and listens on a unix socket there only, owned by
`nobody` when run as root (PostgreSQL refuses root), as Tests/IntegrationTests/PostgresSupport.swift does.

Usage: ship_bench.py --redline BIN --article FILE --out FILE [--records 100000] [--rate 1000] [--sustain-s 30]
"""
import argparse
import gzip
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scale"))
from scale_bench import edit_at_rate, percentile, ready_start, stop  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A private cluster: initdb into `work`/pg, a unix socket in `work`/pg/sock, no TCP port."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "server.log")
        for d in (self.data, self.socket):
            os.makedirs(d, mode=0o700)
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "nobody", self.dir], check=True)
        self.run([f"{PG_BIN}/initdb", "-D", self.data, "-U", "redline", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-instructions"])
        # Defaults otherwise (fsync on): ship and \copy meet the same server in the same state.
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  f"-k {self.socket} -p 5432 -c listen_addresses=''", "start"])
        self.url = f"postgres://redline@/postgres?host={self.socket}&port=5432"

    @staticmethod
    def run(argv):
        if os.getuid() == 0:
            argv = ["runuser", "-u", "nobody", "--"] + argv
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")

    def psql(self, sql, *extra):
        out = subprocess.run([f"{PG_BIN}/psql", "-h", self.socket, "-p", "5432", "-U", "redline", "-d", "postgres",
                              "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", *extra, "-c", sql],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"psql {sql}: {out.stderr}")
        return out.stdout.strip()

    def stop(self):
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"])


def feed_lines(feed):
    """Every line of the feed, in seq order (sealed segments, gzipped or not, then the active file)."""
    names = sorted(x for x in os.listdir(feed) if x.startswith("changes-")) + ["changes.jsonl"]
    for name in names:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(os.path.join(feed, name), "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield line.rstrip("\n")


def copy_escape(value):
    """A value in COPY's text format (\\N for NULL)."""
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_file(feed, uuid, path):
    """Writes the feed's records as COPY text rows of the `records` table: the typed columns ship derives, the
    record for the jsonb column, the line as stored. Returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in feed_lines(feed):
            r = json.loads(line)
            changes = r.get("changes") if isinstance(r.get("changes"), list) else []
            classes = sorted({c["class"] for c in changes if isinstance(c, dict) and c.get("class")})
            cols = [uuid, str(r["seq"]), r["type"], r["root"], r["path"], r.get("from_path"), r["time"],
                    r.get("significance"), "{" + ",".join(classes) + "}", line, line]
            out.write("\t".join(copy_escape(c) for c in cols) + "\n")
            count += 1
    return count


def durable_seq(feed):
    try:
        with open(os.path.join(feed, "durable")) as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def metric(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name + "{"):
                    return float(line.split()[-1])
    except OSError:
        pass
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redline", required=True)
    parser.add_argument("--article", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--sustain-s", type=int, default=30)
    args = parser.parse_args()
    load_start = os.getloadavg()
    random.seed(1)
    paragraphs = [p for p in open(args.article, encoding="utf-8").read().split("\n\n") if p.strip()]
    work = tempfile.mkdtemp(prefix="redline-ship-bench-")
    os.chmod(work, 0o755)  # nobody must reach the cluster below it
    tree, data = os.path.join(work, "articles"), os.path.join(work, "var")
    feed = os.path.join(data, "feed")
    config = os.path.join(work, "redline.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{data}"\nlog_level = "notice"\n[[root]]\npath = "{tree}"\n')
    rows = []

    def row(what, redline_value, peer_name, peer_value, unit):
        ratio = (redline_value / peer_value) if peer_value else float("nan")
        rows.append({"what": what, "redline": redline_value, "peer": peer_name, "peer_value": peer_value,
                     "unit": unit, "ratio": ratio})
        print(f"{what:46} {redline_value:12.1f} {unit:9}  {peer_name:26} {peer_value:12.1f}  {ratio:7.2f}x",
              flush=True)

    n = args.records
    print(f"generating {n} articles (2 paragraphs each) under {tree}", flush=True)
    for i in range(n):
        d = os.path.join(tree, f"d{i // 100:04d}")
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"a{i:06d}.txt"), "w", encoding="utf-8") as f:
            f.write(f"{i}\n\n" + "\n\n".join(random.sample(paragraphs, 2)) + "\n")
    pg = Postgres(work)
    daemon = None
    try:
        daemon, cold = ready_start(args.redline, config)
        records = durable_seq(feed)
        uuid = open(os.path.join(feed, "feed.id")).read().strip()
        feed_bytes = sum(len(x) + 1 for x in feed_lines(feed))
        print(f"feed: {records} records, {feed_bytes / 2**20:.0f} MiB of lines (daemon cold start {cold:.1f} s)",
              flush=True)

        # Records per second: ship of the whole feed into an empty records table, until shipped_seq is the last
        # seq (--exit-when-caught-up), best of two; beside psql \copy of the same rows into a table of the same
        # shape (its indexes and foreign key too), best of two.
        ship_times = []
        for attempt in range(2):
            if attempt:
                pg.psql(f"TRUNCATE records; UPDATE feeds SET shipped_seq = 0, roots = '{{}}'")
            start = time.monotonic()
            subprocess.run([args.redline, "ship", "--feed", feed, "--postgres", pg.url, "--host", "bench",
                            "--exit-when-caught-up", "--log-level", "warning"], check=True)
            ship_times.append(time.monotonic() - start)
            shipped = int(pg.psql(f"SELECT shipped_seq FROM feeds WHERE feed_uuid = '{uuid}'"))
            if shipped != records:
                raise SystemExit(f"ship stopped at {shipped} of {records}")
        rows_file = os.path.join(work, "records.copy")
        copy_file(feed, uuid, rows_file)
        pg.psql("CREATE TABLE copy_records (LIKE records INCLUDING ALL); "
                "ALTER TABLE copy_records ADD FOREIGN KEY (feed_uuid) REFERENCES feeds (feed_uuid)")
        copy_times = []
        for attempt in range(2):
            pg.psql("TRUNCATE copy_records")
            start = time.monotonic()
            pg.psql(f"\\copy copy_records FROM '{rows_file}'")
            copy_times.append(time.monotonic() - start)
        if pg.psql("SELECT count(*) FROM copy_records") != str(records):
            raise SystemExit("\\copy did not load every record")
        ship_s, copy_s = min(ship_times), min(copy_times)
        row(f"ship {records} records into PostgreSQL", records / ship_s, "psql \\copy, same rows", records / copy_s,
            "records/s")
        print(f"  ship {ship_s:.2f} s (runs: {', '.join(f'{t:.2f}' for t in ship_times)}), \\copy {copy_s:.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in copy_times)}); goal: ship >= 0.5x of \\copy", flush=True)
        pg.psql("DROP TABLE copy_records")

        # Lag: ship follows the feed while the daemon records `rate` edits a second. Sampled every 0.5 s from
        # outside (the durable mark minus shipped_seq) and from ship's own textfile (lag seconds).
        metrics = os.path.join(work, "ship.prom")
        ship_log = open(os.path.join(work, "ship.log"), "ab")
        shipper = subprocess.Popen([args.redline, "ship", "--feed", feed, "--postgres", pg.url, "--host", "bench",
                                    "--metrics-file", metrics, "--log-level", "warning"], stderr=ship_log)
        files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(tree) for f in fs)
        random.shuffle(files)
        samples = []
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                durable = durable_seq(feed)
                shipped = int(pg.psql(f"SELECT shipped_seq FROM feeds WHERE feed_uuid = '{uuid}'"))
                samples.append((time.monotonic(), max(0, durable - shipped),
                                metric(metrics, "redline_ship_lag_seconds") or 0.0, durable))
                time.sleep(0.5)

        time.sleep(2)
        first_seq = durable_seq(feed)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, start, end = edit_at_rate(files[:max(2 * args.rate, 1000)], args.rate, args.sustain_s)
        during = [s for s in samples if start <= s[0] <= end]
        final = during[-1] if during else (end, 0, 0.0, 0)
        deadline = time.monotonic() + 120
        caught_up = None
        while time.monotonic() < deadline and caught_up is None:
            time.sleep(0.5)
            # The daemon settles the last edits for a moment after they are written: wait for it to record them
            # (the mark still moving) before taking "nothing behind" for caught up.
            after = [s for s in samples if s[0] > end]
            if len(after) >= 2 and after[-1][1] == 0 and durable_seq(feed) == after[-1][3]:
                caught_up = after[-1][0] - end
        sampling.set()
        sampler.join(timeout=10)
        recorded = durable_seq(feed) - first_seq
        shipper.terminate()
        shipper.wait(timeout=60)
        lag_records = [s[1] for s in during]
        lag_seconds = [s[2] for s in during]
        rate_label = f"{args.rate} edits/s for {args.sustain_s} s"
        print(f"lag while the daemon records {rate_label} ({recorded} records, {len(during)} samples):", flush=True)
        print(f"  records behind: max {max(lag_records, default=0)}, p99 {percentile(lag_records, 0.99)}, "
              f"final {final[1]}", flush=True)
        print(f"  seconds behind (ship's redline_ship_lag_seconds): max {max(lag_seconds, default=0):.2f}, "
              f"p99 {percentile(lag_seconds, 0.99):.2f}, final {final[2]:.2f}", flush=True)
        print(f"  caught up {'%.1f s' % caught_up if caught_up is not None else 'NOT within 120 s'} after the "
              "last edit", flush=True)
        half = len(lag_records) // 2
        first_half, second_half = lag_records[:half], lag_records[half:]
        bounded = bool(during) and caught_up is not None and max(second_half, default=0) <= 2 * max(
            max(first_half, default=0), args.rate)
    finally:
        if daemon is not None:
            stop(daemon)
        pg.stop()
    load_end = os.getloadavg()
    machine = (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {platform.system()} "
               f"{platform.release()}")
    try:
        with open("/proc/cpuinfo") as f:
            model = next((x.split(":", 1)[1].strip() for x in f if x.startswith("model name")), "")
        machine = f"{os.cpu_count()} cores ({model}), Linux {platform.release()}"
    except OSError:
        pass
    pg_version = subprocess.run([f"{PG_BIN}/postgres", "--version"], capture_output=True, text=True).stdout.strip()
    load_text = (f"load average at the start: {' '.join(f'{x:.2f}' for x in load_start)}, at the end: "
                 f"{' '.join(f'{x:.2f}' for x in load_end)}")
    with open(args.out, "w") as f:
        f.write(f"redline ship ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}), {machine}, {pg_version}, "
                f"binary {args.redline}\n")
        f.write(f"{'what':46} {'redline':>12} {'unit':9}  {'peer, same run':26} {'peer':>12}  ratio\n")
        for r in rows:
            f.write(f"{r['what']:46} {r['redline']:12.1f} {r['unit']:9}  {r['peer']:26} {r['peer_value']:12.1f}  "
                    f"{r['ratio']:7.2f}x\n")
        f.write(f"ship {ship_s:.2f} s, \\copy {copy_s:.2f} s for {records} records ({feed_bytes} bytes of lines)\n")
        f.write(f"lag at {rate_label} ({recorded} records): records behind max {max(lag_records, default=0)}, "
                f"p99 {percentile(lag_records, 0.99)}, final {final[1]}; seconds behind max "
                f"{max(lag_seconds, default=0):.2f}, p99 {percentile(lag_seconds, 0.99):.2f}, final {final[2]:.2f}; "
                f"caught up {'%.1f s' % caught_up if caught_up is not None else 'not within 120 s'} after; "
                f"bounded: {'yes' if bounded else 'NO'}\n")
        f.write(load_text + "\n")
    with open(args.out.replace(".txt", ".json"), "w") as f:
        json.dump({"machine": machine, "postgres": pg_version, "records": records, "feed_line_bytes": feed_bytes,
                   "ship_seconds": ship_times, "copy_seconds": copy_times, "rows": rows,
                   "lag": {"rate": args.rate, "seconds": args.sustain_s, "records_recorded": recorded,
                           "samples": [[round(t - start, 2), r, round(s, 3)] for t, r, s, _ in during],
                           "max_records": max(lag_records, default=0), "p99_records": percentile(lag_records, 0.99),
                           "final_records": final[1], "max_seconds": max(lag_seconds, default=0),
                           "p99_seconds": percentile(lag_seconds, 0.99), "final_seconds": final[2],
                           "caught_up_after_s": caught_up, "bounded": bounded},
                   "loadavg_start": load_start, "loadavg_end": load_end}, f, indent=1)
    print(load_text, flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if bounded else 1


if __name__ == "__main__":
    sys.exit(main())
