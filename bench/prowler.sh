#!/usr/bin/env bash
# Prowler as an independent oracle for vouch's AWS checks (a benchmark script, not a test:
# Prowler takes minutes). From a clean machine it:
#   1. installs what it needs: the test venv (moto[server], boto3, the pins of scripts/test),
#      Prowler (PyPI, pinned) in its own venv because its dependency pins clash with the test
#      venv's, and a debug build of vouch when none is given;
#   2. starts moto on a free port and seeds ONE account with every seed of the emulator tests
#      (tests/e2e/aws_seed.py, aws_seed_infra.py, aws_edge_seed.py): good and bad RDS
#      instances, clusters and snapshots, buckets, security groups, VPCs, a trail, GuardDuty,
#      KMS keys, secrets, log groups, load balancers, web ACLs, CloudFront and ECR;
#   3. runs vouch (`vouch scan --target emu`) and Prowler's overlapping checks on it, both
#      timed;
#   4. compares the verdicts resource by resource (bench/prowler_compare.py): a TSV table in
#      $OUT/verdicts.tsv, agreements and disagreements on stdout; every disagreement must be
#      one explained in docs/aws-prowler.md, or the script exits 1.
#
#   bench/prowler.sh                 # OUT defaults to a temp dir, printed at the end
#
# Environment: VOUCH (a vouch binary; default: build $CARGO_TARGET_DIR/debug/vouch),
# VOUCH_TEST_CACHE (default ~/.cache/vouch), PROWLER_VENV (default $VOUCH_TEST_CACHE/prowler-venv),
# OUT (where the reports and the table stay).
set -euo pipefail
cd "$(dirname "$0")/.."
PROWLER_VERSION=5.46.0
CACHE="${VOUCH_TEST_CACHE:-$HOME/.cache/vouch}"
VENV="${VOUCH_TEST_VENV:-$CACHE/venv}"
PROWLER_VENV="${PROWLER_VENV:-$CACHE/prowler-venv}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"

# 1. Tools.
if [ ! -x "$VENV/bin/moto_server" ]; then
  echo "installing moto into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[server]==5.2.5" "boto3==1.44.5"
fi
if [ "$("$PROWLER_VENV/bin/prowler" --version 2>/dev/null)" != "Prowler $PROWLER_VERSION" ]; then
  echo "installing Prowler $PROWLER_VERSION into $PROWLER_VENV" >&2
  python3 -m venv "$PROWLER_VENV"
  "$PROWLER_VENV/bin/pip" install -q "prowler==$PROWLER_VERSION"
fi
if [ -z "${VOUCH:-}" ]; then
  VOUCH="${CARGO_TARGET_DIR:-target}/debug/vouch"
  cargo build -q --bin vouch
fi

# 2. The emulator and the account.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$VENV/bin/python" tests/e2e/moto_server.py -H 127.0.0.1 -p "$port" >"$OUT/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  curl -s -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset" && break
  sleep 0.1
done
endpoint="http://localhost:$port"
"$VENV/bin/python" tests/e2e/aws_seed.py "$endpoint" >/dev/null
"$VENV/bin/python" tests/e2e/aws_seed_infra.py "$endpoint" seed | tail -1 >"$OUT/infra-ids.json"
"$VENV/bin/python" tests/e2e/aws_edge_seed.py "$endpoint" >"$OUT/edge-ids.json"
app_sg="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_sg"])' "$OUT/infra-ids.json")"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
load() { cut -d' ' -f1-3 /proc/loadavg; }

# 3a. vouch.
mkdir -p "$OUT/repo"
cat >"$OUT/repo/vouch.toml" <<EOF
[aws]
app_security_groups = ["$app_sg"]
evidence_buckets = ["*-audit-*"]

[[target.aws]]
name = "emu"
regions = ["us-east-1"]
endpoint_url = "$endpoint"
EOF
echo "vouch: load before $(load)" >"$OUT/times.txt"
/usr/bin/time -a -o "$OUT/times.txt" -f "vouch: wall %e s, peak RSS %M KB" \
  "$VOUCH" scan "$OUT/repo" --target emu --format json --output "$OUT/vouch.json" \
  --dump-facts "$OUT/facts.json" >/dev/null 2>"$OUT/vouch.log" || true

# 3b. Prowler: the checks that ask the same questions (bench/prowler_compare.py maps them).
checks="$(python3 bench/prowler_compare.py --prowler-checks)"
echo "prowler: load before $(load)" >>"$OUT/times.txt"
# shellcheck disable=SC2086  # one word per check
AWS_ENDPOINT_URL="$endpoint" /usr/bin/time -a -o "$OUT/times.txt" -f "prowler: wall %e s, peak RSS %M KB" \
  "$PROWLER_VENV/bin/prowler" aws -f us-east-1 --checks $checks --scan-unused-services \
  -M csv -o "$OUT/prowler" -b --log-level ERROR --log-file "$OUT/prowler-errors.log" \
  >"$OUT/prowler.log" 2>&1 || true
# The API calls Prowler could not make against moto (not served, or answered wrongly).
if [ -s "$OUT/prowler-errors.log" ]; then
  echo "Prowler's errors against moto (count, Prowler source line, message):"
  python3 - "$OUT/prowler-errors.log" <<'PY'
import re, sys
from collections import Counter
records = re.split(r'\n(?=\{"timestamp")', open(sys.argv[1]).read())
seen = Counter()
for r in records:
    m = re.search(r'"filename": "([^"]+)".*?"message": "(.*)', r, re.S)
    if m:
        message = re.sub(r"b?'?<!doctype.*", "(an HTML error page)", re.sub(r"\s+", " ", m.group(2)))
        seen[(m.group(1), message.rstrip('"}')[:160])] += 1
for (where, message), n in seen.most_common():
    print(f"{n:4} {where} {message}")
PY
fi
echo "load after: $(load)" >>"$OUT/times.txt"

# 4. The comparison.
cat "$OUT/times.txt"
status=0
python3 bench/prowler_compare.py "$OUT/vouch.json" "$OUT/facts.json" "$OUT"/prowler/*.csv \
  --table "$OUT/verdicts.tsv" || status=$?
echo "reports, logs and the table: $OUT"
exit "$status"
