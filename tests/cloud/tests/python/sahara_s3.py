"""Sahara 19's own S3 code against the test cloud's S3.

Makes botocore clients as `sahara.service.edp.s3_common` makes them (`_get_s3_client`) and reads job binaries
with `s3_common.get_raw_job_binary_data`, after putting the objects with botocore; prints one JSON object with
the outcomes (bytes as hex, or Sahara's exception code and message; botocore's error codes).

Usage: python sahara_s3.py <endpoint> <access key> <secret key>
"""

import json
import sys

import botocore.exceptions
from oslo_config import cfg

import sahara.config  # noqa: F401 (registers job_binary_max_KB)
import sahara.exceptions as ex
from sahara.service.castellan import utils as key_manager
from sahara.service.edp import s3_common

# Sahara's default key manager keeps secrets inline: the stored "id" is the secret.
key_manager.get_secret = lambda secret, ctx=None: secret
cfg.CONF([], project="sahara", default_config_files=[])
cfg.CONF.set_override("job_binary_max_KB", 1)

endpoint, access, secret = sys.argv[1:4]
KEYS = {"accesskey": access, "secretkey": secret, "endpoint": endpoint}
SCRIPT = b"A = LOAD 'x';\n" + bytes(range(256))


class JobBinary(object):
    def __init__(self, url, **extra):
        self.url = url
        self.extra = dict(KEYS, **extra)


def read(url, **extra):
    try:
        return {"data": s3_common.get_raw_job_binary_data(JobBinary(url, **extra)).hex()}
    except ex.SaharaException as e:
        return {"code": e.code, "message": e.message.split("\nError ID:")[0]}


def error_code(call):
    try:
        call()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


conn = s3_common._get_s3_client(KEYS)
conn.create_bucket(Bucket="edp")
conn.put_object(Bucket="edp", Key="dir/script~1+c.pig", Body=SCRIPT)
conn.put_object(Bucket="edp", Key="big.jar", Body=b"\x07" * 2048)
wrong_secret = s3_common._get_s3_client(dict(KEYS, secretkey="not-the-secret"))
wrong_access = s3_common._get_s3_client(dict(KEYS, accesskey="NOTAKEY"))

print(json.dumps({
    "script": SCRIPT.hex(),
    "read": read("s3://edp/dir/script~1+c.pig"),
    "big": read("s3://edp/big.jar"),
    "missing": read("s3://edp/missing.pig"),
    "no_bucket": read("s3://nobucket/x.pig"),
    "wrong_secret": read("s3://edp/dir/script~1+c.pig", secretkey="not-the-secret"),
    "wrong_access": read("s3://edp/dir/script~1+c.pig", accesskey="NOTAKEY"),
    "no_scheme": read("s3://edp/dir/script~1+c.pig", endpoint=endpoint.split("://", 1)[1]),
    "bucket_only": read("s3://edp"),
    "codes": {
        "get_missing": error_code(lambda: conn.get_object(Bucket="edp", Key="missing.pig")),
        "head_missing": error_code(lambda: conn.head_object(Bucket="edp", Key="missing.pig")),
        "get_no_bucket": error_code(lambda: conn.get_object(Bucket="nobucket", Key="x.pig")),
        "get_wrong_secret": error_code(lambda: wrong_secret.get_object(Bucket="edp", Key="big.jar")),
        "put_wrong_secret": error_code(lambda: wrong_secret.put_object(Bucket="edp", Key="x", Body=b"x")),
        "get_wrong_access": error_code(lambda: wrong_access.get_object(Bucket="edp", Key="big.jar")),
    },
}))
