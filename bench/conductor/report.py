"""Prints the conductor benchmark table from the JSON lines bench/conductor/run collected.

    report.py RESULTS.jsonl

Client lines are what `sahara-conductor-bench client` prints (see bench/README.md) plus
the fields the run script adds: round, server ("rust" or "python") and the CPU seconds
the server, MariaDB and the broker used over the client's lifetime. Lines with
"kind": "rows" give how many templates each server's database held afterwards. With
several rounds, each figure is the median over the rounds.
"""

import json
import statistics
import sys

NAMES = {
    'rust': '(a) sahara-conductor',
    'python': '(b) Python Sahara 19',
}


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


def plural(n):
    return '%d caller%s' % (n, '' if n == 1 else 's')


def main():
    rows = load(sys.argv[1])
    calls = [r for r in rows if r.get('kind') != 'rows']
    stored = [r for r in rows if r.get('kind') == 'rows']
    groups = {}
    for r in calls:
        groups.setdefault((r['server'], r['mode'], r['callers']), []).append(r)
    callers = sorted({k[2] for k in groups})
    rounds = len({r.get('round', 1) for r in calls})

    head = '%-40s %9s %9s %9s %7s   %s' % (
        'run', 'calls/s', 'p50 ms', 'p99 ms', 'errors',
        'CPU cores client / server / MariaDB / broker')
    print(head)
    print('-' * len(head))
    for mode in ('read', 'write'):
        for n in callers:
            for server in ('rust', 'python'):
                rs = groups.get((server, mode, n))
                if not rs:
                    continue
                cpu = ' / '.join(fmt(cores(rs, k), '.2f')
                                 for k in ('cpu_s', 'server_cpu_s', 'db_cpu_s', 'broker_cpu_s'))
                print('%-40s %9s %9s %9s %7d   %s' % (
                    '%s %s, %s' % (NAMES[server], mode, plural(n)),
                    fmt(median(rs, 'throughput')), fmt(median(rs, 'p50_ms'), '.3f'),
                    fmt(median(rs, 'p99_ms'), '.3f'), sum(r.get('errors', 0) for r in rs), cpu))
    if rounds > 1:
        print('(medians over %d rounds)' % rounds)

    print()
    cols = [(mode, n) for mode in ('read', 'write') for n in callers]
    print('%-22s%s' % ('ratio', ''.join('%18s' % ('%s, %s' % (m, plural(n))) for m, n in cols)))

    def get(server, mode, n, key):
        rs = groups.get((server, mode, n))
        return median(rs, key) if rs else None

    def ratio_row(label, key, note):
        cells = []
        for m, n in cols:
            v = ratio(get('rust', m, n, key), get('python', m, n, key))
            cells.append('%18s' % (fmt(v, '.2f') + 'x' if v is not None else '-'))
        print(('%-22s%s   %s' % (label, ''.join(cells), note)).rstrip())

    ratio_row('(a)/(b) calls/s', 'throughput', '(higher: (a) serves more)')
    ratio_row('(a)/(b) latency p50', 'p50_ms', '(lower: (a) answers sooner)')
    ratio_row('(a)/(b) latency p99', 'p99_ms', '')

    # Sanity: every write the clients counted is in the server's database (plus one seed
    # template per client run, and the writes of the warm-up and of the window's edges).
    print()
    for server in ('rust', 'python'):
        srows = [r for r in stored if r['server'] == server]
        if not srows:
            continue
        in_db = sum(r['rows'] for r in srows)
        runs = [r for r in calls if r['server'] == server]
        counted = sum(r['count'] for r in runs if r['mode'] == 'write') + len(runs)
        print('%s: %d templates in its database, >= %d expected (counted writes + seeds): %s' % (
            NAMES[server], in_db, counted, 'ok' if in_db >= counted else 'MISSING ROWS'))


if __name__ == '__main__':
    main()
