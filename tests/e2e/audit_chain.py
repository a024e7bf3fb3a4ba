#!/usr/bin/env python3
"""An independent implementation of the audit hash-chain schemes vouch verifies (hashlib,
base64, json), used by the e2e tests as the oracle: it prints the SQL that creates one audit
table and fills it with a chain built under the scheme given as JSON in argv[1].

Spec keys: table, rows, algorithm (sha256|sha384|sha512), encoding (hex|base64), payload
(json|json_sorted|columns), columns, separator, prev_included (prefix|suffix|prev_hash),
genesis (null = unset, "empty", "null", or a literal), tamper ({"edit": k}: one byte of row
k's action changed after hashing; {"delete": k}: row k removed).
"""

import base64
import hashlib
import json
import sys

COLUMNS = ["id", "tenant_id", "action", "at", "note", "prev_hash"]


def row_values(i):
    """Column values exactly as PostgreSQL prints them (TimeZone UTC)."""
    return {
        "id": str(i),
        "tenant_id": "00000000-0000-0000-0000-00000000000%d" % (i % 3),
        "action": "event %d, caf\u00e9 \"quoted\"" % i,
        "at": "2026-01-01 00:%02d:00+00" % i,
        "note": None if i % 2 == 0 else "note %d" % i,
    }


def genesis_stored(genesis):
    if genesis in (None, "null"):
        return None
    if genesis == "empty":
        return ""
    return genesis


def payload(spec, values):
    if spec["payload"] == "columns":
        return spec.get("separator", "|").join(values[c] or "" for c in spec["columns"])
    in_payload = spec["prev_included"] not in ("prefix", "suffix")
    keys = [c for c in COLUMNS if c != "prev_hash" or in_payload]
    obj = {k: values[k] for k in keys}
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=spec["payload"] == "json_sorted")


def row_hash(spec, values):
    prev = values["prev_hash"] or ""
    body = payload(spec, values)
    sep = spec.get("separator", "|") if spec["payload"] == "columns" else ""
    if spec["prev_included"] == "prefix":
        body = prev + sep + body
    elif spec["prev_included"] == "suffix":
        body = body + sep + prev
    digest = hashlib.new(spec["algorithm"], body.encode("utf-8")).digest()
    if spec["encoding"] == "base64":
        return base64.b64encode(digest).decode("ascii")
    return digest.hex()


def quote(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def main():
    spec = json.loads(sys.argv[1])
    rows = []
    prev = genesis_stored(spec.get("genesis"))
    for i in range(1, spec["rows"] + 1):
        values = row_values(i)
        values["prev_hash"] = prev
        values["hash"] = row_hash(spec, values)
        rows.append(values)
        prev = values["hash"]
    tamper = spec.get("tamper") or {}
    if "edit" in tamper:
        row = rows[tamper["edit"] - 1]
        row["action"] = "E" + row["action"][1:]
    if "delete" in tamper:
        del rows[tamper["delete"] - 1]
    table = spec["table"]
    print("CREATE TABLE public.%s (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, "
          "action text NOT NULL, at timestamptz NOT NULL, note text, prev_hash text, "
          "hash text NOT NULL);" % table)
    for r in rows:
        print("INSERT INTO public.%s VALUES (%s);" % (
            table, ", ".join(quote(r[c]) for c in COLUMNS + ["hash"])))


if __name__ == "__main__":
    main()
