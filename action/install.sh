#!/usr/bin/env bash
# Installs the released vouch binary for this runner's OS and architecture, after checking it
# against the release's SHA256SUMS, and puts it on PATH for the next steps.
#
# Environment (set by action.yml): VOUCH_VERSION (a tag or `latest`), VOUCH_ACTION_REPOSITORY
# (owner/name the action runs from), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH.
# VOUCH_RELEASE_BASE overrides where the files come from (a URL prefix; tests use file://DIR).
set -euo pipefail

fail() {
  echo "::error title=vouch install::$*"
  exit 2
}

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  *) fail "no released vouch binary for ${RUNNER_OS:-unknown OS}/${RUNNER_ARCH:-unknown arch} (linux x64 and arm64 only)" ;;
esac

version="${VOUCH_VERSION:-latest}"
[[ "$version" =~ ^(latest|v?[0-9][0-9A-Za-z.+-]*)$ ]] || fail "version '$version' is not a release tag or 'latest'"

repository="${VOUCH_ACTION_REPOSITORY:-}"
[ -n "$repository" ] || repository="vouch-dev/vouch"
if [ -n "${VOUCH_RELEASE_BASE:-}" ]; then
  base="$VOUCH_RELEASE_BASE"
elif [ "$version" = latest ]; then
  base="https://github.com/$repository/releases/latest/download"
else
  base="https://github.com/$repository/releases/download/$version"
fi
case "$base" in
  https://*) protocols="=https" ;;
  file://*) protocols="=file" ;;
  *) fail "release location '$base' is neither https:// nor file://" ;;
esac

asset="vouch-$target"
dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/vouch-install"
rm -rf "$dir"
mkdir -p "$dir/bin"
fetch() {
  curl --fail --silent --show-error --location --proto "$protocols" --retry 3 \
    --output "$dir/$2" "$base/$1" || fail "could not download $base/$1"
}
fetch SHA256SUMS SHA256SUMS
fetch "$asset" "$asset"

# The line for exactly this file name (sha256sum's "HASH  NAME" or "HASH *NAME").
expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$dir/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS from $base lists no $asset"
actual="$(sha256sum "$dir/$asset" | awk '{ print $1 }')"
[ "$expected" = "$actual" ] || fail "$asset does not match SHA256SUMS (expected $expected, got $actual): not installed"

install -m 0755 "$dir/$asset" "$dir/bin/vouch"
echo "$dir/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
echo "vouch $version ($asset, sha256 $actual) installed from $base"
"$dir/bin/vouch" --version
