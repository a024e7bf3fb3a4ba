#!/usr/bin/env bash
# Runs the scan for the action: annotations on stdout (`--format github`), the Markdown report
# into the job summary, JSON and SARIF files for the next steps, and the step outputs `failed`,
# `report`, `sarif`. Exit 0 when the scan ran (the Gate step fails the job afterwards, so the
# SARIF upload still happens); vouch's own exit code (2) when it could not run.
#
# Environment (set by action.yml): INPUT_PATH, INPUT_CONFIG, INPUT_FAIL_ON, INPUT_BASELINE,
# INPUT_SINCE, INPUT_PACK; the runner's GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY.
set -euo pipefail

cd "${GITHUB_WORKSPACE:?GITHUB_WORKSPACE is not set}"
out="${RUNNER_TEMP:?RUNNER_TEMP is not set}/vouch-report"
rm -rf "$out"
mkdir -p "$out"

args=(scan "${INPUT_PATH:-.}" --fail-on "${INPUT_FAIL_ON:-high}")
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_BASELINE:-}" ] || args+=(--baseline "$INPUT_BASELINE")
[ -z "${INPUT_SINCE:-}" ] || args+=(--since "$INPUT_SINCE")
[ -z "${INPUT_PACK:-}" ] || args+=(--pack "$INPUT_PACK")
args+=(--format github
  --format json --output "$out/report.json"
  --format markdown --output "$out/summary.md"
  --format sarif --output "$out/report.sarif")

set +e
vouch "${args[@]}"
code=$?
set -e

# GitHub refuses a step summary over 1 MiB: keep the head and say so.
limit=$((1024 * 1024 - 200))
if [ -f "$out/summary.md" ]; then
  if [ "$(wc -c < "$out/summary.md")" -gt "$limit" ]; then
    head -c "$limit" "$out/summary.md" >> "${GITHUB_STEP_SUMMARY:?}"
    printf '\n\n_Summary cut at 1 MiB: the full report is %s._\n' "$out/report.json" >> "$GITHUB_STEP_SUMMARY"
  else
    cat "$out/summary.md" >> "${GITHUB_STEP_SUMMARY:?}"
  fi
fi

{
  [ ! -f "$out/report.json" ] || echo "report=$out/report.json"
  [ ! -f "$out/report.sarif" ] || echo "sarif=$out/report.sarif"
  echo "exit-code=$code"
  if [ "$code" -eq 0 ]; then echo "failed=false"; else echo "failed=true"; fi
} >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"

if [ "$code" -gt 1 ]; then
  echo "::error title=vouch::vouch could not run the scan (exit $code); see the message above"
  exit "$code"
fi
exit 0
