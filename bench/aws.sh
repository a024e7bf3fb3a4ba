#!/usr/bin/env bash
# Scale benchmark of the live AWS audit (not a test): 1,000 RDS instances, 3,000 buckets, 500
# security groups, 200 load balancers and 50 web ACLs on moto, scanned by `vouch scan --target`,
# against the floor: the same read calls issued by a minimal concurrent boto3 client
# (bench/aws_floor.py, 32 threads). Both request counts are printed: they must be equal.
#
#   bench/aws.sh [INSTANCES] [BUCKETS] [SGS] [LBS] [ACLS]   # defaults 1000 3000 500 200 50
#
# Needs the venv of scripts/test (VOUCH_TEST_VENV or $VOUCH_TEST_CACHE/venv with moto[server]
# and boto3) and a release build (`cargo build --release`, CARGO_TARGET_DIR honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANCES="${1:-1000}"
BUCKETS="${2:-3000}"
SGS="${3:-500}"
LBS="${4:-200}"
ACLS="${5:-50}"
VENV="${VOUCH_TEST_VENV:-${VOUCH_TEST_CACHE:-$HOME/.cache/vouch}/venv}"
VOUCH="${VOUCH:-${CARGO_TARGET_DIR:-target}/release/vouch}"
[ -x "$VENV/bin/moto_server" ] || { echo "bench/aws.sh: no moto in $VENV (run scripts/test once)" >&2; exit 2; }
[ -x "$VOUCH" ] || { echo "bench/aws.sh: build first: cargo build --release" >&2; exit 2; }

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_RECORDER_FILEPATH="$work/rec.jsonl" \
  "$VENV/bin/python" tests/e2e/moto_server.py -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
until curl -s -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; do sleep 0.1; done
endpoint="http://localhost:$port"

echo "seeding $INSTANCES instances, $BUCKETS buckets, $SGS security groups, $LBS load balancers, $ACLS web ACLs..." >&2
/usr/bin/time -f "seed: %e s" "$VENV/bin/python" bench/aws_scale_seed.py "$endpoint" "$INSTANCES" "$BUCKETS" "$SGS" "$LBS" "$ACLS"

mkdir -p "$work/repo"
printf '[[target.aws]]\nname = "bench"\nregions = ["us-east-1"]\nendpoint_url = "%s"\n' "$endpoint" >"$work/repo/vouch.toml"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

# Occurrences, not lines: under concurrency moto's log lines can run into each other (and
# the status of an error answer is coloured, so the request line does not end in a quote).
requests() { grep -o 'HTTP/1.1' "$work/moto.log" | wc -l; }
# BY_OPERATION=1: record both runs with moto's recorder (slower) and compare them operation by
# operation, to check that the floor makes exactly vouch's calls.
record() {
  if [ "${BY_OPERATION:-0}" = 1 ]; then
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/recorder/$1"
  fi
}
by_op() {
  if [ "${BY_OPERATION:-0}" = 1 ]; then
    record stop-recording
    python3 bench/aws_ops.py "$work/rec.jsonl" >"$work/$1.ops"
    : >"$work/rec.jsonl"
  fi
}

echo "machine before vouch: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
record start-recording
before=$(requests)
/usr/bin/time -f "vouch: wall %e s, CPU %U s user + %S s system, peak RSS %M KB" \
  "$VOUCH" scan "$work/repo" --target bench --format json --output "$work/report.json" --fail-on critical \
  --dump-facts "$work/facts.json" || true
vouch_calls=$(( $(requests) - before ))
findings=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$work/report.json")
echo "vouch: $vouch_calls API calls, $findings findings"
# The share of that wall time spent judging and writing the report (no API call): the same
# facts, re-judged offline.
/usr/bin/time -f "vouch check --facts (judge + report only): wall %e s, CPU %U s user" \
  "$VOUCH" check --facts "$work/facts.json" --format json --output "$work/report2.json" --fail-on critical || true
by_op vouch

echo "machine before the floor: load average $(cut -d' ' -f1-3 /proc/loadavg)"
record start-recording
before=$(requests)
/usr/bin/time -f "floor: wall %e s, CPU %U s user + %S s system, peak RSS %M KB" "$VENV/bin/python" bench/aws_floor.py "$endpoint"
floor_calls=$(( $(requests) - before ))
echo "floor: $floor_calls API calls"
by_op floor
if [ "${BY_OPERATION:-0}" = 1 ]; then
  python3 - "$work/vouch.ops" "$work/floor.ops" <<'PY'
import json, sys
v, f = (json.load(open(p)) for p in sys.argv[1:3])
diff = {op: (v.get(op, 0), f.get(op, 0)) for op in sorted(set(v) | set(f)) if v.get(op, 0) != f.get(op, 0)}
print("operations: identical" if not diff else f"operations that differ (vouch, floor): {diff}")
PY
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
