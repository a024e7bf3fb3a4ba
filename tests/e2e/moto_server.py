"""Starts moto's server with one fix vouch needs: moto 5.x answers GetBucketVersioning with a
<GetBucketVersioningResponse> root element, which boto3 ignores but the Rust SDK rejects (the
real S3 root is <VersioningConfiguration>). Arguments are moto_server's (-H HOST -p PORT).
"""

import sys

from moto.s3 import responses


def get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>')
    return 200, {"Content-Type": "application/xml"}, body


responses.S3Response.get_bucket_versioning = get_bucket_versioning

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

sys.exit(main(sys.argv[1:]))
