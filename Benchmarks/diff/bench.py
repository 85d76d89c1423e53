#!/usr/bin/env python3
"""Diff benchmark: Redline beside difflib and git, measured in the same run.

For each generated pair (5k/50k words x light/heavy):
- in-process: `redline-bench diff` (median of warm runs of Differ.diff) beside Python's
  difflib.SequenceMatcher(autojunk=False) on the same tokens: Redline's tokenization, re-done here,
  without the whitespace tokens (Redline aligns words, numbers and punctuation; whitespace only
  fills the gaps; with whitespace tokens difflib takes ~50x longer still);
- whole process: `redline diff --format json` beside `git diff --no-index --minimal --word-diff=porcelain`
  (hyperfine when installed, otherwise repeated runs timed here; median);
- edit counts: Redline's changes beside git --minimal's word-diff hunks (light regime);
- peak RSS of the `redline diff` process (memory on near-identical texts).
Prints a table and writes it to --out (and the raw figures to --out with .json).
"""
import argparse
import difflib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata

_cache = {}


def scalar_class(ch):
    c = _cache.get(ch)
    if c is not None:
        return c
    o = ord(ch)
    cat = unicodedata.category(ch)
    if ch in "\t\n\x0b\x0c\r\x85\u2028\u2029" or cat == "Zs":
        c = "s"
    elif o in (0x200B, 0x200C, 0x200D, 0x0640, 0xFEFF, 0x200E, 0x200F, 0x00AD, 0x061C, 0x2060) or \
            0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069 or cat[0] in "LM":
        c = "l"
    elif ch in "%\u066a\u2030\u2031":
        c = "y"
    elif cat == "Nd":
        c = "d"
    elif cat[0] == "P":
        c = "p"
    else:
        c = "y"
    _cache[ch] = c
    return c


def tokenize(text):
    """Redline's tokens: whitespace runs, words (ZWNJ inside), numbers with separators, single marks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = scalar_class(text[i])
        j = i + 1
        if c == "s":
            while j < n and scalar_class(text[j]) == "s":
                j += 1
        elif c == "l":
            while j < n:
                cj = scalar_class(text[j])
                if cj == "l" or (text[j] in "'\u2019" and j + 1 < n and scalar_class(text[j + 1]) == "l"):
                    j += 1
                else:
                    break
        elif c == "d":
            while j < n:
                cj = scalar_class(text[j])
                if cj == "d" or (text[j] in ".,\u066b\u066c" and j + 1 < n and scalar_class(text[j + 1]) == "d"):
                    j += 1
                else:
                    break
        out.append(text[i:j])
        i = j
    return out


def difflib_ms(a, b, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def process_ms(cmd, runs, warmup):
    """Median wall time of a whole process, hyperfine if present."""
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            path = f.name
        subprocess.run(["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                        "--export-json", path, " ".join(cmd)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(path) as f:
            data = json.load(f)
        os.unlink(path)
        return data["results"][0]["median"] * 1e3
    for _ in range(warmup):
        subprocess.run(cmd, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def git_hunks(old, new):
    """Edit count of git --minimal word diff: groups of -/+ lines between unchanged words."""
    out = subprocess.run(["git", "diff", "--no-index", "--minimal", "--word-diff=porcelain", old, new],
                         capture_output=True).stdout.decode("utf-8", "replace")
    count, in_change, started = 0, False, False
    for line in out.split("\n"):
        if line.startswith("@@"):
            started, in_change = True, False
            continue
        if not started:
            continue
        if line[:1] in ("-", "+"):
            if not in_change:
                count += 1
            in_change = True
        elif line[:1] == " ":
            in_change = False
    return count


def peak_rss_kb(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(cmd[0], cmd)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redline", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    load_at_start = os.getloadavg()[0]
    rows = []
    for size in ("5k", "50k"):
        for regime in ("light", "heavy"):
            old = os.path.join(args.work, f"{size}_{regime}_old.txt")
            new = os.path.join(args.work, f"{size}_{regime}_new.txt")
            small = size == "5k"
            runs = 50 if small else 20
            inproc = json.loads(subprocess.run([args.bench, "diff", old, new, "--runs", str(runs)],
                                               capture_output=True, check=True).stdout)
            a = [t for t in tokenize(open(old, encoding="utf-8").read()) if not t.isspace()]
            b = [t for t in tokenize(open(new, encoding="utf-8").read()) if not t.isspace()]
            dl = difflib_ms(a, b, 1 if args.quick or not small else 3)
            proc_runs = 5 if args.quick else (30 if small else 15)
            red_proc = process_ms([args.redline, "diff", "--format", "json", old, new], proc_runs, 3)
            git_proc = process_ms(["git", "diff", "--no-index", "--minimal", "--word-diff=porcelain", old, new],
                                  proc_runs, 3)
            rss = peak_rss_kb([args.redline, "diff", "--format", "json", old, new])
            rows.append({
                "pair": f"{size}/{regime}", "words": len(open(old, encoding="utf-8").read().split()),
                "tokens": len(a) + len(b),
                "redline_inproc_ms": inproc["median_ms"], "difflib_ms": dl,
                "redline_process_ms": red_proc, "git_process_ms": git_proc,
                "redline_changes": inproc["changes"], "git_hunks": git_hunks(old, new),
                "redline_changes_visible_to_git": inproc["changes"] - inproc["classes"]["whitespace"],
                "patch_ok": inproc["patch_ok"], "redline_peak_rss_kb": rss, "classes": inproc["classes"],
            })
            print(f"measured {size}/{regime}", file=sys.stderr)
    lines = []
    head = (f"{'pair':<11}{'words':>7}{'tokens':>8}{'redline ms':>12}{'difflib ms':>12}{'x faster':>10}"
            f"{'redline proc':>14}{'git proc':>10}{'changes':>9}{'non-ws':>8}{'git hunks':>11}{'peak RSS':>10}")
    lines.append("Redline diff benchmark (release build; medians; in-process = Differ.diff warm, "
                 "difflib = SequenceMatcher(autojunk=False) on the same tokens;")
    lines.append("proc = whole process: `redline diff --format json` vs `git diff --no-index --minimal "
                 "--word-diff=porcelain`; edit counts vs git --minimal word-diff hunks)")
    lines.append(f"load average at start: {load_at_start:.2f} on {os.cpu_count()} CPUs")
    lines.append(head)
    for r in rows:
        lines.append(
            f"{r['pair']:<11}{r['words']:>7}{r['tokens']:>8}{r['redline_inproc_ms']:>12.2f}{r['difflib_ms']:>12.1f}"
            f"{r['difflib_ms'] / r['redline_inproc_ms']:>9.0f}x{r['redline_process_ms']:>14.2f}"
            f"{r['git_process_ms']:>10.2f}{r['redline_changes']:>9}{r['redline_changes_visible_to_git']:>8}{r['git_hunks']:>11}"
            f"{r['redline_peak_rss_kb'] / 1024:>8.1f}MB")
    lines.append("")
    goals = []
    for r in rows:
        goals.append(f"{r['pair']}: in-process < git process: {'yes' if r['redline_inproc_ms'] < r['git_process_ms'] else 'NO'}; "
                     f">=20x difflib: {'yes' if r['difflib_ms'] >= 20 * r['redline_inproc_ms'] else 'NO'}"
                     + (f"; process <= git: {'yes' if r['redline_process_ms'] <= r['git_process_ms'] else 'NO'}"
                        if r['pair'].startswith('50k') else "")
                     + (f"; changes <= git hunks: {'yes' if r['redline_changes'] <= r['git_hunks'] else 'NO'}"
                        f" (without whitespace-only changes, which git's word diff cannot show: "
                        f"{'yes' if r['redline_changes_visible_to_git'] <= r['git_hunks'] else 'NO'})"
                        if r['pair'].endswith('light') else "")
                     + f"; patch rebuilds new: {'yes' if r['patch_ok'] else 'NO'}")
    lines.extend(goals)
    lines.append("Columns: redline ms = in-process median; difflib ms = SequenceMatcher median; proc = whole-process "
                 "median (hyperfine -N when installed); changes = Redline changes; non-ws = without whitespace-only "
                 "changes; git hunks = groups of -/+ words in git --minimal --word-diff=porcelain; peak RSS of the "
                 "redline diff process.")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
