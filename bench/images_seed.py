"""Seeds a local docker-registry for bench/images.sh: N small images, each with a cosign
signature (`sha256-<hex>.sig`, simple-signing payload) and a CycloneDX SBOM attestation
(`sha256-<hex>.att`, DSSE envelope), signed with a fresh P-256 key written as release.pub.

    python3 images_seed.py HOST:PORT COUNT OUT_DIR
"""
import base64
import hashlib
import http.client
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

host, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection(host)
key = ec.generate_private_key(ec.SECP256R1())
with open(f"{out}/release.pub", "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))


def request(method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status}")
    return response


def blob(repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    location = request("POST", f"/v2/{repo}/blobs/uploads/").getheader("Location")
    location = location.split(host, 1)[-1]
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={digest}", data,
            {"Content-Type": "application/octet-stream"})
    return {"mediaType": "application/octet-stream", "digest": digest, "size": len(data)}


def manifest(repo, tag, config, layers):
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": config, "layers": layers}).encode()
    request("PUT", f"/v2/{repo}/manifests/{tag}", body,
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    return "sha256:" + hashlib.sha256(body).hexdigest()


def sign(data):
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def config(repo, data=b"{}"):
    described = blob(repo, data)
    described["mediaType"] = "application/vnd.oci.image.config.v1+json"
    return described


for i in range(count):
    repo = f"bench/app-{i:03d}"
    layer = blob(repo, f"layer {i}".encode())
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    digest = manifest(repo, "1", config(repo, json.dumps({"os": "linux", "n": i}).encode()), [layer])
    tag = digest.replace(":", "-")

    payload = json.dumps({"critical": {"identity": {"docker-reference": f"{host}/{repo}"},
                                       "image": {"docker-manifest-digest": digest},
                                       "type": "cosign container image signature"},
                          "optional": None}).encode()
    sig = blob(repo, payload)
    sig["mediaType"] = "application/vnd.dev.cosign.simplesigning.v1+json"
    sig["annotations"] = {"dev.cosignproject.cosign/signature": sign(payload)}
    manifest(repo, f"{tag}.sig", config(repo), [sig])

    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                            "predicateType": "https://cyclonedx.org/bom",
                            "subject": [{"name": f"{host}/{repo}",
                                         "digest": {"sha256": digest.split(":")[1]}}],
                            "predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"}}).encode()
    payload_type = "application/vnd.in-toto+json"
    pae = f"DSSEv1 {len(payload_type)} {payload_type} {len(statement)} ".encode() + statement
    envelope = json.dumps({"payloadType": payload_type,
                           "payload": base64.b64encode(statement).decode(),
                           "signatures": [{"keyid": "", "sig": sign(pae)}]}).encode()
    att = blob(repo, envelope)
    att["mediaType"] = "application/vnd.dsse.envelope.v1+json"
    manifest(repo, f"{tag}.att", config(repo), [att])
