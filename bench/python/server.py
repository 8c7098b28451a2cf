"""Implementation (b), server side: oslo.messaging's RPC server with the benchmark endpoint.

    server.py --url U --exchange X --topic T

Serves echo / cast_echo / cast_stats / cast_reset on Target(topic=T, server="srv1")
with the threading executor and every driver option at its default, except the
control exchange (X). Prints one JSON "ready" line once its queues are declared;
on SIGTERM or SIGINT it stops, cleans the transport up and deletes what oslo
leaves behind (T, T.srv1, its fanout queue, exchange X).
"""

import argparse
import json
import os
import signal
import threading
import time

import oslo_messaging
from oslo_config import cfg

import cleanup

SERVER_NAME = 'srv1'


class Endpoint:
    """echo, plus a cast counter stamped with the wall-clock time of the last cast."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0
        self._last = None

    def echo(self, ctxt, value):
        return value

    def cast_echo(self, ctxt, value):
        now = time.time()
        with self._lock:
            self._count += 1
            self._last = now if self._last is None else max(self._last, now)

    def cast_stats(self, ctxt):
        with self._lock:
            return {'count': self._count, 'last': self._last}

    def cast_reset(self, ctxt):
        with self._lock:
            self._count = 0
            self._last = None


def fanout_queues(server):
    """The fanout queue names the server's listener declared (oslo internals; best effort)."""
    try:
        conn = server.listener._poll_style_listener.conn.connection
        return [c.queue_name for c in conn._consumers if '_fanout_' in c.queue_name]
    except Exception:
        return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
    p.add_argument('--exchange', required=True)
    p.add_argument('--topic', required=True)
    args = p.parse_args()

    oslo_messaging.set_transport_defaults(control_exchange=args.exchange)
    transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=args.url)
    target = oslo_messaging.Target(topic=args.topic, server=SERVER_NAME)
    server = oslo_messaging.get_rpc_server(transport, target, [Endpoint()],
                                           executor='threading')
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    fanout = fanout_queues(server)
    print(json.dumps({'ready': True, 'impl': 'python', 'pid': os.getpid()}), flush=True)
    while not stop.wait(1.0):
        pass
    server.stop()
    server.wait()
    transport.cleanup()
    cleanup.delete(args.url,
                   queues=[args.topic, '%s.%s' % (args.topic, SERVER_NAME)] + fanout,
                   exchanges=[args.exchange, args.topic + '_fanout'])


if __name__ == '__main__':
    main()
