#!/usr/bin/env bash
# The action's last step: fails the job when the scan found a problem at or above `fail-on`
# (after the SARIF upload, so code scanning shows what failed).
set -euo pipefail
if [ "${VOUCH_FAILED:-}" = "true" ]; then
  echo "::error title=vouch::a problem at or above fail-on '${INPUT_FAIL_ON:-high}' failed (see the annotations and the job summary)"
  exit 1
fi
echo "vouch: nothing at or above fail-on '${INPUT_FAIL_ON:-high}' failed"
