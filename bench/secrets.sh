#!/usr/bin/env bash
# Secret detection: vouch's `secrets-committed` against detect-secrets (PyPI) on the same trees.
#
#   bench/secrets.sh                         # planted corpus (20 samples per kind, seed 1)
#   bench/secrets.sh --real DIR              # also: findings on a real code tree + a sample
#
# 1. Recall on planted secrets: bench/secrets_corpus.py writes random, format-valid secrets of
#    every kind vouch detects (one per file, in the context a project commits it) and near
#    misses (documented placeholders, truncated values, template slots, a JWT without its key).
# 2. False positives on real code: both tools over DIR (e.g. ~/.cargo/registry/src/*/), counts
#    and a seeded sample of 30 findings of each tool, classified by reading the lines.
#
# detect-secrets is installed into its own venv (~/.cache/vouch/ds-venv) on first use and run
# with its defaults (`scan --all-files`). vouch is the debug or release binary in
# CARGO_TARGET_DIR (built when missing); the scan is `vouch scan DIR --format json`.
set -euo pipefail
cd "$(dirname "$0")/.."

samples=20
seed=1
real=""
while [ $# -gt 0 ]; do
  case "$1" in
    --samples) samples="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --real) real="$2"; shift 2 ;;
    *) echo "usage: $0 [--samples N] [--seed S] [--real DIR]" >&2; exit 2 ;;
  esac
done

venv="$HOME/.cache/vouch/ds-venv"
if [ ! -x "$venv/bin/detect-secrets" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q detect-secrets
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch/target}"
vouch="$CARGO_TARGET_DIR/release/vouch"
[ -x "$vouch" ] || vouch="$CARGO_TARGET_DIR/debug/vouch"
[ -x "$vouch" ] || { cargo build --bin vouch; vouch="$CARGO_TARGET_DIR/debug/vouch"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "detect-secrets $("$venv/bin/detect-secrets" --version), vouch $("$vouch" --version)"

python3 bench/secrets_corpus.py "$work/planted" "$samples" "$seed"
"$vouch" scan "$work/planted" --format json --output "$work/vouch.json" || true
(cd "$work/planted" && "$venv/bin/detect-secrets" scan --all-files . > "$work/ds.json")
python3 bench/secrets_score.py planted "$work/planted.truth.json" "$work/vouch.json" "$work/ds.json"

if [ -n "$real" ]; then
  echo
  /usr/bin/time -f "vouch: %e s" "$vouch" scan "$real" --format json --output "$work/vouch-real.json" || true
  (cd "$real" && /usr/bin/time -f "detect-secrets: %e s" "$venv/bin/detect-secrets" scan --all-files . > "$work/ds-real.json")
  python3 bench/secrets_score.py real "$work/vouch-real.json" "$work/ds-real.json" 30 "$seed"
fi
