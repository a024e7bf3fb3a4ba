#!/usr/bin/env bash
# Judging benchmark: times `vouch check --facts FILE` (re-judging saved facts, offline: only the
# checks run, no file or network is read but the facts) as the median of N runs after one
# warm-up. The facts come from `vouch scan --static-only --dump-facts` of a tree: by default the
# synthetic monorepo of bench/repo-scan.sh (same generator, same seed, same bytes; 300
# Dockerfiles, 300 workflows, 200 manifests with lockfiles). Not a test: the numbers go into
# BENCHMARKS.md.
#
#   bench/judge.sh --vouch target/debug/vouch                 # synthetic tree, 5 runs
#   bench/judge.sh --vouch BIN --tree DIR --runs 9            # any repository
#   bench/judge.sh --vouch BIN --facts facts.json             # facts already dumped
#
# Compare two builds by running it with each binary on the same facts (--facts).
set -euo pipefail
cd "$(dirname "$0")/.."

vouch=""
tree=""
facts=""
files=2000
seed=1
runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --vouch) vouch="$2"; shift 2 ;;
    --tree) tree="$2"; shift 2 ;;
    --facts) facts="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: $0 --vouch BIN [--tree DIR | --facts FILE] [--files N] [--seed S] [--runs R]" >&2; exit 2 ;;
  esac
done
[ -n "$vouch" ] || { echo "--vouch BIN is required" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "$facts" ]; then
  if [ -z "$tree" ]; then
    tree="$work/monorepo"
    # The generator of bench/repo-scan.sh, verbatim. Fewer code files than its default: they
    # add nothing to judge (the secret scanner runs while scanning, not while judging).
    sed -n "/^python3 - \"\$tree\" \"\$files\" \"\$seed\" <<'PY'$/,/^PY$/p" bench/repo-scan.sh \
      | sed '1d;$d' > "$work/generate.py"
    python3 "$work/generate.py" "$tree" "$files" "$seed"
  fi
  facts="$work/facts.json"
  "$vouch" scan "$tree" --static-only --dump-facts "$facts" --format json --output "$work/scan.json" \
    >/dev/null 2>&1 || true
  [ -s "$facts" ] || { echo "no facts were written" >&2; exit 1; }
fi

samples="$work/samples"
: > "$samples"
"$vouch" check --facts "$facts" --format json --output "$work/report.json" >/dev/null 2>&1 || true
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$vouch" check --facts "$facts" --format json --output "$work/report.json" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >> "$samples"
done
median="$(sort -n "$samples" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
findings="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["findings"]))' "$work/report.json")"

cat <<REPORT
machine:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)
facts:    $(du -h "$facts" | cut -f1) ($(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["repo"]; print(len(r["workflows"]), "workflows,", len(r["dockerfiles"]), "Dockerfiles")' "$facts"))
vouch:    $("$vouch" --version), check --facts: $median s median of $runs ($(sort -n "$samples" | tr '\n' ' ')); $findings findings
REPORT
