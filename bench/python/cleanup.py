"""Deletes what an oslo.messaging benchmark run leaves on the broker.

oslo.messaging never deletes its topic queues (`T`, `T.<server>`), its control
exchange, its reply queues (`reply_<hex>`, which only expire after
rabbit_transient_queues_ttl = 30 min) or, on a plain stop, its fanout queues.

    cleanup.py --url rabbit://guest:guest@127.0.0.1:5672/ \
        [--marker RUN_ID] [--queue NAME ...] [--exchange NAME ...]

--marker deletes every queue and exchange whose name contains RUN_ID (found with
`rabbitmqctl list_queues` / `list_exchanges`, so it needs rabbitmqctl).
"""

import argparse
import subprocess
import urllib.parse

import kombu


def kombu_url(url):
    """The kombu (py-amqp) form of an oslo `rabbit://` transport URL."""
    parts = urllib.parse.urlsplit(url)
    vhost = parts.path[1:] or '/'
    netloc = parts.netloc.split(',')[0]
    return 'amqp://%s/%s' % (netloc, urllib.parse.quote(vhost, safe=''))


def rabbitmqctl_names(what):
    """Names from `rabbitmqctl list_<what> name`."""
    out = subprocess.run(['rabbitmqctl', '-q', 'list_' + what, 'name'],
                         check=True, capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines()
            if line.strip() and line.strip() != 'name']


def matching(marker):
    """Queues and exchanges whose name contains `marker`."""
    queues = [q for q in rabbitmqctl_names('queues') if marker in q]
    exchanges = [x for x in rabbitmqctl_names('exchanges') if marker in x]
    return queues, exchanges


def delete(url, queues=(), exchanges=()):
    """Deletes the named queues and exchanges; missing ones are fine."""
    with kombu.Connection(kombu_url(url)) as conn:
        conn.connect()
        for q in queues:
            ch = conn.channel()
            try:
                ch.queue_delete(queue=q)
            except Exception:
                pass
            finally:
                try:
                    ch.close()
                except Exception:
                    pass
        for x in exchanges:
            ch = conn.channel()
            try:
                ch.exchange_delete(exchange=x)
            except Exception:
                pass
            finally:
                try:
                    ch.close()
                except Exception:
                    pass


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
    p.add_argument('--marker')
    p.add_argument('--queue', action='append', default=[])
    p.add_argument('--exchange', action='append', default=[])
    args = p.parse_args()
    queues, exchanges = list(args.queue), list(args.exchange)
    if args.marker:
        q, x = matching(args.marker)
        queues += q
        exchanges += x
    delete(args.url, queues, exchanges)
    print('deleted queues=%s exchanges=%s' % (queues, exchanges))


if __name__ == '__main__':
    main()
