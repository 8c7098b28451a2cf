"""Prints the RPC benchmark table from the JSON lines bench/rpc/run collected.

    report.py RESULTS.jsonl

Each line is one client's result (see bench/README.md) plus the fields the run
script adds: round, server_cpu_s and broker_cpu_s (CPU used over the client's
lifetime). With several rounds, each figure is the median over the rounds.
"""

import json
import statistics
import sys

NAMES = {
    'rust': '(a) sahara-rpc',
    'python': '(b) oslo.messaging',
    'lapin': '(c) raw lapin',
}
TARGET_LATENCY = 1.5   # (a) within 1.5x of (c)
TARGET_CALLS = 5.0     # (a) at least 5x (b) at 16 callers


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def cores(rows, key):
    """CPU seconds of `key` over the client's lifetime, in cores."""
    vals = [r[key] / r['wall_s'] for r in rows
            if r.get(key) is not None and r.get('wall_s')]
    return statistics.median(vals) if vals else None


def fmt(x, spec='.0f'):
    return '-' if x is None else format(x, spec)


def ratio(a, b):
    return None if a is None or not b else a / b


def main():
    rows = load(sys.argv[1])
    groups = {}
    for r in rows:
        key = (r['impl'], r['mode'], r.get('callers'))
        groups.setdefault(key, []).append(r)
    callers = sorted({k[2] for k in groups if k[1] == 'call'})
    rounds = len({r.get('round', 1) for r in rows})

    head = '%-46s %10s %9s %9s %7s   %s' % (
        'run', 'per s', 'p50 ms', 'p99 ms', 'errors', 'CPU cores client / server / broker')
    print(head)
    print('-' * len(head))

    def line(label, rs, latency=True):
        cpu = '%s / %s / %s' % (fmt(cores(rs, 'cpu_s'), '.2f'),
                                fmt(cores(rs, 'server_cpu_s'), '.2f'),
                                fmt(cores(rs, 'broker_cpu_s'), '.2f'))
        errors = sum(r.get('errors', 0) for r in rs)
        print('%-46s %10s %9s %9s %7d   %s' % (
            label, fmt(median(rs, 'throughput')),
            fmt(median(rs, 'p50_ms'), '.3f') if latency else '-',
            fmt(median(rs, 'p99_ms'), '.3f') if latency else '-', errors, cpu))

    for n in callers:
        for impl in ('rust', 'python', 'lapin'):
            rs = groups.get((impl, 'call', n))
            if rs:
                line('%s call, %d caller%s' % (NAMES[impl], n, '' if n == 1 else 's'), rs)
    for impl in ('rust', 'python'):
        rs = groups.get((impl, 'cast', None))
        if rs:
            line('%s cast x%d (received/s)' % (NAMES[impl], rs[0]['n']), rs, latency=False)
    if rounds > 1:
        print('(medians over %d rounds)' % rounds)

    print()
    cols = ''.join('%14s' % ('%d caller%s' % (n, '' if n == 1 else 's')) for n in callers)
    print('%-30s%s   %s' % ('ratio', cols, 'target'))

    def get(impl, n, key):
        rs = groups.get((impl, 'call', n))
        return median(rs, key) if rs else None

    verdicts = []

    def ratio_row(label, values, target, check=None):
        cells = ''.join('%14s' % (fmt(v, '.2f') + 'x' if v is not None else '-') for v in values)
        verdict = ''
        if check:
            ok = check(values)
            if ok is not None:
                verdict = '  ' + ('met' if ok else 'MISSED')
                verdicts.append(ok)
        print('%-30s%s   %s%s' % (label, cells, target, verdict))

    def all_le(limit):
        return lambda vs: None if any(v is None for v in vs) else all(v <= limit for v in vs)

    p50 = [ratio(get('rust', n, 'p50_ms'), get('lapin', n, 'p50_ms')) for n in callers]
    p99 = [ratio(get('rust', n, 'p99_ms'), get('lapin', n, 'p99_ms')) for n in callers]
    calls_b = [ratio(get('rust', n, 'throughput'), get('python', n, 'throughput')) for n in callers]
    calls_c = [ratio(get('rust', n, 'throughput'), get('lapin', n, 'throughput')) for n in callers]
    ratio_row('(a)/(c) latency p50', p50, '<= %.1fx' % TARGET_LATENCY, all_le(TARGET_LATENCY))
    ratio_row('(a)/(c) latency p99', p99, '<= %.1fx' % TARGET_LATENCY, all_le(TARGET_LATENCY))
    idx16 = callers.index(16) if 16 in callers else len(callers) - 1
    ratio_row('(a)/(b) calls/s', calls_b, '>= %.0fx at %d callers' % (TARGET_CALLS, callers[idx16]),
              lambda vs: None if vs[idx16] is None else vs[idx16] >= TARGET_CALLS)
    ratio_row('(a)/(c) calls/s', calls_c, '(share of the raw limit)')
    casts = [median(groups.get((i, 'cast', None), []), 'throughput') for i in ('rust', 'python')]
    if all(casts):
        print('%-30s%14s   %s' % ('(a)/(b) casts received/s', fmt(casts[0] / casts[1], '.2f') + 'x', ''))
    print()
    print('targets: %s' % ('all met' if verdicts and all(verdicts) else
                           '%d of %d missed' % (verdicts.count(False), len(verdicts))))


if __name__ == '__main__':
    main()
