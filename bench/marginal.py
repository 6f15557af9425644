#!/usr/bin/env python3
"""The CPU each tool spends per 1,000 requests once running, apart from its start-up and end.

Give two results folders of bench/run.sh with the same settings but BENCH_SECONDS, a short run and a long one
(e.g. 10 and 30 s). For each row and tool, the marginal cost is the CPU the long run spent beyond the short run,
per request it made beyond it: (cpu_long - cpu_short) / (requests_long - requests_short), over the repetitions paired
in order (rep 1 with rep 1, ...), median and spread. A process's start-up (runtime, JIT, connections) and end are in
both runs, so they cancel; the whole-process figure of the long run is printed beside it.

    bench/marginal.py bench/.cache/results/SHORT bench/.cache/results/LONG
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import PARSERS, TOOLS, fmt, median, parse_time, read  # noqa: E402

NAME = re.compile(r"^(?P<row>.+)-(?P<tool>" + "|".join(sorted(TOOLS, key=len, reverse=True)) + r")-(?P<rep>\d+)\.time$")


def runs(folder):
    """{(row, tool): {rep: (cpu_s, requests)}} of the runs in FOLDER that finished with figures."""
    found = {}
    for entry in sorted(os.listdir(folder)):
        m = NAME.match(entry)
        if not m:
            continue
        base = os.path.join(folder, entry[: -len(".time")])
        time = parse_time(read(base + ".time"))
        figures = PARSERS[m["tool"]](read(base + ".out"), base)
        if time and figures and figures["requests"]:
            found.setdefault((m["row"], m["tool"]), {})[int(m["rep"])] = (time["cpu_s"], figures["requests"])
    return found


def main(short_folder, long_folder):
    short, long = runs(short_folder), runs(long_folder)
    print("| row | tool | reps | marginal CPU-ms / 1k: median (min–max) | whole process, long run: CPU-ms / 1k |")
    print("|---|---|---|---|---|")
    for key in sorted(long):
        if key not in short:
            continue
        pairs = [(short[key][rep], long[key][rep]) for rep in sorted(long[key]) if rep in short[key]]
        marginal = [1e6 * (cl - cs) / (rl - rs) for (cs, rs), (cl, rl) in pairs if rl > rs]
        whole = [1e6 * cl / rl for _, (cl, rl) in pairs]
        if not marginal:
            continue
        spread = f" ({fmt(min(marginal))}–{fmt(max(marginal))})" if len(marginal) > 1 else ""
        print(f"| {key[0]} | {key[1]} | {len(marginal)} | {fmt(median(marginal))}{spread} | {fmt(median(whole))} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
