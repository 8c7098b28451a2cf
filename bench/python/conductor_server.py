"""Conductor benchmark, implementation (b), server side: Python Sahara 19's own conductor
(sahara.conductor.manager.ConductorManager) served over oslo.messaging 18.3.1.

    conductor_server.py --config-file sahara.conf --topic T [--server bench]
                        [--executor eventlet|threading]

Sahara 19 has no conductor service of its own (its conductor always ran in-process:
`sahara.conductor.Api` raises "Remote conductor isn't implemented yet" for anything but
LocalApi), so this script builds the remote one the way Sahara builds its other RPC
servers (sahara/utils/rpc.py RPCServer, sahara/service/ops.py OpsServer):

- oslo.config is loaded like `sahara.config.parse_configs` from the --config-file, which
  gives `[database] connection` (and pool options) and `[DEFAULT] transport_url` /
  `control_exchange`; `oslo_messaging.set_transport_defaults('sahara')` comes first, as
  in `sahara.utils.rpc.setup`.
- `oslo_messaging.get_rpc_server(transport, Target(topic=T, server=S, version='1.0'),
  [ConductorManager()], executor=..., access_policy=DefaultRPCAccessPolicy,
  serializer=...)`. The default executor is eventlet after
  `sahara.utils.patches.patch_all()`, exactly what sahara-engine runs with; `--executor
  threading` is oslo's non-deprecated alternative (64 worker threads by default).
- The serializer is Sahara's `ContextSerializer(JsonPayloadSerializer())` from
  sahara/utils/rpc.py: results go through `jsonutils.to_primitive(convert_instances=True)`
  (datetimes become ISO strings). Its `deserialize_context` returns None (Sahara only
  ever used that class on the sending side, for notifications), and ConductorManager
  needs a context (`context.tenant_id`, `context.is_admin`), so the one method is
  overridden to do what OpsServer's `request_context` does: `context.Context(...)` from
  the incoming dict, then `context.set_ctx(...)`. Only the keys `Context.__init__` takes
  are passed (Sahara's `Context(**ctx)` would log "Arguments dropped" for the oslo keys
  of every call).

Prints one JSON "ready" line once it consumes. On SIGTERM or SIGINT it stops consuming,
waits for the calls in flight, disposes of the database engine (connections close
cleanly, nothing aborted), cleans the transport up and deletes what oslo leaves on the
broker (T, T.S, its fanout queue and exchange, the control exchange).
"""

import argparse
import json
import os
import signal
import sys

SERVER_NAME = 'bench'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config-file', required=True,
                   help='sahara.conf: [DEFAULT] transport_url, control_exchange; [database]')
    p.add_argument('--topic', required=True)
    p.add_argument('--server', default=SERVER_NAME)
    p.add_argument('--executor', choices=('eventlet', 'threading'), default='eventlet')
    return p.parse_args()


def main():
    args = parse_args()
    if args.executor == 'eventlet':
        # What every sahara-* entry point does before anything else.
        from sahara.utils import patches
        patches.patch_all()

    import threading

    import oslo_messaging
    from oslo_config import cfg
    from oslo_messaging.rpc import dispatcher

    # Importing these registers every option the conductor path reads (as
    # sahara.config.parse_configs' callers get them), see
    # services/conductor/tests/python/sahara_conductor_driver.py.
    from sahara import config  # noqa: F401
    from sahara import context
    from sahara.conductor import manager
    from sahara.db.sqlalchemy import api as db_api
    from sahara.service.castellan import config as castellan_config
    from sahara.utils import cluster_progress_ops  # noqa: F401
    from sahara.utils import rpc as sahara_rpc

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cleanup
    from server import fanout_queues

    context_keys = ('user_id', 'tenant_id', 'auth_token', 'service_catalog', 'username',
                    'tenant_name', 'roles', 'is_admin', 'resource_uuid', 'request_id')

    class ConductorSerializer(sahara_rpc.ContextSerializer):
        """Sahara's ContextSerializer; the context becomes a sahara.context.Context."""

        @staticmethod
        def deserialize_context(ctxt):
            ctx = context.Context(**{k: ctxt[k] for k in context_keys if k in ctxt})
            context.set_ctx(ctx)
            return ctx

    oslo_messaging.set_transport_defaults('sahara')
    # Like sahara.config.parse_configs, without reading our own command line.
    cfg.CONF(args=[], project='sahara', default_config_files=[args.config_file])
    castellan_config.validate_config()

    transport = oslo_messaging.get_rpc_transport(cfg.CONF)
    url, exchange = cfg.CONF.transport_url, cfg.CONF.control_exchange
    target = oslo_messaging.Target(topic=args.topic, server=args.server, version='1.0')
    serializer = ConductorSerializer(sahara_rpc.JsonPayloadSerializer())
    server = oslo_messaging.get_rpc_server(
        transport, target, [manager.ConductorManager()], executor=args.executor,
        serializer=serializer, access_policy=dispatcher.DefaultRPCAccessPolicy)

    # Connect to the database before declaring ready, so the first measured call does
    # not pay for it.
    with db_api.get_engine().connect():
        pass

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    fanout = fanout_queues(server)
    print(json.dumps({'ready': True, 'impl': 'python-sahara', 'executor': args.executor,
                      'pid': os.getpid()}), flush=True)
    while not stop.wait(1.0):
        pass
    server.stop()
    server.wait()          # the calls in flight finish; their sessions are closed
    db_api.get_engine().dispose()
    transport.cleanup()
    cleanup.delete(url,
                   queues=[args.topic, '%s.%s' % (args.topic, args.server)] + fanout,
                   exchanges=[exchange, args.topic + '_fanout'])


if __name__ == '__main__':
    main()
