"""Implementation (b), client side: oslo.messaging RPC calls and casts.

    client.py --url U --exchange X --topic T call <callers> <warmup_s> <run_s>
    client.py --url U --exchange X --topic T cast <n> <warmup_n>

call: one transport and one RPCClient shared by <callers> threads, each looping
client.call({}, "echo", value="x"); a call counts when it starts after the
warm-up and ends inside the measured window (as the Rust clients count).
cast: as bench/README.md describes; the rate is n over the time from the first
send to the server's stamp of the n-th cast.
Prints one JSON line, then deletes the reply queue oslo created (it would
otherwise stay on the broker for 30 minutes).
"""

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import oslo_messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402

import cleanup  # noqa: E402


def percentile(sorted_values, q):
    """Nearest-rank percentile of a sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(q * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def run_calls(client, callers, warmup, run):
    """Closed loops of echo calls; returns (latencies in seconds, errors)."""
    start = time.perf_counter() + warmup
    end = start + run
    results = [[] for _ in range(callers)]
    errors = [0] * callers
    first_error = []

    def loop(i):
        mine = results[i]
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            try:
                client.call({}, 'echo', value='x')
            except Exception as e:
                errors[i] += 1
                if not first_error:
                    first_error.append(repr(e))
                continue
            t1 = time.perf_counter()
            if t0 >= start and t1 <= end:
                mine.append(t1 - t0)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if first_error:
        print('first request error: %s' % first_error[0], file=sys.stderr)
    latencies = sorted(x for r in results for x in r)
    return latencies, sum(errors)


def wait_for_casts(client, n):
    """Polls cast_stats until the server has seen n casts (60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        stats = client.call({}, 'cast_stats')
        if stats['count'] >= n:
            return stats
        if time.monotonic() > deadline:
            raise RuntimeError('the server saw only %s of %s casts' % (stats['count'], n))
        time.sleep(0.02)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
    p.add_argument('--exchange', required=True)
    p.add_argument('--topic', required=True)
    sub = p.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('call')
    c.add_argument('callers', type=int)
    c.add_argument('warmup_s', type=float)
    c.add_argument('run_s', type=float)
    k = sub.add_parser('cast')
    k.add_argument('n', type=int)
    k.add_argument('warmup_n', type=int)
    args = p.parse_args()

    oslo_messaging.set_transport_defaults(control_exchange=args.exchange)
    transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=args.url)
    client = oslo_messaging.get_rpc_client(
        transport, oslo_messaging.Target(topic=args.topic), timeout=30)
    reply_queue = None
    try:
        client.call({}, 'echo', value='x')  # creates the reply queue and connections
        reply_queue = transport._driver._reply_q
        if args.mode == 'call':
            lat, errors = run_calls(client, args.callers, args.warmup_s, args.run_s)
            line = {'impl': 'python', 'mode': 'call', 'callers': args.callers,
                    'count': len(lat), 'errors': errors, 'seconds': args.run_s,
                    'throughput': round(len(lat) / args.run_s, 3),
                    'p50_ms': round(percentile(lat, 0.5) * 1e3, 3),
                    'p99_ms': round(percentile(lat, 0.99) * 1e3, 3),
                    'max_ms': round((lat[-1] if lat else 0.0) * 1e3, 3)}
        else:
            for _ in range(args.warmup_n):
                client.cast({}, 'cast_echo', value='x')
            wait_for_casts(client, args.warmup_n)
            client.call({}, 'cast_reset')
            start_wall = time.time()
            t0 = time.perf_counter()
            errors = 0
            for _ in range(args.n):
                try:
                    client.cast({}, 'cast_echo', value='x')
                except Exception:
                    errors += 1
            send_s = time.perf_counter() - t0
            stats = wait_for_casts(client, args.n - errors)
            recv_s = max((stats['last'] or start_wall) - start_wall, 1e-9)
            line = {'impl': 'python', 'mode': 'cast', 'n': args.n, 'errors': errors,
                    'sent_per_s': round(args.n / send_s, 3),
                    'throughput': round(args.n / recv_s, 3),
                    'seconds': round(recv_s, 3)}
    finally:
        transport.cleanup()
        if reply_queue:
            cleanup.delete(args.url, queues=[reply_queue])
    times = os.times()
    line['cpu_s'] = round(times.user + times.system, 3)
    line['wall_s'] = round(time.perf_counter() - _STARTED, 3)
    line['reply_queue'] = reply_queue
    print(json.dumps(line), flush=True)


if __name__ == '__main__':
    main()
