"""boto3 clients of the moto server the seed scripts of tests/e2e run against.

The scripts import this module from their own directory (Python puts it first on the path).
"""

import boto3

REGION = "us-east-1"


def connect(endpoint):
    """`client(service, region=REGION)`: a boto3 client of the moto server at `endpoint`, with
    moto's test credentials."""

    def client(service, region=REGION):
        return boto3.client(service, endpoint_url=endpoint, region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    return client
