"""Counts the requests of a moto recording (MOTO_RECORDER_FILEPATH) by operation, for
bench/aws.sh BY_OPERATION=1: the X-Amz-Target of JSON calls, Action= of query calls, else the
method and the path's shape (REST: S3, CloudFront, GuardDuty, s3control).

Usage: python aws_ops.py RECORDING.jsonl   -> one JSON object {operation: count}

vouch's cloudwatch:DescribeAlarms (the Rust SDK speaks CloudWatch's CBOR protocol, which moto
5.2.5 does not serve) reaches moto translated to the query protocol by tests/e2e/moto_server.py,
so the recorder counts it as Action=DescribeAlarms.
"""

import base64
import json
import re
import sys
from collections import Counter
from urllib.parse import parse_qs, urlsplit


def operation(r):
    headers = {k.lower(): v for k, v in (r.get("headers") or {}).items()}
    if "x-amz-target" in headers:
        return headers["x-amz-target"].rsplit(".", 1)[-1]
    body = r.get("body") or ""
    if r.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    url = urlsplit(r.get("url", ""))
    form = parse_qs(body) if isinstance(body, str) else {}
    form.update(parse_qs(url.query))
    if "Action" in form:
        return form["Action"][0]
    # The SDKs differ in spelling only: a trailing slash after the bucket, an `x-id` parameter.
    keys = sorted(k for k in parse_qs(url.query, keep_blank_values=True) if k != "x-id")
    query = "?" + ",".join(keys) if keys else ""
    path = re.sub(r"/bench-bucket-\d+|/[0-9a-f]{20,}|/[A-Z0-9]{13,14}", "/{id}", url.path).rstrip("/") or "/"
    return f"{r.get('method')} {path}{query}"


counts = Counter()
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            counts[operation(json.loads(line))] += 1
print(json.dumps(dict(sorted(counts.items()))))
