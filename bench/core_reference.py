#!/usr/bin/env python3
"""The plain-Python approach a researcher would write, as the baseline for bench/core.bench.ts.

Words by regex, SG matching by sliding windows over a set of word tuples, the SPEC §4 text
metrics per step. Prints one JSON object: seconds, bytes and per-step metrics.

usage: core_reference.py SG_JSON FILE.jsonl [FILE.jsonl ...]
"""
import json, math, re, sys, time
from collections import Counter, defaultdict

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
BREAK = re.compile(r"[.!?;:\n]")


def words_of(text):
    ws, spans = [], []
    for m in WORD.finditer(text):
        ws.append(m.group(0).lower().replace("\u2019", "'"))
        spans.append((m.start(), m.end()))
    joined = [not BREAK.search(text[spans[i][1]:spans[i + 1][0]]) for i in range(len(ws) - 1)]
    return ws, joined


def entropy(counts):
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts if c) if total else 0.0


def main():
    sg_file, files = sys.argv[1], sys.argv[2:]
    with open(sg_file, encoding="utf-8") as f:
        data = json.load(f)
    phrases = [g if isinstance(g, str) else g["phrase"] for g in (data["grams"] if isinstance(data, dict) else data)]
    grams = {}
    for p in phrases:
        ws, _ = words_of(p)
        grams.setdefault(tuple(ws), len(grams))
    lengths = sorted({len(g) for g in grams})
    t0 = time.perf_counter()
    nbytes = 0
    steps = []
    for path in files:
        with open(path, "rb") as f:
            raw = f.read()
        nbytes += len(raw)
        n = correct = total_words = planning_words = 0
        sg_counts = Counter()
        cont = defaultdict(Counter)
        prompts = defaultdict(lambda: [0, 0])
        for line in raw.decode("utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            ws, joined = words_of(rec["output"])
            ok = bool(rec["acc"]) if "acc" in rec else rec.get("score", 0) > 0
            n += 1
            correct += ok
            p = prompts[rec["input"]]
            p[0] += 1
            p[1] += ok
            occ = []
            for L in lengths:
                for i in range(len(ws) - L + 1):
                    g = grams.get(tuple(ws[i:i + L]))
                    if g is not None and all(joined[i:i + L - 1]):
                        occ.append((g, i, i + L))
            plan = [False] * len(ws)
            for g, a, b in occ:
                for i in range(a, b):
                    plan[i] = True
                sg_counts[g] += 1
            for g, a, b in occ:
                if b + 3 <= len(ws) and not any(plan[b:b + 3]):
                    cont[g][" ".join(ws[b:b + 3])] += 1
            total_words += len(ws)
            planning_words += sum(plan)
        kept = sum(sum(c.values()) for c in cont.values())
        cond = sum(sum(c.values()) / kept * entropy(list(c.values())) for c in cont.values()) if kept else 0.0
        steps.append({
            "rollouts": n,
            "accuracy": correct / n,
            "length": total_words / n,
            "planning_ratio": planning_words / total_words if total_words else 0.0,
            "semantic_entropy": entropy(list(sg_counts.values())),
            "conditional_entropy": cond,
            "pass_at_1": sum(c / k for k, c in prompts.values()) / len(prompts),
        })
    print(json.dumps({"seconds": time.perf_counter() - t0, "bytes": nbytes, "steps": steps}))


if __name__ == "__main__":
    main()
