"""Writes sigstore bundles signed by a local test Sigstore: a Fulcio-like CA, a CT log that
embeds an SCT in each leaf certificate, and a Rekor-like log that signs an entry timestamp (SET)
and an inclusion proof with a signed checkpoint. Used by tests/e2e/images.rs: vouch verifies the
bundles (pushed to a registry or beside files) and sigstore-python verifies the same bundles
against the same trusted root, as an independent oracle.

usage: python sigstore_bundles.py OUT_DIR SPEC_JSON

SPEC_JSON is a list of bundles: {"name", "subject_sha256", "statement" (an in-toto statement,
DSSE) or "artifact" (a file path, message signature), "identity", "issuer", "ca" ("fulcio" or
"impostor"), "issued_minutes_ago", "logged_minutes_ago", "version" ("0.1"/"0.2"/"0.3"),
"set" (bool), "proof" (bool), "tamper" (null, "payload"), "key" (PEM private key file for a
key-signed bundle, no certificate)}. Writes OUT_DIR/NAME.sigstore.json for each, plus
OUT_DIR/trust.pem (vouch's [image] trust_root: CA certificate + log public key),
OUT_DIR/trusted_root.json (sigstore-python's), and OUT_DIR/release.pub + release.key (a key pair
for key-signed bundles).
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def load_or_make_key(path: str):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key


class Ca:
    def __init__(self, out: str, name: str):
        self.key = load_or_make_key(os.path.join(out, f"{name}-ca.key"))
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vouch test"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root"),
            ]
        )
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, identity: str, issuer: str, issued_minutes_ago: int, ct_key):
        """A ten-minute code-signing leaf with an embedded SCT from `ct_key`'s log."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = NOW - datetime.timedelta(minutes=issued_minutes_ago)
        san = (
            x509.UniformResourceIdentifier(identity)
            if "://" in identity
            else x509.RFC822Name(identity)
        )
        issuer_v2 = b"\x0c" + bytes([len(issuer)]) + issuer.encode()
        serial = x509.random_serial_number()

        def builder():
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(minutes=10))
                .add_extension(
                    x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
                )
                .add_extension(x509.SubjectAlternativeName([san]), critical=True)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                    critical=False,
                )
                .add_extension(x509.UnrecognizedExtension(ISSUER_V1, issuer.encode()), critical=False)
                .add_extension(x509.UnrecognizedExtension(ISSUER_V2, issuer_v2), critical=False)
            )

        # The SCT signs the precertificate TBS: this certificate without the SCT extension.
        precert = builder().sign(self.key, hashes.SHA256())
        tbs = precert.tbs_certificate_bytes
        timestamp = int(start.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(spki(self.key)).digest()
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp, 1)
            + issuer_key_hash
            + struct.pack("!I", len(tbs))[1:]
            + tbs
            + struct.pack("!H", 0)
        )
        signature = sign(ct_key, signed)
        sct = (
            struct.pack("!B", 0)
            + hashlib.sha256(spki(ct_key)).digest()
            + struct.pack("!QH", timestamp, 0)
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
        sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
        octet = der_octet_string(sct_list)
        cert = (
            builder()
            .add_extension(x509.UnrecognizedExtension(SCT_LIST, octet), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        assert cert.tbs_precertificate_bytes == tbs
        return cert, key


def der_octet_string(data: bytes) -> bytes:
    n = len(data)
    if n < 128:
        return b"\x04" + bytes([n]) + data
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x04" + bytes([0x80 | len(length)]) + length + data


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves):
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(tree_root(leaves[:split]), tree_root(leaves[split:]))


def inclusion_proof(leaves, index):
    if len(leaves) == 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return inclusion_proof(leaves[:split], index) + [tree_root(leaves[split:])]
    return inclusion_proof(leaves[split:], index - split) + [tree_root(leaves[:split])]


class Log:
    ORIGIN = "rekor.vouch.test - 4711"

    def __init__(self, out: str):
        self.key = load_or_make_key(os.path.join(out, "rekor.key"))
        self.log_id = hashlib.sha256(spki(self.key)).digest()

    def entry(self, body: dict, integrated_time: int, want_set: bool, want_proof: bool) -> dict:
        body_bytes = canonical(body)
        index = 5
        leaves = [leaf_hash(b"other entry %d" % i) for i in range(7)]
        leaves.insert(index, leaf_hash(body_bytes))
        entry = {
            "logIndex": str(index),
            "logId": {"keyId": b64(self.log_id)},
            "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
            "integratedTime": str(integrated_time),
            "canonicalizedBody": b64(body_bytes),
        }
        if want_set:
            payload = canonical(
                {
                    "body": b64(body_bytes),
                    "integratedTime": integrated_time,
                    "logID": self.log_id.hex(),
                    "logIndex": index,
                }
            )
            entry["inclusionPromise"] = {"signedEntryTimestamp": b64(sign(self.key, payload))}
        if want_proof:
            root = tree_root(leaves)
            note = f"{self.ORIGIN}\n{len(leaves)}\n{b64(root)}\n"
            sig = self.log_id[:4] + sign(self.key, note.encode())
            entry["inclusionProof"] = {
                "logIndex": str(index),
                "rootHash": b64(root),
                "treeSize": str(len(leaves)),
                "hashes": [b64(h) for h in inclusion_proof(leaves, index)],
                "checkpoint": {"envelope": f"{note}\n\u2014 rekor.vouch.test {b64(sig)}\n"},
            }
        return entry


def pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (
        len(payload_type),
        payload_type.encode(),
        len(payload),
        payload,
    )


def bundle(spec: dict, cas: dict, ct_key, log: Log, out: str) -> dict:
    key_signed = "key" in spec
    if key_signed:
        signing_key = load_or_make_key(spec["key"])
        cert = None
        verifier_pem = signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        cert, signing_key = cas[spec.get("ca", "fulcio")].issue(
            spec["identity"], spec["issuer"], spec.get("issued_minutes_ago", 120), ct_key
        )
        verifier_pem = cert.public_bytes(serialization.Encoding.PEM)
    integrated_time = int(NOW.timestamp()) - 60 * spec.get("logged_minutes_ago", 115)
    content = {}
    if "statement" in spec:
        payload_type = "application/vnd.in-toto+json"
        payload = canonical(spec["statement"])
        signature = sign(signing_key, pae(payload_type, payload))
        envelope = {
            "payload": b64(payload),
            "payloadType": payload_type,
            "signatures": [{"sig": b64(signature), "keyid": ""}],
        }
        body = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(canonical(envelope)).hexdigest()},
                "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                "signatures": [{"signature": b64(signature), "verifier": b64(verifier_pem)}],
            },
        }
        if spec.get("tamper") == "payload":
            changed = bytearray(payload)
            # One byte of the statement type: the subject still matches, the signature does not.
            changed[payload.index(b"in-toto")] ^= 0x01
            envelope["payload"] = b64(bytes(changed))
        content["dsseEnvelope"] = envelope
    else:
        with open(spec["artifact"], "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).digest()
        signature = sign(signing_key, data)
        body = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                "signature": {"content": b64(signature), "publicKey": {"content": b64(verifier_pem)}},
            },
        }
        content["messageSignature"] = {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
            "signature": b64(signature),
        }
    entry = log.entry(body, integrated_time, spec.get("set", True), spec.get("proof", True))
    version = spec.get("version", "0.3")
    material = {"tlogEntries": [entry]}
    if key_signed:
        material["publicKey"] = {"hint": ""}
    elif version == "0.3":
        material["certificate"] = {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))}
    else:
        material["x509CertificateChain"] = {
            "certificates": [{"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))}]
        }
    media_type = (
        "application/vnd.dev.sigstore.bundle.v0.3+json"
        if version == "0.3"
        else f"application/vnd.dev.sigstore.bundle+json;version={version}"
    )
    return {"mediaType": media_type, "verificationMaterial": material, **content}


def public_key(raw: bytes, valid_from: str) -> dict:
    return {
        "rawBytes": b64(raw),
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {"start": valid_from},
    }


def trusted_root(fulcio: Ca, ct_key, log: Log) -> dict:
    start = (NOW - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ct_id = hashlib.sha256(spki(ct_key)).digest()
    return {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [
            {
                "baseUrl": "https://rekor.vouch.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": public_key(spki(log.key), start),
                "logId": {"keyId": b64(log.log_id)},
            }
        ],
        "certificateAuthorities": [
            {
                "subject": {"organization": "vouch test", "commonName": "fulcio root"},
                "uri": "https://fulcio.vouch.test",
                "certChain": {
                    "certificates": [
                        {"rawBytes": b64(fulcio.cert.public_bytes(serialization.Encoding.DER))}
                    ]
                },
                "validFor": {"start": start},
            }
        ],
        "ctlogs": [
            {
                "baseUrl": "https://ctfe.vouch.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": public_key(spki(ct_key), start),
                "logId": {"keyId": b64(ct_id)},
            }
        ],
        "timestampAuthorities": [],
    }


def client_trust_config(root: dict) -> dict:
    """sigstore-python's `--trust-config`: the trusted root and a signing config naming the
    (never contacted: verification is offline) local services."""
    start = root["tlogs"][0]["publicKey"]["validFor"]
    service = lambda url: {"url": url, "majorApiVersion": 1, "validFor": start, "operator": "vouch test"}
    return {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service("https://fulcio.vouch.test")],
            "oidcUrls": [service("https://oauth2.vouch.test")],
            "rekorTlogUrls": [service("https://rekor.vouch.test")],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }


def main() -> None:
    out, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        specs = json.load(f)
    cas = {"fulcio": Ca(out, "fulcio"), "impostor": Ca(out, "impostor")}
    ct_key = load_or_make_key(os.path.join(out, "ctlog.key"))
    log = Log(out)
    release = load_or_make_key(os.path.join(out, "release.key"))
    with open(os.path.join(out, "release.pub"), "wb") as f:
        f.write(
            release.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    for spec in specs:
        if spec.get("key") == "release":
            spec["key"] = os.path.join(out, "release.key")
        with open(os.path.join(out, spec["name"] + ".sigstore.json"), "w") as f:
            json.dump(bundle(spec, cas, ct_key, log, out), f)
    with open(os.path.join(out, "trust.pem"), "wb") as f:
        f.write(cas["fulcio"].cert.public_bytes(serialization.Encoding.PEM))
        f.write(
            log.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    root = trusted_root(cas["fulcio"], ct_key, log)
    with open(os.path.join(out, "trusted_root.json"), "w") as f:
        json.dump(root, f)
    with open(os.path.join(out, "trust_config.json"), "w") as f:
        json.dump(client_trust_config(root), f)


if __name__ == "__main__":
    main()
