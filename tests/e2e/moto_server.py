"""Starts moto's server with one fix vouch needs: moto 5.x answers GetBucketVersioning with a
<GetBucketVersioningResponse> root element, which boto3 ignores but the Rust SDK rejects (the
real S3 root is <VersioningConfiguration>). Arguments are moto_server's (-H HOST -p PORT).

It also answers AccessDenied, in each protocol's own error shape, for the operations a test
names with `POST /vouch-deny/OP1,OP2` (`POST /vouch-deny/` clears the list): moto does not
enforce IAM by default, and a denied call is the error path every AWS check must survive.

And it serves CloudWatch's Smithy RPC v2 CBOR protocol, which the Rust SDK speaks and moto 5.2.5
does not: a CBOR request is decoded with botocore's CloudWatch model, passed to moto as the
same operation in the query protocol, and moto's answer (or error) is encoded back in CBOR. The
state and the answer are moto's; only the wire format is translated.
"""

import io
import json
import re
import sys
from urllib.parse import parse_qs, urlencode

import botocore.model
import botocore.session
from botocore import parsers, serialize

from moto.s3 import responses


def get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>')
    return 200, {"Content-Type": "application/xml"}, body


responses.S3Response.get_bucket_versioning = get_bucket_versioning

DENIED = set()


def operation(environ, body):
    """The operation of a request: X-Amz-Target (JSON protocols), Action= (query protocols), or
    the GuardDuty REST paths vouch reads."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    form.update(parse_qs(environ.get("QUERY_STRING", "")))
    if "Action" in form:
        kind = "ec2" if form.get("Version", [""])[0] == "2016-11-15" else "query"
        return form["Action"][0], kind
    path = environ.get("PATH_INFO", "")
    cbor = CBOR_PATH.fullmatch(path)
    if cbor:
        return cbor.group(1), "cbor"
    if environ.get("REQUEST_METHOD") == "GET" and CLOUDFRONT_LIST.fullmatch(path):
        # CloudFront's REST-XML errors have the query protocol's <ErrorResponse> shape.
        return "ListDistributions", "query"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/detector"):
        return ("ListDetectors" if path.rstrip("/") == "/detector" else "GetDetector"), "rest"
    # S3 (REST: the subresource names the call) and the account-level block of s3control,
    # named by their IAM actions.
    if environ.get("REQUEST_METHOD") == "GET":
        if path.startswith("/v20180820/configuration/publicAccessBlock"):
            return "GetAccountPublicAccessBlock", "query"
        if "encryption" in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            return "GetBucketEncryption", "s3"
    return "", ""


def denial(op, kind):
    message = f"User is not authorized to perform: {op} (denied by the vouch test)"
    if kind == "cbor":
        body = cbor_error("AccessDenied", message)
        return "403 Forbidden", cbor_headers("vouch-denied", "AccessDenied"), body
    if kind == "ec2":
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                f"<Code>UnauthorizedOperation</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>vouch-denied</RequestID></Response>")
        return "403 Forbidden", [("Content-Type", "text/xml")], body
    if kind == "query":
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{message}</Message></Error><RequestId>vouch-denied</RequestId></ErrorResponse>")
        return "403 Forbidden", [("Content-Type", "text/xml")], body
    if kind == "s3":
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
                f"<Message>{message}</Message><RequestId>vouch-denied</RequestId></Error>")
        return "403 Forbidden", [("Content-Type", "application/xml")], body
    body = json.dumps({"__type": "AccessDeniedException", "message": message, "Message": message})
    return "403 Forbidden", [("Content-Type", "application/x-amz-json-1.1"),
                             ("x-amzn-ErrorType", "AccessDeniedException"),
                             ("x-amzn-RequestId", "vouch-denied")], body


CBOR_PATH = re.compile(r"/service/GraniteServiceVersion20100801/operation/(\w+)")
CLOUDFRONT_LIST = re.compile(r"/20\d\d-\d\d-\d\d/distribution/?")
_CLOUDWATCH = []


def cloudwatch_model():
    if not _CLOUDWATCH:
        _CLOUDWATCH.append(botocore.session.get_session().get_service_model("cloudwatch"))
    return _CLOUDWATCH[0]


class _Cbor(serialize.CBORSerializer):
    TIMESTAMP_FORMAT = "unixtimestamp"

    def encode(self, value, shape):
        out = bytearray()
        self._serialize_data_item(out, value, shape)
        return bytes(out)


def cbor_headers(request_id, code=None):
    headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
               ("x-amzn-RequestId", request_id)]
    if code:
        # CloudWatch is query-compatible: the query error code travels in this header.
        headers.append(("x-amzn-query-error", f"{code};Sender"))
    return headers


def cbor_error(code, message):
    shape = botocore.model.StructureShape("Error", {"type": "structure", "members": {
        "__type": {"shape": "S"}, "message": {"shape": "S"}}},
        botocore.model.ShapeResolver({"S": {"type": "string"}}))
    return _Cbor().encode({"__type": code, "message": message}, shape)


def cbor_call(app, environ, start_response, op, body):
    """A CloudWatch CBOR call answered by moto in the query protocol, translated both ways."""
    operation = cloudwatch_model().operation_model(op)
    params = {}
    if body:
        params = parsers.RpcV2CBORParser().parse(
            {"body": body, "headers": {}, "status_code": 200}, operation.input_shape)
        params.pop("ResponseMetadata", None)
    request = serialize.QuerySerializer().serialize_to_request(params, operation)
    form = urlencode(request["body"]).encode()
    environ = dict(environ, PATH_INFO="/", QUERY_STRING="", REQUEST_METHOD="POST",
                   CONTENT_TYPE="application/x-www-form-urlencoded",
                   CONTENT_LENGTH=str(len(form)))
    environ["wsgi.input"] = io.BytesIO(form)
    answer = {}

    def capture(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers
        return lambda data: None

    xml = b"".join(app(environ, capture))
    status = int(answer["status"].split()[0])
    request_id = dict((k.lower(), v) for k, v in answer["headers"]).get("x-amzn-requestid", "moto")
    parsed = parsers.QueryParser().parse(
        {"body": xml, "headers": dict(answer["headers"]), "status_code": status},
        operation.output_shape)
    if status >= 300:
        error = parsed.get("Error", {})
        code = error.get("Code", "InternalFailure")
        start_response(answer["status"], cbor_headers(request_id, code))
        return [cbor_error(code, error.get("Message", ""))]
    parsed.pop("ResponseMetadata", None)
    start_response("200 OK", cbor_headers(request_id))
    return [_Cbor().encode(parsed, operation.output_shape)]


import moto.server as moto_server  # noqa: E402


class DenyingApp(moto_server.DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/vouch-deny/"):
            DENIED.clear()
            DENIED.update(op for op in path[len("/vouch-deny/"):].split(",") if op)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        # The body is read (and put back) only when it matters: S3 streams some uploads.
        if DENIED or CBOR_PATH.fullmatch(path):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            op, kind = operation(environ, body)
            if op in DENIED:
                status, headers, text = denial(op, kind)
                start_response(status, headers)
                return [text if isinstance(text, bytes) else text.encode()]
            if kind == "cbor":
                return cbor_call(super().__call__, environ, start_response, op, body)
        return super().__call__(environ, start_response)


moto_server.DomainDispatcherApplication = DenyingApp

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

sys.exit(main(sys.argv[1:]))
