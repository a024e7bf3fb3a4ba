#!/usr/bin/env bash
# Prowler as an independent oracle for the infrastructure checks (not a test: Prowler takes
# minutes). Seeds one moto account with tests/e2e/aws_seed_infra.py, runs Prowler's
# overlapping checks against it through AWS_ENDPOINT_URL and vouch on the same account, and
# prints both verdicts resource by resource with both wall times.
#
#   bench/prowler.sh
#
# Needs the venv of scripts/test (moto), a vouch build (VOUCH, default
# $CARGO_TARGET_DIR/debug/vouch) and Prowler in its own venv (PROWLER_VENV, default
# $VOUCH_TEST_CACHE/prowler-venv; created with `pip install prowler` when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${VOUCH_TEST_CACHE:-$HOME/.cache/vouch}"
VENV="${VOUCH_TEST_VENV:-$CACHE/venv}"
PROWLER_VENV="${PROWLER_VENV:-$CACHE/prowler-venv}"
VOUCH="${VOUCH:-${CARGO_TARGET_DIR:-target}/debug/vouch}"
[ -x "$VENV/bin/moto_server" ] || { echo "bench/prowler.sh: no moto in $VENV (run scripts/test once)" >&2; exit 2; }
[ -x "$VOUCH" ] || { echo "bench/prowler.sh: build vouch first" >&2; exit 2; }
if [ ! -x "$PROWLER_VENV/bin/prowler" ]; then
  python3 -m venv "$PROWLER_VENV" && "$PROWLER_VENV/bin/pip" install -q prowler
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$VENV/bin/python" tests/e2e/moto_server.py -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
until curl -s -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; do sleep 0.1; done
endpoint="http://localhost:$port"
"$VENV/bin/python" tests/e2e/aws_seed_infra.py "$endpoint" seed | tail -1 >"$work/ids.json"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1

mkdir -p "$work/repo"
printf '[[target.aws]]\nname = "bench"\nregions = ["us-east-1"]\nendpoint_url = "%s"\n' "$endpoint" >"$work/repo/vouch.toml"
/usr/bin/time -f "vouch: wall %e s" \
  "$VOUCH" scan "$work/repo" --target bench --format json --output "$work/vouch.json" || true

# vouch check -> Prowler check (same question, resource by resource).
CHECKS="cloudtrail_multi_region_enabled cloudtrail_log_file_validation_enabled cloudtrail_kms_encryption_enabled
vpc_flow_logs_enabled guardduty_is_enabled kms_cmk_rotation_enabled secretsmanager_automatic_rotation_enabled
rds_instance_integration_cloudwatch_logs cloudwatch_log_group_kms_encryption_enabled
cloudwatch_log_group_retention_policy_specific_days_enabled rds_instance_no_public_access"
# shellcheck disable=SC2086
AWS_ENDPOINT_URL="$endpoint" /usr/bin/time -f "prowler: wall %e s" \
  "$PROWLER_VENV/bin/prowler" aws -f us-east-1 --checks $CHECKS -M csv -o "$work/prowler" -b >/dev/null 2>&1 || true

python3 - "$work/vouch.json" "$work"/prowler/*.csv <<'EOF'
import csv, json, sys
ours = {}
for f in json.load(open(sys.argv[1]))["findings"]:
    ours.setdefault(f["location"].get("uri", ""), []).append((f["check"], f["status"]))
print("resource | prowler check: verdict | vouch: verdicts")
for row in csv.DictReader(open(sys.argv[2]), delimiter=";"):
    uid = row["RESOURCE_UID"].removesuffix(":*")
    mine = [v for k, v in ours.items() if k == uid or k.endswith(uid.rsplit("/", 1)[-1])]
    print(f"{uid} | {row['CHECK_ID']}: {row['STATUS']} | {sorted(set(sum(mine, [])))}")
EOF
