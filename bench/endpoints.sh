#!/usr/bin/env bash
# Endpoint audit benchmark (not a test): the same local HTTPS endpoints scanned by vouch,
# sslyze and testssl.sh. Reports wall time for each and whether each tool's protocol-support
# and HSTS verdicts agree with vouch's.
#
#   bench/endpoints.sh [N_ENDPOINTS] [N_TESTSSL]     # defaults: 50 endpoints, testssl on 10
#
# The endpoints are server blocks of one nginx on 127.0.0.1: even ones "modern" (TLS 1.2+,
# HSTS one year + includeSubDomains), odd ones "legacy" (TLS 1.0-1.3 at security level 0, no
# HSTS). Certificates come from a throwaway CA made here. Needs nginx, openssl, testssl.sh
# (Debian packages) and installs sslyze into its own venv (it pins its own cryptography).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
N_TESTSSL=${2:-10}
# Probes at once. Local endpoints answer in microseconds, so the probes are CPU-bound and
# OpenSSL 3.0's internal locks make more threads than cores slower (see BENCHMARKS.md).
CONCURRENCY=${VOUCH_CONCURRENCY:-4}
CACHE="${VOUCH_TEST_CACHE:-$HOME/.cache/vouch}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
WORK=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] && echo "work dir: $WORK" >&2
NGINX_PID=""
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "missing $1 (apt-get install $2)" >&2; exit 2; }; }
need bc bc; need openssl openssl; need /usr/sbin/nginx nginx; need testssl testssl.sh
SSLYZE_VENV="$CACHE/sslyze-venv"
if [ ! -x "$SSLYZE_VENV/bin/sslyze" ]; then
  python3 -m venv "$SSLYZE_VENV" && "$SSLYZE_VENV/bin/pip" install -q sslyze
fi
if [ -z "${VOUCH:-}" ]; then   # VOUCH=path/to/vouch skips the build
  cargo build --release --locked -q
  VOUCH="$CARGO_TARGET_DIR/release/vouch"
fi

# --- certificates -----------------------------------------------------------------------
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 30 -extfile ext.cnf 2>/dev/null

# --- nginx with N server blocks on free ports -------------------------------------------
mapfile -t PORTS < <(python3 - "$N" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
for s in socks: print(s.getsockname()[1])
PY
)
{
  echo "worker_processes 1; master_process off; daemon off; pid $WORK/nginx.pid; error_log $WORK/error.log warn;"
  echo "events { worker_connections 1024; }"
  echo "http { access_log off; server_tokens off; default_type text/plain;"
  echo "  client_body_temp_path $WORK/b; proxy_temp_path $WORK/p; fastcgi_temp_path $WORK/f; uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;"
  for i in "${!PORTS[@]}"; do
    p=${PORTS[$i]}
    echo "  server { listen 127.0.0.1:$p ssl; server_name localhost; ssl_certificate $WORK/server.crt; ssl_certificate_key $WORK/server.key;"
    if (( i % 2 == 0 )); then
      echo "    ssl_protocols TLSv1.2 TLSv1.3;"
      echo "    add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;"
    else
      echo "    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers DEFAULT:@SECLEVEL=0;"
    fi
    echo "    location / { return 200 \"ok\\n\"; } }"
  done
  echo "}"
} > nginx.conf
/usr/sbin/nginx -p "$WORK" -e "$WORK/error.log" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for p in "${PORTS[@]}"; do
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done

# --- vouch --------------------------------------------------------------------------------
mkdir repo
{ echo "[endpoint]"; echo "concurrency = $CONCURRENCY"
  for p in "${PORTS[@]}"; do printf '\n[[target.endpoint]]\nurl = "https://localhost:%s/"\nca_file = "%s/ca.crt"\n' "$p" "$WORK"; done
} > vouch.toml
now() { date +%s.%N; }
t0=$(now); "$VOUCH" scan repo --config vouch.toml --all-targets --dump-facts vouch-facts.json --format json -o vouch.json --fail-on critical || true; t1=$(now)
VOUCH_S=$(echo "$t1 - $t0" | bc)

# --- sslyze: the default full scan, and protocols + headers only --------------------------
TARGETS=(); for p in "${PORTS[@]}"; do TARGETS+=("localhost:$p"); done
t0=$(now); "$SSLYZE_VENV/bin/sslyze" --quiet --json_out=sslyze-full.json "${TARGETS[@]}" >/dev/null 2>&1 || true; t1=$(now)
SSLYZE_FULL_S=$(echo "$t1 - $t0" | bc)
t0=$(now); "$SSLYZE_VENV/bin/sslyze" --quiet --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --http_headers --json_out=sslyze.json "${TARGETS[@]}" >/dev/null 2>&1 || true; t1=$(now)
SSLYZE_S=$(echo "$t1 - $t0" | bc)

# --- testssl.sh: protocols + headers, on the first N_TESTSSL endpoints, in parallel -------
: > testssl-targets.txt
for p in "${PORTS[@]:0:$N_TESTSSL}"; do echo "--protocols --headers localhost:$p" >> testssl-targets.txt; done
t0=$(now); testssl --quiet --color 0 --warnings off --parallel --jsonfile testssl.json --file testssl-targets.txt >/dev/null 2>&1 || true; t1=$(now)
TESTSSL_S=$(echo "$t1 - $t0" | bc)
# vouch on the same subset, for a like-for-like ratio.
{ echo "[endpoint]"; echo "concurrency = $CONCURRENCY"
  for p in "${PORTS[@]:0:$N_TESTSSL}"; do printf '\n[[target.endpoint]]\nurl = "https://localhost:%s/"\nca_file = "%s/ca.crt"\n' "$p" "$WORK"; done
} > vouch-subset.toml
t0=$(now); "$VOUCH" scan repo --config vouch-subset.toml --all-targets --format json -o /dev/null --fail-on critical || true; t1=$(now)
VOUCH_SUBSET_S=$(echo "$t1 - $t0" | bc)

# --- verdicts -------------------------------------------------------------------------------
python3 - "$N" "$N_TESTSSL" "$VOUCH_S" "$SSLYZE_FULL_S" "$SSLYZE_S" "$TESTSSL_S" "$VOUCH_SUBSET_S" <<'PY'
import json, sys
n, n_testssl = int(sys.argv[1]), int(sys.argv[2])
vouch_s, sslyze_full_s, sslyze_s, testssl_s, vouch_subset_s = map(float, sys.argv[3:8])
VERSIONS = ["1.0", "1.1", "1.2", "1.3"]

facts = json.load(open("vouch-facts.json"))
report = json.load(open("vouch.json"))
vouch = {}
for ep in facts["endpoints"]:
    key = f"localhost:{ep['port']}"
    protos = {p["version"]: p["result"]["outcome"] == "accepted" for p in ep["protocols"]}
    vouch[key] = {"protocols": protos}
for f in report["findings"]:
    if f["check"] == "http-hsts" and f["subject"] in vouch:
        vouch[f["subject"]]["hsts"] = f["status"] == "pass"

def sslyze_verdicts(path):
    out = {}
    doc = json.load(open(path))
    for r in doc["server_scan_results"]:
        loc = r["server_location"]
        key = f"{loc['hostname']}:{loc['port']}"
        res = r.get("scan_result") or {}
        protos = {}
        for v, name in zip(VERSIONS, ["tls_1_0", "tls_1_1", "tls_1_2", "tls_1_3"]):
            attempt = res.get(f"{name}_cipher_suites") or {}
            result = attempt.get("result") or {}
            protos[v] = bool(result.get("accepted_cipher_suites")) if result else None
        headers_attempt = res.get("http_headers") or {}
        hdrs = headers_attempt.get("result")
        if hdrs is None:  # the default scan does not schedule the headers plugin
            hsts = None
        else:
            sts = hdrs.get("strict_transport_security_header")
            hsts = bool(sts) and (sts.get("max_age") or 0) >= 31536000 and bool(sts.get("include_subdomains"))
        out[key] = {"protocols": protos, "hsts": hsts}
    return out

def testssl_verdicts(path):
    out = {}
    ids = {"TLS1": "1.0", "TLS1_1": "1.1", "TLS1_2": "1.2", "TLS1_3": "1.3"}
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return out
    for item in doc if isinstance(doc, list) else doc.get("scanResult", []):
        key = f"localhost:{item.get('port')}"
        entry = out.setdefault(key, {"protocols": {}, "hsts": False})
        fid, finding = item.get("id", ""), item.get("finding", "")
        if fid in ids:
            entry["protocols"][ids[fid]] = finding.startswith("offered")
        if fid == "HSTS_time":
            entry["hsts_time"] = finding
        if fid == "HSTS_subdomains":
            entry["hsts_sub"] = "includes" in finding
        if fid == "HSTS":
            entry["hsts_absent"] = "not offered" in finding
    for e in out.values():
        e["hsts"] = ("hsts_time" in e) and e.get("hsts_sub", False) and not e.get("hsts_absent", False)
    return out

def agree(tool, subset):
    proto_ok = hsts_ok = total = 0
    disagreements = []
    for key in subset:
        if key not in tool:
            disagreements.append(f"{key}: missing"); continue
        total += 1
        vp, tp = vouch[key]["protocols"], tool[key]["protocols"]
        if all(vp.get(v) == tp.get(v) for v in VERSIONS):
            proto_ok += 1
        else:
            disagreements.append(f"{key}: protocols vouch={vp} tool={tp}")
        if tool[key]["hsts"] is None:
            hsts_ok = None
        elif hsts_ok is not None and vouch[key].get("hsts") == tool[key]["hsts"]:
            hsts_ok += 1
        elif hsts_ok is not None:
            disagreements.append(f"{key}: hsts vouch={vouch[key].get('hsts')} tool={tool[key]['hsts']}")
    return proto_ok, hsts_ok, total, disagreements

keys = list(vouch)  # the configuration's order, which is also testssl's target order
rows = []
for name, path, secs, subset in [
    ("sslyze (default full scan)", "sslyze-full.json", sslyze_full_s, keys),
    ("sslyze (--tlsv1* --http_headers)", "sslyze.json", sslyze_s, keys),
]:
    p, h, t, d = agree(sslyze_verdicts(path), subset)
    rows.append((name, len(subset), secs, vouch_s, p, h, t, d))
sub = keys[:n_testssl]
p, h, t, d = agree(testssl_verdicts("testssl.json"), sub)
rows.append(("testssl.sh --protocols --headers --parallel", len(sub), testssl_s, vouch_subset_s, p, h, t, d))

print(f"\nvouch: {n} endpoints in {vouch_s:.2f} s (all checks: versions, weak suites, certificate, headers, cookies, redirect, security.txt)")
print("| tool | endpoints | tool wall time | vouch wall time | vouch speed-up | protocol verdicts equal | HSTS verdicts equal |")
print("|---|---|---|---|---|---|---|")
for name, count, secs, vs, p, h, t, d in rows:
    hsts = "not scanned" if h is None else f"{h}/{count}"
    print(f"| {name} | {count} | {secs:.1f} s | {vs:.2f} s | {secs / vs:.1f}x | {p}/{count} | {hsts} |")
for name, *_, d in rows:
    for line in d[:10]:
        print(f"  {name}: {line}")
PY
