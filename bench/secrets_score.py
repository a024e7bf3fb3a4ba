#!/usr/bin/env python3
"""Scores vouch and detect-secrets for bench/secrets.sh.

  secrets_score.py planted TRUTH.json VOUCH.json DS.json     # recall / near-miss table
  secrets_score.py real VOUCH.json DS.json SAMPLE_N SEED      # counts + a sample to classify

VOUCH.json is `vouch scan --format json` output; DS.json is `detect-secrets scan --all-files`
output. Only locations and kinds are read: neither file holds a secret value (vouch keeps a
redacted preview, detect-secrets a hash).
"""
import collections
import json
import random
import sys


def vouch_hits(path):
    """{(path, line): [(kind, class)]} from secrets-committed findings."""
    report = json.load(open(path))
    hits = collections.defaultdict(list)
    for f in report["findings"]:
        if f["check"] != "secrets-committed" or f["status"] != "fail":
            continue
        for h in f["evidence"].get("hits", []):
            hits[(f["subject"], h["line"])].append((h["kind"], h.get("class", "secret")))
    return hits


def ds_hits(path):
    """{(path, line): [type]} from a detect-secrets baseline."""
    baseline = json.load(open(path))
    hits = collections.defaultdict(list)
    for file, results in baseline["results"].items():
        for r in results:
            hits[(file.removeprefix("./"), r["line_number"])].append(r["type"])
    return hits


def planted(truth_path, vouch_path, ds_path):
    truth = json.load(open(truth_path))
    v, d = vouch_hits(vouch_path), ds_hits(ds_path)
    v_files = {p for (p, _) in v}
    v_secret_files = {p for (p, _), hs in v.items() if any(c == "secret" for _, c in hs)}
    d_files = {p for (p, _) in d}
    rows = collections.OrderedDict()
    for t in truth:
        r = rows.setdefault(t["kind"], collections.Counter())
        key = (t["path"], t["line"])
        if t["planted"]:
            r["tp"] += 1
            r["v_line"] += any(c == "secret" for _, c in v.get(key, []))
            r["d_line"] += key in d
            r["d_file"] += t["path"] in d_files
        else:
            r["nm"] += 1
            r["v_nm_crit"] += t["path"] in v_secret_files
            r["v_nm_any"] += t["path"] in v_files
            r["d_nm"] += t["path"] in d_files
    print("| kind | planted | vouch found (critical, exact line) | detect-secrets found (exact line) | detect-secrets found (anywhere in the file) | near misses | vouch flagged critical | vouch reported at all (info/low incl.) | detect-secrets flagged |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = collections.Counter()
    for kind, r in rows.items():
        total.update(r)
        print(f"| `{kind}` | {r['tp']} | {r['v_line']} | {r['d_line']} | {r['d_file']} | {r['nm']} | {r['v_nm_crit']} | {r['v_nm_any']} | {r['d_nm']} |")
    t = total
    pct = lambda a, b: f"{100 * a / b:.0f}%" if b else "n/a"
    print(f"| **all** | {t['tp']} | **{t['v_line']} ({pct(t['v_line'], t['tp'])})** | **{t['d_line']} ({pct(t['d_line'], t['tp'])})** | {t['d_file']} ({pct(t['d_file'], t['tp'])}) | {t['nm']} | **{t['v_nm_crit']}** | {t['v_nm_any']} | **{t['d_nm']}** |")


def real(vouch_path, ds_path, n, seed):
    v, d = vouch_hits(vouch_path), ds_hits(ds_path)
    v_crit = sorted(k for k, hs in v.items() if any(c == "secret" for _, c in hs))
    v_apart = sorted(k for k, hs in v.items() if all(c != "secret" for _, c in hs))
    by_kind = collections.Counter(kind for hs in v.values() for kind, c in hs if c == "secret")
    d_by_type = collections.Counter(t for ts in d.values() for t in ts)
    print(f"vouch: {len(v_crit)} critical line(s), {len(v_apart)} reported apart (test fixture/example); by kind: {dict(by_kind)}")
    print(f"detect-secrets: {len(d)} line(s) flagged; by type: {dict(d_by_type)}")
    rng = random.Random(seed)
    for name, keys, table in (("vouch", v_crit, v), ("detect-secrets", sorted(d), d)):
        sample = rng.sample(keys, min(n, len(keys)))
        print(f"\nsample of {len(sample)} {name} finding(s) to classify:")
        for k in sorted(sample):
            print(f"  {k[0]}:{k[1]}  {table[k]}")


if __name__ == "__main__":
    if sys.argv[1] == "planted":
        planted(*sys.argv[2:5])
    else:
        real(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
