#!/usr/bin/env python3
"""Deterministic article pairs for the diff benchmark, built from the corpus article.

Writes <out>/<size>_<regime>_{old,new}.txt for size in 5k, 50k (words) and regime in
light (a few edits of each kind) and heavy (half the paragraphs, half their words rewritten).
Seeded: the same files on every run and machine.
"""
import argparse
import os
import random

VARIANTS = [("ویتکاف", "ویتکاوف"), ("ترمپ", "ترامپ"), ("کنترول", "کنترل"), ("تلیفونی", "تلفنی")]
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def persian(n):
    return "".join(PERSIAN_DIGITS[int(d)] for d in str(n))


def build_old(corpus, words, rng):
    base = [p.split() for p in corpus.split("\n\n") if p.strip()]
    vocab = [w for p in base for w in p]
    paragraphs = []
    total = 0
    k = 0
    while total < words:
        src = list(base[k % len(base)])
        out = []
        for w in src:
            r = rng.random()
            if r < 0.3:
                out.append(rng.choice(vocab))
            else:
                out.append(w)
            if rng.random() < 0.03:
                out.append(persian(rng.randint(2, 2500)))
        # Every paragraph mentions the names the light regime respells.
        if k % 5 == 0:
            out.insert(rng.randint(0, len(out)), rng.choice([a for a, _ in VARIANTS]))
        paragraphs.append(" ".join(out))
        total += len(out)
        k += 1
    return paragraphs


def light(paragraphs, vocab, rng):
    ps = list(paragraphs)
    n = len(ps)

    def pick(pred=lambda p: True):
        for _ in range(1000):
            i = rng.randrange(n)
            if i < len(ps) and pred(ps[i]):
                return i
        return 0

    def replace_word(i, old, new):
        ws = ps[i].split(" ")
        idx = [j for j, w in enumerate(ws) if w == old]
        if idx:
            ws[rng.choice(idx)] = new
            ps[i] = " ".join(ws)
            return True
        return False

    for a, b in VARIANTS:  # spelling
        i = pick(lambda p: a in p.split(" "))
        replace_word(i, a, b)
    for _ in range(3):  # ZWNJ after the prefix می
        i = pick(lambda p: any(w.startswith("می") and len(w) > 4 for w in p.split(" ")))
        ws = ps[i].split(" ")
        j = next(j for j, w in enumerate(ws) if w.startswith("می") and len(w) > 4)
        ws[j] = "می\u200c" + ws[j][2:]
        ps[i] = " ".join(ws)
    for _ in range(2):  # Arabic letters
        i = pick(lambda p: "ی" in p)
        ps[i] = ps[i].replace("ی", "ي", 1)
    for kind in ("script", "value", "script", "value"):  # digits
        i = pick(lambda p: any(c in PERSIAN_DIGITS for c in p))
        ws = ps[i].split(" ")
        j = next(j for j, w in enumerate(ws) if w and all(c in PERSIAN_DIGITS for c in w))
        if kind == "script":
            ws[j] = "".join(str(PERSIAN_DIGITS.index(c)) for c in ws[j])
        else:
            ws[j] = persian(int("".join(str(PERSIAN_DIGITS.index(c)) for c in ws[j])) + 7)
        ps[i] = " ".join(ws)
    for _ in range(3):  # wording: three words replaced, one negation
        i = pick(lambda p: len(p.split(" ")) > 10)
        ws = ps[i].split(" ")
        j = rng.randrange(len(ws) - 3)
        ws[j:j + 3] = [rng.choice(vocab) for _ in range(3)]
        ps[i] = " ".join(ws)
    i = pick(lambda p: len(p.split(" ")) > 10)
    ws = ps[i].split(" ")
    ws.insert(rng.randrange(len(ws)), "نه")
    ps[i] = " ".join(ws)
    for _ in range(2):  # punctuation
        i = pick(lambda p: '"' in p)
        ps[i] = ps[i].replace('"', "«", 1).replace('"', "»", 1)
    for _ in range(3):  # whitespace: re-wrap a line
        i = pick(lambda p: len(p.split(" ")) > 10)
        ws = ps[i].split(" ")
        j = rng.randrange(1, len(ws) - 1)
        ps[i] = " ".join(ws[:j]) + "\n" + " ".join(ws[j:])
    # paragraphs: split one, move one, remove one, add one
    i = pick(lambda p: len(p.split(" ")) > 20 and "\n" not in p)
    ws = ps[i].split(" ")
    ps[i:i + 1] = [" ".join(ws[: len(ws) // 2]), " ".join(ws[len(ws) // 2:])]
    i = rng.randrange(len(ps))
    p = ps.pop(i)
    ps.insert(min(len(ps), i + rng.randint(3, 9)), p)
    ps.pop(rng.randrange(len(ps)))
    ps.insert(rng.randrange(len(ps)), " ".join(rng.choice(vocab) for _ in range(30)))
    return ps


def heavy(paragraphs, vocab, rng):
    ps = list(paragraphs)
    for i in sorted(rng.sample(range(len(ps)), len(ps) // 2)):
        out = []
        for w in ps[i].split(" "):
            if rng.random() < 0.5:
                r = rng.random()
                if r < 0.6:
                    out.append(rng.choice(vocab))
                elif r < 0.8:
                    pass  # deleted
                else:
                    out.extend([w, rng.choice(vocab)])
            else:
                out.append(w)
        ps[i] = " ".join(out)
    return ps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()
    corpus = open(args.corpus, encoding="utf-8").read()
    os.makedirs(args.out, exist_ok=True)
    for label, words in (("5k", 5000), ("50k", 50000)):
        rng = random.Random(f"{args.seed}-{label}")
        old = build_old(corpus, words, rng)
        vocab = [w for p in old for w in p.split(" ")]
        for regime, fn in (("light", light), ("heavy", heavy)):
            new = fn(old, vocab, random.Random(f"{args.seed}-{label}-{regime}"))
            for side, ps in (("old", old), ("new", new)):
                with open(os.path.join(args.out, f"{label}_{regime}_{side}.txt"), "w", encoding="utf-8") as f:
                    f.write("\n\n".join(ps) + "\n")


if __name__ == "__main__":
    main()
