# Partner Portal: a multi-stage build. The first stage compiles the release binary (templates
# and migrations are compiled into it); the second is a small Debian with the binary, the
# static files and the C libraries it links (libpq), running as an unprivileged user.
#
#   docker build -t partner-portal .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... partner-portal
#
# The default command is `serve`; `docker run ... partner-portal seed-demo` (or `migrate`,
# `enterprise create ...`) runs another one. `docker stop` sends SIGTERM: requests in flight
# finish (up to 30 s), then the email worker stops between two emails.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Plain RUN (no BuildKit cache mounts), so that any builder (the legacy one, podman, buildah)
# can build it; Cargo.lock pins every crate (--locked).
RUN cargo build --release --locked --bin partner-portal \
 && cp target/release/partner-portal /usr/local/bin/partner-portal

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libpq5 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin portal
WORKDIR /app
COPY --from=build /usr/local/bin/partner-portal /usr/local/bin/partner-portal
COPY static /app/static
ENV STATIC_DIR=/app/static \
    BIND_ADDR=0.0.0.0:8080 \
    RUST_LOG=info
USER portal
EXPOSE 8080
# /healthz answers 200 while the process serves (it does not need the database; /readyz does).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz >/dev/null || exit 1
ENTRYPOINT ["partner-portal"]
CMD ["serve"]
