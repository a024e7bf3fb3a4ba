#!/usr/bin/env python3
"""Precision per check on the container and supply-chain corpus (docs/precision.md).

The nine repository snapshots are listed in REPOS (owner/name, commit, what was scanned). Export
each one (`git archive COMMIT | tar -x -C SNAPSHOTS/NAME`; for dotnet-samples only `samples/`,
`.github/` and `LICENSE`), scan it with the binary to measure, then run this script:

    for d in SNAPSHOTS/*; do vouch scan "$d" -f json -o "OUT/$(basename "$d").after.json"; done
    python3 scripts/precision_containers.py OUT            # before and after
    python3 scripts/precision_containers.py OUT -v         # also list each false report

It reads OUT/NAME.before.json and OUT/NAME.after.json. A reported finding (status fail or error;
for secrets-committed only critical ones) is true unless a rule in false_reason, written after
reading the files, says it is false. An `error` that rightly says the answer cannot be known
from the repository (a base image passed in by a build argument with no default) counts as true.
"""
# Snapshots: name -> (repository, commit, licence).
REPOS_AT = {
    "buildx": ("docker/buildx", "461836ba0fcb3e847dab6045a726889faa150bdb", "Apache-2.0"),
    "dotnet-samples": ("dotnet/dotnet-docker", "3ed00b611cc88eaa5995525a0549a5703965cd02", "MIT"),
    "kube-state-metrics": ("kubernetes/kube-state-metrics", "c92fe0c5ce02d3b52abf54490e00db6c706f2ba5", "Apache-2.0"),
    "kustomize-controller": ("fluxcd/kustomize-controller", "186fb3b29138ce82ff61ba1a9370b96a3dd598fe", "Apache-2.0"),
    "microservices-demo": ("GoogleCloudPlatform/microservices-demo", "34ffea9175946982c3088ed84994fe6019ad6e92", "Apache-2.0"),
    "oauth2-proxy": ("oauth2-proxy/oauth2-proxy", "14af2951e562c9573c72c433732ceee83aea3282", "MIT"),
    "opentelemetry-demo": ("open-telemetry/opentelemetry-demo", "054282e318317f2be09f67dd9b0d7d1278566cfa", "Apache-2.0"),
    "uv-docker-example": ("astral-sh/uv-docker-example", "00701a3361b9bdc896f8549fb9f890f99d115824", "MIT OR Apache-2.0"),
    "whoami": ("traefik/whoami", "8951300b46f13ce678dbed8a692ef2ccecf0eec4", "Apache-2.0"),
}

import json, re, sys, collections
REPOS = sorted(REPOS_AT)
OUT = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "out"
CHECKS = ["docker-base-pinned","docker-minimal-base","docker-non-root","docker-no-secrets",
  "k8s-no-privileged","k8s-run-as-non-root","k8s-read-only-root-fs","gha-action-pinned",
  "gha-image-pinned","lockfile-present","lockfile-in-sync","lockfile-frozen-install",
  "ci-vuln-scan","dep-update-config","sbom-present","sbom-valid","secrets-committed"]
TOOLING = re.compile(r"genproto/|Dockerfile\.cypress|react-native-app/android\.Dockerfile")
def false_reason(repo, f):
    c, subj, msg = f["check"], f["subject"], f["message"]
    path = (f.get("location") or {}).get("path", "")
    if repo == "oauth2-proxy" and c == "docker-base-pinned" and subj == "placeholder":
        return "not an image: ARG RUNTIME_IMAGE=placeholder, the Makefile passes the real one"
    if repo == "buildx" and c == "docker-base-pinned" and "$TARGETOS" in subj:
        return "a stage chosen by BuildKit's automatic $TARGETOS, not an image"
    if repo == "buildx" and c in ("docker-minimal-base","docker-non-root") and subj == "Dockerfile":
        return "final stage is a FROM scratch artefact export (binaries-$TARGETOS)"
    if repo == "dotnet-samples" and c == "lockfile-frozen-install" and re.match(
            r"samples/(aspnetapp|dotnetapp|globalapp|releasesapi|releasesapp)/", subj):
        return "the sample's project references no NuGet package: its restore resolves nothing"
    if repo == "buildx" and c == "ci-vuln-scan":
        return "govulncheck runs on push and PR through docker/bake-action (targets: govulncheck)"
    if repo == "buildx" and c == "sbom-present":
        return "docker/github-builder bake workflow with sbom: true"
    if repo == "kube-state-metrics" and c == "sbom-present":
        return "bom generate on release"
    if repo == "kube-state-metrics" and c == "docker-minimal-base":
        return "gcr.io/distroless/static-debian13 whatever GOARCH"
    if c.startswith("k8s-") and re.search(r"(^|/)(tests?|testdata)/", path):
        return "test data manifest, not a deployment"
    if c in ("docker-minimal-base","docker-non-root") and TOOLING.search(subj):
        return "protobuf generator / Cypress test runner / APK export image"
    if repo == "dotnet-samples" and c == "docker-minimal-base" and re.search(r"builds on `[^`]*distroless", msg):
        return "Microsoft's Azure Linux distroless base"
    if repo == "dotnet-samples" and c == "docker-non-root" and ("APP_UID" in msg or "nanoserver" in msg):
        return "USER $APP_UID (1654) / Nano Server runs as ContainerUser"
    if repo == "oauth2-proxy" and c in ("docker-minimal-base","docker-non-root") and subj == "Dockerfile" and "`placeholder`" in msg:
        return "ARG RUNTIME_IMAGE=placeholder; the Makefile passes gcr.io/distroless/static:nonroot"
    if c == "secrets-committed" and f["severity"] == "critical" and (
            "local-environment/" in subj or subj.endswith("config/dev.exs")):
        return "local development environment credentials"
    return None
def table(suffix, verbose=False):
    rep, tru = collections.Counter(), collections.Counter()
    for repo in REPOS:
        r = json.load(open(f"{OUT}/{repo}.{suffix}.json"))
        for f in r["findings"]:
            c = f["check"]
            if c not in CHECKS or f["status"] not in ("fail","error"): continue
            if c == "secrets-committed" and f["severity"] != "critical": continue
            rep[c] += 1
            why = false_reason(repo, f)
            if why is None: tru[c] += 1
            elif verbose: print(f"  false: {repo} {c} {f['subject']}: {why}")
    return rep, tru
b, bt = table("before", "-v" in sys.argv)
a, at = table("after", "-v" in sys.argv)
pct = lambda t, r: f"{100*t/r:.0f}%" if r else "n/a"
print("| check | reported before | true | precision before | reported after | true | precision after |")
print("|---|---|---|---|---|---|---|")
for c in CHECKS:
    print(f"| `{c}`{' (critical)' if c=='secrets-committed' else ''} | {b[c]} | {bt[c]} | {pct(bt[c],b[c])} | {a[c]} | {at[c]} | {pct(at[c],a[c])} |")
cont = [c for c in CHECKS if c.startswith(("docker","k8s"))]
for name, group in (("containers", cont), ("supply chain", [c for c in CHECKS if c not in cont and c!="secrets-committed"])):
    rb=sum(b[c] for c in group); tb=sum(bt[c] for c in group); ra=sum(a[c] for c in group); ta=sum(at[c] for c in group)
    print(f"| **{name}** | {rb} | {tb} | {pct(tb,rb)} | {ra} | {ta} | {pct(ta,ra)} |")
