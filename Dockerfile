# vouch in a container: `docker run --rm -v "$PWD:/src" IMAGE scan /src`.
#
# Two stages. The build stage runs on the build machine's own platform and cross-compiles for the
# image's platform (TARGETARCH), so a linux/arm64 image builds on an amd64 runner without emulating
# rustc. OpenSSL is compiled in (`vendored-openssl`), so the binary needs only glibc and libgcc at
# run time: exactly what distroless/cc ships, with CA certificates and a non-root user.
#
# Base images are pinned by digest (the multi-platform index). Where each digest came from:
#   rust:1.95-bookworm          sha256:6258907a…  Docker Hub's official image as pinned in public
#                                                 Dockerfiles and resolved in a public BuildKit log
#   distroless/cc-debian12:nonroot sha256:9dac0a79… as pinned in public Dockerfiles
#                                                 (e.g. StephanMeijer/meneerhenk)
# Refresh both with `docker buildx imagetools inspect IMAGE:TAG` before a release.

FROM --platform=$BUILDPLATFORM rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
ARG BUILDARCH
ARG TARGETARCH
WORKDIR /src
# A cross C toolchain only when the image's platform differs from the builder's (ring, aws-lc and
# OpenSSL are C).
RUN if [ "$TARGETARCH" != "$BUILDARCH" ]; then \
      case "$TARGETARCH" in \
        arm64) pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; triple=aarch64-unknown-linux-gnu ;; \
        amd64) pkgs="gcc-x86-64-linux-gnu libc6-dev-amd64-cross"; triple=x86_64-unknown-linux-gnu ;; \
        *) echo "unsupported TARGETARCH $TARGETARCH" >&2; exit 1 ;; \
      esac \
      && apt-get update \
      && apt-get install -y --no-install-recommends $pkgs \
      && rm -rf /var/lib/apt/lists/* \
      && rustup target add "$triple"; \
    fi
ENV CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc \
    CC_x86_64_unknown_linux_gnu=x86_64-linux-gnu-gcc \
    AR_x86_64_unknown_linux_gnu=x86_64-linux-gnu-ar
# Sources only: fixtures, tests and benchmarks are not needed to build the binary.
COPY Cargo.toml Cargo.lock ./
COPY scanner ./scanner
COPY checks ./checks
COPY reports ./reports
COPY templates ./templates
COPY tests ./tests
RUN case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-gnu ;; \
      arm64) triple=aarch64-unknown-linux-gnu ;; \
      *) echo "unsupported TARGETARCH $TARGETARCH" >&2; exit 1 ;; \
    esac \
    && if [ "$TARGETARCH" = "$BUILDARCH" ]; then \
         unset "CARGO_TARGET_$(echo "$triple" | tr '[:lower:]-' '[:upper:]_')_LINKER" \
               "CC_$(echo "$triple" | tr '-' '_')" "AR_$(echo "$triple" | tr '-' '_')"; \
       fi \
    && cargo build --release --locked --bin vouch --features vendored-openssl --target "$triple" \
    && install -D -m 0755 "target/$triple/release/vouch" /out/usr/local/bin/vouch

FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
LABEL org.opencontainers.image.title="vouch" \
      org.opencontainers.image.description="Audits repositories and live infrastructure against a catalog of security controls" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /
WORKDIR /src
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vouch"]
CMD ["--help"]
