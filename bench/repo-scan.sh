#!/usr/bin/env bash
# Repository-scan benchmark: generates a synthetic monorepo (deterministic for a seed), then
# measures `vouch scan` (wall time, median of 3 after a warm-up; peak RSS) against
# `rg -c '' DIR` over the same tree. Not a test: the numbers go into BENCHMARKS.md.
#
#   bench/repo-scan.sh                      # 20,000 files, seed 1
#   bench/repo-scan.sh --files 50000 --seed 7 --keep
#
# Installs ripgrep and GNU time from Debian when missing. Builds vouch in release mode (with
# CARGO_TARGET_DIR if set, as scripts/test does).
set -euo pipefail
cd "$(dirname "$0")/.."

files=20000
seed=1
runs=3
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--files N] [--seed S] [--runs R] [--keep]" >&2; exit 2 ;;
  esac
done

need=()
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch/target}"
# VOUCH_CARGO_FLAGS="--no-default-features" skips the live-source SDKs, which a repository scan
# does not use (the scan path is identical), to save a long release build.
# shellcheck disable=SC2086
cargo build --release --locked --quiet ${VOUCH_CARGO_FLAGS:-}
vouch="$CARGO_TARGET_DIR/release/vouch"

work="$(mktemp -d)"
[ "$keep" -eq 1 ] || trap 'rm -rf "$work"' EXIT
[ "$keep" -eq 0 ] || echo "keeping $work" >&2
tree="$work/monorepo"

python3 - "$tree" "$files" "$seed" <<'PY'
"""Writes a synthetic monorepo: code of realistic sizes, Dockerfiles, workflows, manifests with
lockfiles. Same arguments, same bytes."""
import json, os, random, sys

root, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
DOCKERFILES, WORKFLOWS, MANIFESTS = 300, 300, 200
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"

def write(rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

services = [f"services/svc-{i:03d}" for i in range(MANIFESTS)]
libs = [f"libs/lib-{i:03d}" for i in range(120)]
written = 0

# Dockerfiles: every service, then a second one (Dockerfile.dev) for a third of them.
bases = ["node:20-alpine", f"node:20-alpine@sha256:{'a' * 64}", "python:3.12-slim",
         "gcr.io/distroless/static-debian12:nonroot", "rust:1.82", "golang:1.23"]
for i in range(DOCKERFILES):
    svc = services[i % len(services)]
    name = "Dockerfile" if i < len(services) else "Dockerfile.dev"
    base = rng.choice(bases)
    user = "USER 10001\n" if rng.random() < 0.6 else ""
    write(f"{svc}/{name}",
          f"ARG BASE={base}\nFROM ${{BASE}} AS build\nWORKDIR /app\nCOPY . .\n"
          f"RUN npm ci && npm run build\n\nFROM {rng.choice(bases)}\nCOPY --from=build /app/dist /app\n"
          f"ENV NODE_ENV=production PORT=8080\n{user}EXPOSE 8080\nCMD [\"node\", \"/app/index.js\"]\n")
    written += 1

# Workflows: a third at the root, the rest next to services (monorepos keep both).
actions = [f"actions/checkout@{SHA}", "actions/checkout@v4", "actions/setup-node@v4",
           f"actions/setup-python@{SHA}", "docker/build-push-action@v6", "aquasecurity/trivy-action@0.28.0"]
for i in range(WORKFLOWS):
    where = ".github/workflows" if i < WORKFLOWS // 3 else f"{services[i % len(services)]}/.github/workflows"
    steps = "".join(f"      - uses: {rng.choice(actions)}\n      - run: npm ci && npm test -- --shard={j}\n"
                    for j in range(rng.randint(2, 8)))
    write(f"{where}/wf-{i:03d}.yml",
          f"name: wf-{i}\non:\n  pull_request:\n  push:\n    branches: [main]\npermissions:\n  contents: read\n"
          f"jobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    steps:\n{steps}")
    written += 1

def npm(svc, n):
    deps = {f"pkg-{rng.randint(0, 5000)}": f"^{rng.randint(0, 9)}.{rng.randint(0, 20)}.0" for _ in range(n)}
    write(f"{svc}/package.json", json.dumps({"name": svc.split("/")[-1], "version": "1.0.0",
                                             "private": True, "dependencies": deps}, indent=2) + "\n")
    packages = {"": {"name": svc.split("/")[-1], "version": "1.0.0", "dependencies": deps}}
    for name, spec in list(deps.items()) + [(f"transitive-{rng.randint(0, 9999)}", "1.0.0") for _ in range(n * 6)]:
        packages[f"node_modules/{name}"] = {
            "version": spec.lstrip("^"), "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{spec.lstrip('^')}.tgz",
            "integrity": "sha512-" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/") for _ in range(86)) + "==",
            "license": "MIT"}
    write(f"{svc}/package-lock.json", json.dumps({"name": svc.split("/")[-1], "version": "1.0.0",
                                                  "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2) + "\n")
    return 2

def cargo(svc, n):
    deps = [f"crate-{rng.randint(0, 3000)}" for _ in range(n)]
    write(f"{svc}/Cargo.toml", f"[package]\nname = \"{svc.split('/')[-1]}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"
          + "".join(f"{d} = \"1\"\n" for d in deps))
    lock = "# This file is automatically @generated by Cargo.\nversion = 4\n\n"
    for d in deps + [f"dep-{rng.randint(0, 9999)}" for _ in range(n * 5)]:
        lock += (f"[[package]]\nname = \"{d}\"\nversion = \"1.{rng.randint(0, 40)}.{rng.randint(0, 9)}\"\n"
                 f"source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
                 f"checksum = \"{rng.getrandbits(256):064x}\"\n\n")
    write(f"{svc}/Cargo.lock", lock)
    return 2

def pip(svc, n):
    write(f"{svc}/requirements.txt", "".join(f"package-{rng.randint(0, 4000)}=={rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}\n"
                                             for _ in range(n)))
    return 1

for i, svc in enumerate(services):
    written += (npm, cargo, pip)[i % 3](svc, rng.randint(5, 60))

write(".gitignore", "dist/\n*.log\n")
written += 1

# Code: the rest of the files, log-normal sizes (median about 3 KiB, a long tail to ~200 KiB).
langs = {
    ".ts": ["export function handler{n}(req: Request): Response {{", "  const value = await fetchThing(req.id, {{ retries: {n} }});",
            "  if (!value) throw new HttpError(404, 'not found');", "  return json({{ ok: true, value }});", "}}", "import {{ thing{n} }} from './thing';"],
    ".py": ["def handler_{n}(request):", "    value = fetch_thing(request.id, retries={n})", "    if value is None:",
            "        raise NotFound('thing')", "    return {{'ok': True, 'value': value}}", "from .things import thing_{n}"],
    ".rs": ["pub fn handler_{n}(req: &Request) -> Result<Response> {{", "    let value = fetch_thing(req.id, {n})?;",
            "    Ok(Response::json(&value))", "}}", "use crate::things::Thing{n};"],
    ".go": ["func Handler{n}(w http.ResponseWriter, r *http.Request) {{", "\tvalue, err := fetchThing(r.Context(), {n})",
            "\tif err != nil {{ http.Error(w, err.Error(), 500); return }}", "\tjson.NewEncoder(w).Encode(value)", "}}"],
    ".md": ["# Section {n}", "This service handles requests for the thing API, version {n}.", "", "- item {n}: see the runbook"],
}
exts = list(langs)
dirs = [f"{base}/src/{sub}" for base in services + libs for sub in ("", "api", "core", "util/internal")]
i = 0
while written < total:
    ext = rng.choice(exts)
    size = min(int(rng.lognormvariate(8.0, 1.0)), 200_000)
    pool, out, length = langs[ext], [], 0
    while length < size:
        line = rng.choice(pool).format(n=rng.randint(0, 999))
        out.append(line)
        length += len(line) + 1
    write(f"{rng.choice(dirs)}/file_{i:05d}{ext}".replace("//", "/"), "\n".join(out) + "\n")
    written += 1
    i += 1
print(f"generated {written} files in {root}", file=sys.stderr)
PY

size="$(du -sh "$tree" | cut -f1)"
count="$(find "$tree" -type f | wc -l)"

# Runs a command once as warm-up, then $runs times; prints "median_wall_s max_rss_mib".
measure() {
  local samples="$work/samples"
  : > "$samples"
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -a -o "$samples" "$@" >/dev/null 2>&1 || true
  done
  # GNU time also notes non-zero exits (vouch exits 1 when findings gate): keep the numbers.
  grep -E '^[0-9.]+ [0-9]+$' "$samples" | sort -n | awk '{ wall[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%.2f %.1f\n", wall[int((NR + 1) / 2)], rss / 1024 }'
}

read -r vouch_wall vouch_rss < <(measure "$vouch" scan "$tree" --format json --output "$work/report.json")
read -r rg_wall rg_rss < <(measure rg -c '' "$tree")
findings="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["findings"]), r["summary"])' "$work/report.json")"
ratio="$(awk -v a="$vouch_wall" -v b="$rg_wall" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"

cat <<REPORT
machine:   $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM
tree:      $count files, $size (seed $seed)
vouch:     $($vouch --version), $vouch_wall s median of $runs, peak RSS $vouch_rss MiB; findings: $findings
rg -c '':  $rg_wall s median of $runs, peak RSS $rg_rss MiB ($(rg --version | sed -n 1p))
ratio:     vouch / rg = $ratio (target < 2.0); RSS target < 200 MiB
REPORT
