# The container image: one static binary on distroless, to run bedrock-preflight where there is
# no machine of one's own (an ECS scheduled task, CodeBuild, any `docker run`). The release
# workflow builds it at each release tag and pushes it to
# ghcr.io/bedrock-preflight/bedrock-preflight (README, "Running it at scale").
#
#   docker build -t bedrock-preflight .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \
#     -e AWS_SESSION_TOKEN bedrock-preflight audit --region all

# Alpine's Rust builds for x86_64- or aarch64-unknown-linux-musl and links statically by
# default. The SDK's HTTPS client is rustls on aws-lc-rs, whose aws-lc-sys compiles C: with the
# bindings it ships pregenerated for both musl targets that takes gcc and musl's headers only
# (no cmake, clang or Go).
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache gcc musl-dev
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY policies policies
# The profile cargo-dist builds the release archives with (fat LTO, stripped).
RUN cargo build --locked --profile dist --bin bedrock-preflight \
 && cp target/dist/bedrock-preflight /bedrock-preflight
# The final image has no libc: a binary that needs any shared library would not start there.
RUN if readelf --dynamic /bedrock-preflight | grep -q NEEDED; then \
      echo "bedrock-preflight is linked dynamically" >&2; exit 1; \
    fi \
 && /bedrock-preflight --version

# No shell, no package manager, no libc: CA certificates (rustls reads the system's), tzdata
# and the nonroot user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/bedrock-preflight/bedrock-preflight" \
      org.opencontainers.image.description="Will your Claude calls on Amazon Bedrock work from here? Checks, fixes, audits and least-privilege IAM." \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /bedrock-preflight /usr/local/bin/bedrock-preflight
USER nonroot:nonroot
# Where a bedrock-preflight.toml mounted into the container is found without --config.
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/bedrock-preflight"]
