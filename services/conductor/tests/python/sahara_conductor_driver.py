"""Drives the real Python Sahara 19 conductor (sahara.conductor.API, i.e. LocalApi over
ConductorManager over sahara.db.sqlalchemy.api) with a JSON list of calls, for the
fidelity tests that compare it with our Rust conductor.

Usage: python sahara_conductor_driver.py --connection <oslo.db URL> [--extra-conf <sahara.conf
text, e.g. "[DEFAULT]\njob_binary_max_KB = 1">] < request.json

Arguments use ConductorManager's parameter names (what our conductor's RPC methods take;
LocalApi renames a few), and objects are given by id (job_main_name/job_lib_names, which
LocalApi wants a Job object for, get the job looked up with the call's context).

The request is a JSON object:
  {"saved": {name: value, ...},          # optional: results saved by an earlier run
   "calls": [{"method": "cluster_create",
              "args": {"values": {...}},  # keyword arguments of the API method
              "ctx": {"tenant_id": "p", "user_id": "u", "is_admin": false},
              "save": "c1"},              # optional: remember the result as $c1
             ...]}

String arguments of the form "$name" or "$name.path.to.value" are replaced by what an
earlier call saved ("$name" alone is the saved value's "id" when it is an object), and
"${name...}" inside a longer string is replaced by its text. A path segment "key=value"
picks the element of a list whose "key" is the string "value"; a number picks by position.

Output: one JSON line per call, {"result": ...} or {"error": {"class", "code",
"message"}}, then one line {"saved": {...}}. Resources become the plain dicts they wrap
(every column: nothing filtered, as the conductor hands them to Sahara's services);
pages become {"items", "prev", "next"}; datetimes become "YYYY-MM-DDTHH:MM:SS" (as
Sahara's REST serializer writes them); bytes become {"base64": ...}.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import sys
import tempfile

CONF_TEMPLATE = """[DEFAULT]
debug = false
use_stderr = true

[database]
connection = {connection}
"""

DT_KEYS = ("start_time", "end_time")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")


def setup(connection, extra_conf):
    """Configures oslo.config as Sahara's services do (minus messaging): [database]
    connection, Sahara's own key manager (secrets stay inline), the rest defaults."""
    from oslo_config import cfg

    # Importing these registers every option the conductor path reads.
    from sahara import config  # noqa: F401 ([DEFAULT] job_binary_max_KB, ...)
    from sahara.service.castellan import config as castellan_config
    from sahara.utils import cluster_progress_ops  # noqa: F401 (disable_event_log)

    conf_dir = tempfile.mkdtemp(prefix="sahara-driver-")
    try:
        conf_file = os.path.join(conf_dir, "sahara.conf")
        with open(conf_file, "w") as f:
            f.write(CONF_TEMPLATE.format(connection=connection))
            f.write(extra_conf or "")
        # Like config.parse_configs, but not reading our own command line.
        cfg.CONF(args=[], project="sahara", default_config_files=[conf_file])
    finally:
        shutil.rmtree(conf_dir)
    castellan_config.validate_config()
    return cfg.CONF


def make_context(spec):
    from sahara import context

    spec = spec or {}
    ctx = context.Context(
        user_id=spec.get("user_id"),
        tenant_id=spec.get("tenant_id"),
        is_admin=spec.get("is_admin", False),
        overwrite=False,
    )
    context.set_ctx(ctx)
    return ctx


def plain(value):
    """A JSON-able copy of what the conductor returned."""
    from sahara.conductor import resource
    from sahara.utils import types

    if isinstance(value, types.Page):
        return {
            "items": [plain(i) for i in value],
            "prev": value.prev,
            "next": value.next,
        }
    if isinstance(value, resource.Resource):
        return plain(value._initial_dict)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def lookup(saved, ref):
    parts = ref[1:].split(".")
    if parts[0] not in saved:
        raise KeyError("nothing saved as %r (in %r)" % (parts[0], ref))
    value = saved[parts[0]]
    if len(parts) == 1:
        return value["id"] if isinstance(value, dict) else value
    for seg in parts[1:]:
        if isinstance(value, list):
            if "=" in seg:
                k, v = seg.split("=", 1)
                matches = [e for e in value if e.get(k) == v]
                if len(matches) != 1:
                    raise KeyError("%r: %d matches for %s" % (ref, len(matches), seg))
                value = matches[0]
            else:
                value = value[int(seg)]
        else:
            value = value[seg]
    return value


INTERPOLATION = re.compile(r"\$\{([^}]+)\}")


def resolve(value, saved):
    if isinstance(value, str) and "${" in value:
        return INTERPOLATION.sub(lambda m: str(lookup(saved, "$" + m.group(1))), value)
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        return lookup(saved, value)
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    return value


def python_values(method, args):
    """JSON -> what Sahara's services pass: datetimes for EDP times, bytes for binaries."""
    values = args.get("values")
    if isinstance(values, dict):
        for k in DT_KEYS:
            v = values.get(k)
            if isinstance(v, str) and ISO_RE.match(v):
                values[k] = datetime.datetime.fromisoformat(v.replace(" ", "T"))
        if method == "job_binary_internal_create" and isinstance(values.get("data"), str):
            values["data"] = base64.b64decode(values["data"])
    # Sahara passes tuples for IN filters of data_source_count.
    if method == "data_source_count":
        for k, v in list(args.items()):
            if isinstance(v, list):
                args[k] = tuple(v)
    return args


# The scenarios use ConductorManager's parameter names (what our conductor's RPC methods
# take); LocalApi names a few differently.
LOCAL_API_NAMES = {
    "cluster_template_update": {"values": "cluster_template"},
    "job_binary_get": {"job_binary_id": "job_binary"},
    "job_binary_internal_get": {"job_binary_internal_id": "job_binary_internal"},
    "job_binary_internal_update": {"id": "job_binary_internal"},
    "job_binary_internal_destroy": {"job_binary_internal": "job_binary_internal_id"},
}


def local_api_args(method, args):
    renames = LOCAL_API_NAMES.get(method, {})
    return {renames.get(k, k): v for k, v in args.items()}


def error_of(e):
    from sahara import exceptions as ex

    if isinstance(e, ex.SaharaException):
        message = e.message
        cut = message.rfind("\nError ID: ")
        if cut != -1:
            message = message[:cut]
        return {"class": type(e).__name__, "code": e.code, "message": message}
    return {"class": type(e).__name__, "code": None, "message": str(e)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connection", required=True)
    parser.add_argument("--extra-conf", default="")
    opts = parser.parse_args()

    request = json.load(sys.stdin)
    setup(opts.connection, opts.extra_conf)
    from sahara import conductor

    api = conductor.API
    saved = dict(request.get("saved") or {})
    out = sys.stdout
    for call in request["calls"]:
        method = call["method"]
        try:
            args = python_values(method, resolve(call.get("args") or {}, saved))
            ctx = make_context(resolve(call.get("ctx"), saved))
            args = local_api_args(method, args)
            if method in ("job_main_name", "job_lib_names") and isinstance(args.get("job"), str):
                # LocalApi expects the Job object here, not its id.
                args["job"] = api.job_get(ctx, args["job"])
            result = plain(getattr(api, method)(ctx, **args))
            line = {"result": result}
            if call.get("save"):
                saved[call["save"]] = result
        except Exception as e:  # noqa: B902 - every failure is reported, not raised
            line = {"error": error_of(e)}
        out.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
        out.flush()
    out.write(json.dumps({"saved": saved}, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
