"""Turns on the account-level S3 Block Public Access of the moto account (all four settings).

Usage: python aws_account_block.py PORT
The s3control endpoint rules put the account id in front of the host
(123456789012.localhost); this script resolves `*.localhost` to 127.0.0.1 itself instead of
editing /etc/hosts.
"""

import socket
import sys

import boto3

_getaddrinfo = socket.getaddrinfo


def loopback_localhost(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = loopback_localhost

control = boto3.client("s3control", endpoint_url=f"http://localhost:{sys.argv[1]}", region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
control.put_public_access_block(AccountId="123456789012", PublicAccessBlockConfiguration={
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
print("account block on")
