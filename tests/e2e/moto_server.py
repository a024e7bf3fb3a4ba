"""Starts moto's server with one fix vouch needs: moto 5.x answers GetBucketVersioning with a
<GetBucketVersioningResponse> root element, which boto3 ignores but the Rust SDK rejects (the
real S3 root is <VersioningConfiguration>). Arguments are moto_server's (-H HOST -p PORT).

It also answers AccessDenied, in each protocol's own error shape, for the operations a test
names with `POST /vouch-deny/OP1,OP2` (`POST /vouch-deny/` clears the list): moto does not
enforce IAM by default, and a denied call is the error path every AWS check must survive.
"""

import io
import json
import sys
from urllib.parse import parse_qs

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


import moto.server as moto_server  # noqa: E402


class DenyingApp(moto_server.DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/vouch-deny/"):
            DENIED.clear()
            DENIED.update(op for op in path[len("/vouch-deny/"):].split(",") if op)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if DENIED:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            op, kind = operation(environ, body)
            if op in DENIED:
                status, headers, text = denial(op, kind)
                start_response(status, headers)
                return [text.encode()]
        return super().__call__(environ, start_response)


moto_server.DomainDispatcherApplication = DenyingApp

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

sys.exit(main(sys.argv[1:]))
