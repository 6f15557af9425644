#!/usr/bin/env python3
"""Reads the raw outputs bench/run.sh saved in one results folder and prints the Markdown tables of bench/README.md.

Each run left NAME.out (the tool's output) and NAME.time (/usr/bin/time -v), NAME = BODY-MODE-TOOL-REP,
density-USERS-loadkit-REP or skew-WORKERS-loadkit-REP. Generator CPU is user + system time of the whole process
(start-up included) as /usr/bin/time saw it; peak RSS is its maximum resident set size.
"""
import csv
import json
import os
import re
import statistics
import sys

TOOLS = ["loadkit", "loadkit_engine", "loadkit_socket", "wrk", "hey", "ab", "autocannon", "locust"]
# Per CPU-second of the generator, LoadKit should reach at least this share of each peer (issue 7; ab has no target).
TARGET_RATIO = {"wrk": 0.5, "hey": 1.0, "autocannon": 1.0, "locust": 1.0}


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def number(pattern, text, default=None):
    m = re.search(pattern, text, re.MULTILINE)
    return float(m.group(1)) if m else default


def parse_time(text):
    user = number(r"User time \(seconds\): ([\d.]+)", text)
    system = number(r"System time \(seconds\): ([\d.]+)", text)
    rss = number(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if user is None or system is None:
        return None
    return {"cpu_s": user + system, "rss_mib": rss / 1024 if rss else None}


def bench_line(text):
    for line in text.splitlines():
        if line.startswith("BENCH "):
            return {k: v for k, v in (p.split("=", 1) for p in line.split()[1:])}
    return None


def parse_loadkit(text, _):
    b = bench_line(text)
    if not b:
        return None
    return {"requests": float(b["requests"]), "errors": float(b["errors"]), "rps": float(b["rps"]),
            "p50": float(b["p50_ms"]), "p95": float(b["p95_ms"]), "p99": float(b["p99_ms"]),
            "scheduled_p99": float(b["scheduled_p99_ms"]), "dropped": float(b["dropped"])}


def parse_wrk(text, _):
    m = re.search(r"^WRK (.*)$", text, re.MULTILINE)
    if not m:
        return None
    v = {k: float(x) for k, x in (p.split("=") for p in m.group(1).split())}
    return {"requests": v["requests"], "errors": v["errors"], "rps": v["requests"] / (v["duration_us"] / 1e6),
            "p50": v["p50_us"] / 1000, "p95": v["p95_us"] / 1000, "p99": v["p99_us"] / 1000}


def parse_hey(text, _):
    rps = number(r"Requests/sec:\s+([\d.]+)", text)
    if rps is None:
        return None
    statuses, _, failures = text.partition("Error distribution:")
    codes = [(code, int(n)) for code, n in re.findall(r"^\s+\[(\d+)\]\s+(\d+) responses", statuses, re.MULTILINE)]
    errors = sum(n for code, n in codes if not code.startswith("2")) + sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", failures, re.MULTILINE))
    return {"requests": sum(n for _, n in codes) + sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", failures, re.MULTILINE)),
            "errors": errors, "rps": rps,
            "p50": number(r"50%+ in ([\d.]+) secs", text, 0) * 1000, "p95": number(r"95%+ in ([\d.]+) secs", text, 0) * 1000,
            "p99": number(r"99%+ in ([\d.]+) secs", text, 0) * 1000}


def parse_ab(text, _):
    rps = number(r"Requests per second:\s+([\d.]+)", text)
    if rps is None:
        return None
    return {"requests": number(r"Complete requests:\s+(\d+)", text, 0),
            "errors": number(r"Failed requests:\s+(\d+)", text, 0) + number(r"Non-2xx responses:\s+(\d+)", text, 0),
            "rps": rps, "p50": number(r"^\s+50%\s+(\d+)", text), "p95": number(r"^\s+95%\s+(\d+)", text),
            "p99": number(r"^\s+99%\s+(\d+)", text)}


def parse_autocannon(text, _):
    for line in text.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            lat = r["latency"]
            return {"requests": r["requests"]["total"], "errors": r["errors"] + r["timeouts"] + r["non2xx"],
                    "rps": r["requests"]["total"] / r["duration"], "p50": lat["p50"], "p95": lat["p97_5"], "p99": lat["p99"]}
    return None


def parse_locust(_, name):
    rows = list(csv.DictReader(open(name + "_stats.csv"))) if os.path.exists(name + "_stats.csv") else []
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if not total:
        return None
    return {"requests": float(total["Request Count"]), "errors": float(total["Failure Count"]), "rps": float(total["Requests/s"]),
            "p50": float(total["50%"]), "p95": float(total["95%"]), "p99": float(total["99%"])}


PARSERS = {"loadkit": parse_loadkit, "loadkit_engine": parse_loadkit, "loadkit_socket": parse_loadkit, "wrk": parse_wrk, "hey": parse_hey, "ab": parse_ab, "autocannon": parse_autocannon, "locust": parse_locust}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def spread(values, digits=1):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(statistics.median(values), digits)} ({fmt(min(values), digits)}–{fmt(max(values), digits)})"


def describe(body):
    """A row group's body and scheme: 2b, 1k; with tls, over HTTPS (nginx's self-signed certificate, keep-alive)."""
    size = "2-byte" if body.startswith("2b") else "1 KiB"
    return f"{size} response over HTTPS" if body.endswith("tls") else f"{size} response"


def main(folder):
    meta = dict(line.rstrip("\n").split("=", 1) for line in open(os.path.join(folder, "meta.txt")) if "=" in line)
    seconds = float(re.search(r"BENCH_SECONDS=(\d+)", meta["settings"]).group(1))
    rate = float(re.search(r"BENCH_RATE=(\d+)", meta["settings"]).group(1))
    runs = {}
    for file in sorted(os.listdir(folder)):
        if not file.endswith(".out"):
            continue
        name = file[:-4]
        parts = name.split("-")
        key, tool = tuple(parts[:-2]), parts[-2]
        base = os.path.join(folder, name)
        time = parse_time(read(base + ".time"))
        text = read(base + ".out")
        figures = None
        if key[0] in ("density", "skew"):
            figures = bench_line(text)
            figures = {k: float(v) for k, v in figures.items() if re.fullmatch(r"-?[\d.]+", v)} if figures else None
        else:
            try:
                figures = PARSERS[tool](text, base)
            except (KeyError, ValueError, TypeError) as error:
                print(f"<!-- {name}: could not parse ({error}) -->")
        if figures is None or time is None:
            print(f"<!-- {name}: no figures (the run failed; see {base}.out) -->")
            continue
        figures.update(time)
        if "requests" in figures and figures["requests"]:
            figures["cpu_ms_per_1k"] = figures["cpu_s"] * 1000 / (figures["requests"] / 1000)
            figures["per_cpu_s"] = figures["requests"] / figures["cpu_s"]
            figures["achieved"] = (figures["requests"] - figures["errors"]) / seconds
        runs.setdefault(key, {}).setdefault(tool, []).append(figures)

    print(f"Run of {meta['date']} on {meta['machine']}.  ")
    print(f"{meta['versions']}.  ")
    print(f"Settings: {meta['settings']}. Generator and nginx share the machine's cores.\n")
    missed = []

    for body in ("2b", "1k", "2btls", "1ktls"):
        for mode in ("max", "rate"):
            group = runs.get((body, mode))
            if not group:
                continue
            lk = median(f["per_cpu_s"] for f in group.get("loadkit", []) if "per_cpu_s" in f)
            if mode == "max":
                print(f"### Maximum throughput, {describe(body)}\n")
                print("| Tool | req/s | p50 ms | p95 ms | p99 ms | CPU s | CPU-ms / 1k req | req / CPU-s | peak RSS MiB | errors | LoadKit ÷ tool (req / CPU-s) |")
                print("|---|---|---|---|---|---|---|---|---|---|---|")
            else:
                print(f"### Fixed rate {rate:,.0f}/s, {describe(body)}\n")
                print("| Tool | achieved req/s | off target % | p50 ms | p95 ms | p99 ms | CPU s | CPU-ms / 1k req | peak RSS MiB | errors | LoadKit ÷ tool (req / CPU-s) |")
                print("|---|---|---|---|---|---|---|---|---|---|---|")
            for tool in TOOLS:
                rows = [f for f in group.get(tool, []) if "per_cpu_s" in f]
                if not rows:
                    if mode == "rate" and tool in ("wrk", "ab"):
                        print(f"| {tool} | n/a (no rate option) | | | | | | | | | |")
                    continue
                peer = median(f["per_cpu_s"] for f in rows)
                ratio = "–" if tool == "loadkit" or lk is None else f"{lk / peer:.2f}×"
                if tool in TARGET_RATIO and lk is not None and mode == "max" and lk / peer < TARGET_RATIO[tool]:
                    missed.append(f"{body} max: LoadKit ÷ {tool} = {lk / peer:.2f}× (target ≥ {TARGET_RATIO[tool]}×)")
                p95 = fmt(median(f["p95"] for f in rows), 2) + (" (p97.5)" if tool == "autocannon" else "")
                common = (f"{p95} | {fmt(median(f['p99'] for f in rows), 2)} | {spread([f['cpu_s'] for f in rows], 2)} | "
                          f"{spread([f['cpu_ms_per_1k'] for f in rows])} |")
                if mode == "max":
                    print(f"| {tool} | {spread([f['rps'] for f in rows], 0)} | {fmt(median(f['p50'] for f in rows), 2)} | {common} "
                          f"{fmt(median(f['per_cpu_s'] for f in rows), 0)} | {fmt(median(f['rss_mib'] for f in rows))} | "
                          f"{fmt(median(f['errors'] for f in rows), 0)} | {ratio} |")
                else:
                    off = [100 * (f["achieved"] / rate - 1) for f in rows]
                    if tool == "loadkit" and abs(median(off)) > 0.5:
                        missed.append(f"{body} rate: LoadKit held {median(off):+.2f} % off {rate:,.0f}/s (target ±0.5 %)")
                    print(f"| {tool} | {spread([f['achieved'] for f in rows], 0)} | {spread(off, 2)} | {fmt(median(f['p50'] for f in rows), 2)} | "
                          f"{common} {fmt(median(f['rss_mib'] for f in rows))} | {fmt(median(f['errors'] for f in rows), 0)} | {ratio} |")
            if mode == "rate" and group.get("loadkit"):
                rows = group["loadkit"]
                print(f"\nLoadKit's p99 from each request's scheduled start (no coordinated omission): "
                      f"{fmt(median(f.get('scheduled_p99') for f in rows), 2)} ms; dropped iterations: {fmt(median(f.get('dropped') for f in rows), 0)}.")
            print()

    density = sorted((k for k in runs if k[0] == "density"), key=lambda k: int(k[1]))
    if density:
        print("### VU density (VUs that only think)\n")
        print("| VUs | peak RSS MiB (time -v) | RSS before → peak MiB (in process) | RSS bytes / VU | live heap MiB | live heap bytes / VU | CPU s (run) | CPU s (process) |")
        print("|---|---|---|---|---|---|---|---|")
        for key in density:
            rows = runs[key]["loadkit"]
            rss = median(f["rss_mib"] for f in rows)
            if int(key[1]) >= 100_000 and rss is not None and rss > 512:
                missed.append(f"{key[1]} thinking VUs: {rss:,.0f} MiB (target < 512 MiB)")
            print(f"| {int(key[1]):,} | {spread([f['rss_mib'] for f in rows])} | {fmt(median(f['rss_before_mib'] for f in rows))} → "
                  f"{fmt(median(f['rss_peak_mib'] for f in rows))} | {spread([f['bytes_per_user'] for f in rows], 0)} | "
                  f"{fmt(median(f['live_heap_mib'] for f in rows))} | {spread([f['live_heap_bytes_per_user'] for f in rows], 0)} | "
                  f"{spread([f['run_cpu_s'] for f in rows], 2)} | {spread([f['cpu_s'] for f in rows], 2)} |")
        print()

    skew = sorted((k for k in runs if k[0] == "skew"), key=lambda k: int(k[1]))
    if skew:
        print("### Distributed start (local etcd, N worker processes on this machine)\n")
        print("| workers | start skew µs | first calls apart µs (fresh / warm) | first arrivals at the target apart µs (fresh / warm) | clock offset spread µs | controller CPU-ms per s of load | controller CPU s during load | workers finished |")
        print("|---|---|---|---|---|---|---|---|")
        for key in skew:
            rows = runs[key]["loadkit"]
            s = median(f["start_skew_us"] for f in rows)
            if int(key[1]) == 2 and s is not None and s >= 100:
                missed.append(f"start skew with 2 workers: {s:,.0f} µs (target < 100 µs)")
            def pair(name):
                # -1: not measured (one worker has no spread; a worker's requests never arrived).
                values = {w: [f[f"{name}_{w}_us"] for f in rows if f.get(f"{name}_{w}_us", -1) >= 0] for w in ("fresh", "warm")}
                return " / ".join(spread(values[w], 0) if values[w] else "-" for w in ("fresh", "warm"))
            # Issue 23's targets for when the load reaches the target: 2 workers within 1 ms, 4 within 5 ms.
            bound = {2: 1000, 4: 5000}.get(int(key[1]))
            for w in ("fresh", "warm") if bound else ():
                v = median(f[f"target_spread_{w}_us"] for f in rows if f.get(f"target_spread_{w}_us", -1) >= 0)
                if v is not None and v > bound:
                    missed.append(f"first arrivals at the target with {int(key[1])} {w} workers: {v:,.0f} µs apart (target ≤ {bound:,} µs)")
            print(f"| {int(key[1])} | {spread([f['start_skew_us'] for f in rows], 0)} | {pair('first_call_spread')} | {pair('target_spread')} | "
                  f"{spread([f['offset_spread_us'] for f in rows], 0)} | "
                  f"{spread([f['controller_cpu_ms_per_s'] for f in rows])} | "
                  f"{spread([f['controller_cpu_s_during_load'] for f in rows], 3)} | {fmt(min(f['workers_finished'] for f in rows), 0)} / {int(key[1])} |")
        print()

    print("### Targets missed in this run\n")
    print("\n".join(f"- {m}" for m in missed) if missed else "- none")
    print("\nMedian of the repetitions; (min–max) where shown. CPU is user + system of the whole generator process "
          "(start-up included), from /usr/bin/time -v. ab's percentiles are whole milliseconds; autocannon's and Locust's "
          "are rounded too (Locust rounds below 100 ms to whole ms). Fixed rate: achieved = successful requests ÷ BENCH_SECONDS. "
          "Density: live heap after a full GC while every VU thinks. Skew: as the controller reports it (each worker's "
          "lateness on its own clock); the workers share this machine's clock, so the spread of their estimated offsets "
          "is the clock estimation error the skew cannot see. First calls and first arrivals: one VU per worker for 1 s "
          "against a recording server, on fresh workers, then again on the same (warm) workers; first calls as the "
          "controller reports them (FirstCallSpread), first arrivals as the server saw each worker's first request.")


if __name__ == "__main__":
    main(sys.argv[1])
