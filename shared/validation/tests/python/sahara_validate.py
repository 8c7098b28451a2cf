"""Run request bodies through real Sahara 19's request validation.

Used by the fidelity test of the `sahara-validation` crate. Run it with the
Python of the Sahara venv.

    sahara_validate.py dump-schemas DIR   write every schema as DIR/<NAME>.json
    sahara_validate.py check              read JSON lines {"schema", "body"}
                                          (body = raw request text; or a
                                          "schema_doc" instead of "schema"
                                          for an ad-hoc schema), write one
                                          JSON line per case:
                                          {"status", "name", "message"}

`check` goes through `sahara.service.validation.validate` inside a Flask
request context, i.e. the same call path a request to sahara-api takes, so the
message is what a client sees (minus the random "\\nError ID: <uuid>" suffix,
which is stripped here).
"""

import copy
import json
import os
import re
import sys

import warnings

warnings.simplefilter("ignore")

import flask  # noqa: E402
from oslo_config import cfg  # noqa: E402

from sahara.plugins import labels  # noqa: E402
from sahara.service.edp.job_binaries import manager as jb_manager  # noqa: E402
from sahara.service import validation  # noqa: E402
from sahara.service.validations import cluster_template_schema as ct  # noqa
from sahara.service.validations import clusters_schema as cl  # noqa: E402
from sahara.service.validations import images  # noqa: E402
from sahara.service.validations import node_group_template_schema as ngt  # noqa
from sahara.service.validations.edp import data_source_schema as ds  # noqa
from sahara.service.validations.edp import job_binary_internal_schema as jbi  # noqa
from sahara.service.validations.edp import job_binary_schema as jb  # noqa
from sahara.service.validations.edp import job_execution_schema as je  # noqa
from sahara.service.validations.edp import job_schema as j  # noqa: E402

cfg.CONF([], project="sahara")
jb_manager.setup_job_binaries()


class _FakePlugin(object):
    def __init__(self, versions):
        self._versions = versions

    def get_versions(self):
        return self._versions


# The versions the fidelity test uses for the plugin labels schema; a single
# plugin so the (set-ordered) version properties have one deterministic order.
PLUGIN_VERSIONS = ["2.7.1"]


def plugin_update_schema():
    handler = labels.LabelHandler({"fake": _FakePlugin(PLUGIN_VERSIONS)})
    return handler.get_plugin_update_validation_jsonschema()


SCHEMAS = {
    "NODE_GROUP_TEMPLATE_SCHEMA": ngt.NODE_GROUP_TEMPLATE_SCHEMA,
    "NODE_GROUP_TEMPLATE_SCHEMA_V2": ngt.NODE_GROUP_TEMPLATE_SCHEMA_V2,
    "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA": ngt.NODE_GROUP_TEMPLATE_UPDATE_SCHEMA,
    "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA_V2":
        ngt.NODE_GROUP_TEMPLATE_UPDATE_SCHEMA_V2,
    "CLUSTER_TEMPLATE_SCHEMA": ct.CLUSTER_TEMPLATE_SCHEMA,
    "CLUSTER_TEMPLATE_SCHEMA_V2": ct.CLUSTER_TEMPLATE_SCHEMA_V2,
    "CLUSTER_TEMPLATE_UPDATE_SCHEMA": ct.CLUSTER_TEMPLATE_UPDATE_SCHEMA,
    "CLUSTER_TEMPLATE_UPDATE_SCHEMA_V2": ct.CLUSTER_TEMPLATE_UPDATE_SCHEMA_V2,
    "CLUSTER_SCHEMA": cl.CLUSTER_SCHEMA,
    "CLUSTER_SCHEMA_V2": cl.CLUSTER_SCHEMA_V2,
    "MULTIPLE_CLUSTER_SCHEMA": cl.MULTIPLE_CLUSTER_SCHEMA,
    "CLUSTER_UPDATE_SCHEMA": cl.CLUSTER_UPDATE_SCHEMA,
    "CLUSTER_UPDATE_SCHEMA_V2": cl.CLUSTER_UPDATE_SCHEMA_V2,
    "CLUSTER_SCALING_SCHEMA": cl.CLUSTER_SCALING_SCHEMA,
    "CLUSTER_SCALING_SCHEMA_V2": cl.CLUSTER_SCALING_SCHEMA_V2,
    "CLUSTER_DELETE_SCHEMA_V2": cl.CLUSTER_DELETE_SCHEMA_V2,
    "DATA_SOURCE_SCHEMA": ds.DATA_SOURCE_SCHEMA,
    "DATA_SOURCE_UPDATE_SCHEMA": ds.DATA_SOURCE_UPDATE_SCHEMA,
    "JOB_BINARY_SCHEMA": jb.JOB_BINARY_SCHEMA,
    "JOB_BINARY_UPDATE_SCHEMA": jb.JOB_BINARY_UPDATE_SCHEMA,
    "JOB_BINARY_INTERNAL_UPDATE_SCHEMA": jbi.JOB_BINARY_UPDATE_SCHEMA,
    "JOB_SCHEMA": j.JOB_SCHEMA,
    "JOB_UPDATE_SCHEMA": j.JOB_UPDATE_SCHEMA,
    "JOB_EXEC_SCHEMA": je.JOB_EXEC_SCHEMA,
    "JOB_EXEC_SCHEMA_V2": je.JOB_EXEC_SCHEMA_V2,
    "JOB_EXEC_UPDATE_SCHEMA": je.JOB_EXEC_UPDATE_SCHEMA,
    "IMAGE_REGISTER_SCHEMA": images.image_register_schema,
    "IMAGE_TAGS_SCHEMA": images.image_tags_schema,
    "PLUGIN_UPDATE_SCHEMA": plugin_update_schema(),
}

_ERROR_ID = re.compile(r"\nError ID: [0-9a-f-]{36}$")
APP = flask.Flask("sahara")


def check(schema_name, body, schema_doc=None):
    schema = copy.deepcopy(SCHEMAS[schema_name] if schema_doc is None
                           else schema_doc)
    handler = validation.validate(schema)(lambda **kwargs: None)
    with APP.test_request_context(
            "/", method="POST", data=body.encode("utf-8"),
            content_type="application/json"):
        flask.request.file_upload = False
        flask.request.resp_type = "application/json"
        try:
            resp = handler()
        except Exception as e:  # the API would answer this itself
            return {"status": -1, "name": type(e).__name__,
                    "message": str(e)}
        if resp is None:
            return {"status": 200, "name": "", "message": ""}
        doc = json.loads(resp.get_data(as_text=True))
        return {"status": doc["error_code"], "name": doc["error_name"],
                "message": _ERROR_ID.sub("", doc["error_message"])}


def main():
    if sys.argv[1] == "dump-schemas":
        out = sys.argv[2]
        for name, schema in SCHEMAS.items():
            with open(os.path.join(out, name + ".json"), "w") as f:
                json.dump(schema, f, indent=2)
                f.write("\n")
    elif sys.argv[1] == "check":
        for line in sys.stdin:
            if not line.strip():
                continue
            case = json.loads(line)
            sys.stdout.write(json.dumps(check(case.get("schema"), case["body"],
                                              case.get("schema_doc")))
                             + "\n")
    else:
        sys.exit("unknown mode " + sys.argv[1])


if __name__ == "__main__":
    main()
