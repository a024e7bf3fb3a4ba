#!/usr/bin/env bash
# Registry-image benchmark: a local Debian docker-registry holding 200 signed and SBOM-attested
# images (bench/images_seed.py), a repository of 500 Deployments referencing them, and one
# release `vouch scan --all-targets`. Records wall time and peak RSS (GNU time) and the registry
# requests: vouch's own count (the image Collection's origin) and the registry's access log.
# Not a test: the numbers go into BENCHMARKS.md.
#
#   bench/images.sh                          # 500 workloads, 200 images
#   bench/images.sh --workloads 2000 --images 500 --keep
#
# Installs docker-registry, GNU time and python3-cryptography from Debian when missing. Builds
# vouch in release mode with CARGO_TARGET_DIR if set; VOUCH_CARGO_FLAGS (default
# "--no-default-features --features image") selects features.
set -euo pipefail
cd "$(dirname "$0")/.."

workloads=500
images=200
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --images) images="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--workloads N] [--images M] [--keep]" >&2; exit 2 ;;
  esac
done

need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
[ -x /usr/bin/time ] || need+=(time)
python3 -c 'import cryptography' 2>/dev/null || need+=(python3-cryptography)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch/target}"
# shellcheck disable=SC2086
cargo build --release --locked --quiet ${VOUCH_CARGO_FLAGS:---no-default-features --features image}
vouch="$CARGO_TARGET_DIR/release/vouch"

work="$(mktemp -d)"
registry_pid=""
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
  [ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT
[ "$keep" -eq 0 ] || echo "keeping $work" >&2

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
host="127.0.0.1:$port"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: info}
storage:
  filesystem: {rootdirectory: $work/data}
http:
  addr: $host
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fs "http://$host/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done

mkdir -p "$work/repo/deploy"
python3 bench/images_seed.py "$host" "$images" "$work/repo"
python3 - "$work/repo" "$host" "$workloads" "$images" <<'PY'
import sys
root, host, workloads, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for f in range(0, workloads, 10):
    docs = []
    for i in range(f, min(f + 10, workloads)):
        docs.append(f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i:04d}\n"
                    f"  namespace: bench\nspec:\n  template:\n    spec:\n      containers:\n"
                    f"        - name: app\n          image: {host}/bench/app-{i % images:03d}:1\n")
    with open(f"{root}/deploy/svc-{f:04d}.yaml", "w") as out:
        out.write("---\n".join(docs))
PY
cat > "$work/repo/vouch.toml" <<TOML
[image]
keys = ["$work/repo/release.pub"]
insecure_registries = ["$host"]
TOML

before="$(grep -c 'response completed' "$work/registry.log" || true)"
/usr/bin/time -v "$vouch" scan "$work/repo" --all-targets --format json \
  --dump-facts "$work/facts.json" > "$work/report.json" 2> "$work/time.txt" || true
after="$(grep -c 'response completed' "$work/registry.log" || true)"

python3 - "$work" "$((after - before))" <<'PY'
import json, re, sys
work, logged = sys.argv[1], int(sys.argv[2])
facts = json.load(open(f"{work}/facts.json"))
report = json.load(open(f"{work}/report.json"))
timing = open(f"{work}/time.txt").read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", timing).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
origin = next(c["origin"] for c in facts["collections"] if c["source"] == "image")
statuses = {}
for f in report["findings"]:
    if f["check"] in ("image-signed", "image-sbom-attested"):
        statuses[(f["check"], f["status"])] = statuses.get((f["check"], f["status"]), 0) + 1
print(f"wall {wall}  peak RSS {rss / 1024:.1f} MiB")
print(f"vouch: {origin}")
print(f"registry access log: {logged} requests during the scan")
print("findings:", ", ".join(f"{c} {s}: {n}" for (c, s), n in sorted(statuses.items())))
PY
