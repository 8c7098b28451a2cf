"""Prints the API benchmark's table from the run's results (bench/api/run): one results.r<round>.jsonl per
round, given in round order. With several rounds every figure is the median over the rounds, the ratios are
ratios of those medians, and each case's ratio in every round is listed below the targets."""

import json
import os
import statistics
import sys

TARGET_RPS, TARGET_P99, TARGET_MEM = 20.0, 0.1, 0.25
CORES = os.cpu_count() or 1


def fmt(v, width, digits=1):
    if v is None:
        return "-".rjust(width)
    if isinstance(v, float) and v >= 1000:
        return f"{v:{width}.0f}"
    return f"{v:{width}.{digits}f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def median_run(rs):
    """One run whose every number is the median of that number over the rounds' runs `rs`."""
    if len(rs) == 1:
        return rs[0]

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    out = dict(rs[0])
    for key, value in rs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in ("conns", "round"):
            out[key] = med(r.get(key) for r in rs)
        elif isinstance(value, dict):
            out[key] = {k: med(r.get(key, {}).get(k) for r in rs) for k in value}
    if "errors" in out:
        out["errors"] = sum(r["errors"] for r in rs)
    return out


def read(paths):
    """Every result line, each with the round it came from (its file's place in `paths`, from 1)."""
    lines = []
    for n, path in enumerate(paths, 1):
        if not os.path.exists(path):
            continue
        for line in open(path):
            if line.strip():
                lines.append({"round": n, **json.loads(line)})
    return lines


def main():
    lines = read(sys.argv[1:])
    rounds = sorted({r["round"] for r in lines})
    by_key = {}
    for r in lines:
        if r["kind"] == "run":
            by_key.setdefault((r["side"], r["case"], r["conns"]), []).append(r)
    runs = {k: median_run(rs) for k, rs in by_key.items()}
    cases = []
    for r in lines:
        if r["kind"] == "run" and (r["case"], r["conns"]) not in cases:
            cases.append((r["case"], r["conns"]))

    head = (f"{'case':<34}{'conns':>5} | {'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'RSS MB':>8}{'PSS MB':>8}"
            f"{'err':>5} | {'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'RSS MB':>8}{'PSS MB':>8}{'err':>5}"
            f" | {'req/s x':>8}{'p50':>7}{'p99':>7}{'RSS':>7}")
    print(f"{'':<39} | {'(a) ours: sahara-all (Rust)':<45} | {'(b) Python Sahara 19: sahara-api':<45} | ours/Python")
    print(head)
    print("-" * len(head))
    verdicts = []
    for case, conns in cases:
        a, b = runs.get(("rust", case, conns)), runs.get(("python", case, conns))
        cells = []
        for r in (a, b):
            if r is None:
                cells.append(f"{'(not run)':>45}")
                continue
            cells.append(f"{fmt(r['rps'], 8)}{fmt(r['p50_ms'], 8, 2)}{fmt(r['p99_ms'], 8, 2)}"
                         f"{fmt(r['rss_max_mb'], 8)}{fmt(r['pss_max_mb'], 8)}{r['errors']:>5}")
        rr = ratio(a and a["rps"], b and b["rps"])
        r50 = ratio(a and a["p50_ms"], b and b["p50_ms"])
        r99 = ratio(a and a["p99_ms"], b and b["p99_ms"])
        rmem = ratio(a and a["rss_max_mb"], b and b["rss_max_mb"])
        print(f"{case:<34}{conns:>5} | {cells[0]} | {cells[1]} | "
              f"{fmt(rr, 7)}x{fmt(r50, 7, 3)}{fmt(r99, 7, 3)}{fmt(rmem, 7, 3)}")
        verdicts.append((case, conns, rr, r99, rmem))

    print()
    print(f"{'targets (issue 6 item 7)':<48}{'req/s >= 20x':>16}{'p99 <= 1/10':>16}{'RSS <= 1/4':>16}")

    def mark(v, ok):
        return "-" if v is None else (f"{v:.3g} met" if ok(v) else f"{v:.3g} MISSED")

    for case, conns, rr, r99, rmem in verdicts:
        print(f"{case + ', ' + str(conns) + ' conns':<48}"
              f"{mark(rr, lambda v: v >= TARGET_RPS):>16}{mark(r99, lambda v: v <= TARGET_P99):>16}"
              f"{mark(rmem, lambda v: v <= TARGET_MEM):>16}")
    if len(rounds) > 1:
        print()
        print(f"(medians over {len(rounds)} rounds; each round's ratios, req/s x and p99, below)")
        for case, conns, *_ in verdicts:
            per = []
            for n in rounds:
                a = next((r for r in by_key.get(("rust", case, conns), []) if r["round"] == n), None)
                b = next((r for r in by_key.get(("python", case, conns), []) if r["round"] == n), None)
                rr, r99 = ratio(a and a["rps"], b and b["rps"]), ratio(a and a["p99_ms"], b and b["p99_ms"])
                per.append("-" if rr is None else f"{rr:.1f}x {r99:.3f}")
            print(f"{case + ', ' + str(conns) + ' conns':<48}" + "  |  ".join(per))

    print()
    print(f"{'CPU cores used during the measured run':<44}{'server':>8}{'MariaDB':>8}{'wrk':>8}{'Nova':>8}"
          f"{'rest':>8}{'server ms/req':>15}{'MariaDB ms/req':>16}{'stmts/req':>11}{'prepares/req':>14}")
    for case, conns in cases:
        for side, name in (("rust", "(a)"), ("python", "(b)")):
            r = runs.get((side, case, conns))
            if r is None or "cpu_cores" not in r:
                continue
            c = r["cpu_cores"]
            used = sum(v for v in c.values() if v is not None)
            print(f"{name + ' ' + case + ', ' + str(conns):<44}{fmt(c['server_s'], 8, 2)}{fmt(c['mariadb_s'], 8, 2)}"
                  f"{fmt(c['wrk_s'], 8, 2)}{fmt(c['nova_s'], 8, 2)}{fmt(CORES - used, 8, 2)}"
                  f"{fmt(r['server_cpu_ms_per_request'], 15, 3)}{fmt(r.get('mariadb_cpu_ms_per_request'), 16, 3)}"
                  f"{fmt(r.get('db_statements_per_request'), 11, 2)}{fmt(r.get('db_prepares_per_request'), 14, 2)}")

    print()
    for side, name in (("rust", "(a) ours"), ("python", "(b) Python")):
        idle = [r for r in lines if r["kind"] == "idle" and r["side"] == side]
        whens = list(dict.fromkeys(r["when"] for r in idle))
        idle = [median_run([r for r in idle if r["when"] == w]) for w in whens]
        rs = [r for rs in by_key.values() for r in rs if r["side"] == side]
        parts = [f"{r['when']} {r['rss_mb']:.1f} MB RSS / {r['pss_mb']:.1f} MB PSS ({r['processes']:.0f} process"
                 f"{'es' if r['processes'] > 1 else ''})" for r in idle]
        if rs:
            parts.append(f"max during the runs {max(r['rss_max_mb'] for r in rs):.1f} MB RSS / "
                         f"{max(r['pss_max_mb'] for r in rs):.1f} MB PSS")
        if parts:
            print(f"{name} memory: " + "; ".join(parts))
    for r in lines:
        if r["kind"] == "rows":
            verdict = "ok" if r["rows"] >= r["posted"] else "MISSING ROWS"
            where = f" (round {r['round']})" if len(rounds) > 1 else ""
            print(f"{'(a) ours' if r['side'] == 'rust' else '(b) Python'}{where}: {r['rows']} templates created by the POST "
                  f"runs in its database, {r['posted']} POSTs answered 2xx (warm-up included): {verdict}; "
                  f"{r['flavor_lists']} flavor lists asked of the fake Nova for {r['rows'] + r['seeds']} creates")
    for r in lines:
        if r["kind"] == "seed" and r["round"] == rounds[0]:
            print(f"{'(a) ours' if r['side'] == 'rust' else '(b) Python'}: GET /v2/node-group-templates lists "
                  f"{r['listed']} templates ({r['bytes']} bytes); GET /v2/plugins {r['plugins_bytes']} bytes")


if __name__ == "__main__":
    main()
