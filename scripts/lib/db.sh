#!/usr/bin/env bash
# shellcheck shell=bash
#
# scripts/lib/db.sh -- sourced by scripts/run, scripts/test and scripts/pg.
#
# ensure_database leaves DATABASE_URL exported:
#   * DATABASE_URL already set  -> used as is, after checking it is reachable;
#   * otherwise                 -> a private PostgreSQL cluster of this checkout in
#                                  .pg/ (git-ignored), listening on 127.0.0.1 only,
#                                  port ${PP_PG_PORT:-54329}. It never touches the
#                                  machine's own PostgreSQL on 5432.
#
# Why a private cluster: the tests create and drop many databases, need a
# superuser, and must behave the same on a developer machine, on CI (root, fresh
# clone in a mode-700 temp dir) and on a brand-new machine (nothing installed).
#
# Executed directly (not sourced) it just prints the DATABASE_URL it ensured.

set -euo pipefail

PP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PP_PG_DIR="$PP_ROOT/.pg"
PP_PG_DATA="$PP_PG_DIR/data"
PP_PG_DB="partner_portal"
PP_PG_DEFAULT_PORT=54329
# Unix socket paths are limited to ~107 bytes; the checkout path can be long,
# so the socket goes to /tmp (only the port number is in its name).
PP_PG_SOCKET_DIR="/tmp"
PP_PG_BIN=""            # set by ensure_pg_server_binaries
PP_PG_PORT_IN_USE=""    # port of the running private cluster
PP_PG_STARTED_HERE=0  # set to 1 when ensure_database started the cluster

pp_say() { printf '==> %s\n' "$*" >&2; }
pp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
pp_is_root() { [ "$(id -u)" -eq 0 ]; }

# Installs Debian packages: directly as root, through sudo otherwise.
pp_apt_install() {
  local sudo=()
  if ! pp_is_root; then
    command -v sudo >/dev/null 2>&1 ||
      pp_die "need the Debian packages '$*' but am not root and there is no sudo; install them, or set DATABASE_URL to an existing server"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 ||
    pp_die "need the packages '$*' (PostgreSQL server / libpq headers) and there is no apt-get; install them by hand"
  pp_say "installing $* (apt-get)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# diesel links libpq: the headers/pg_config must be there for `cargo build`.
ensure_libpq() {
  if pkg-config --exists libpq 2>/dev/null || [ -f /usr/include/postgresql/libpq-fe.h ] ||
     command -v pg_config >/dev/null 2>&1; then
    return 0
  fi
  pp_apt_install libpq-dev
}

# cargo may be missing from PATH in a non-login shell (CI).
ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    export PATH
  fi
  command -v cargo >/dev/null 2>&1 || pp_die "cargo not found (install Rust via rustup)"
}

# Prints the directory with initdb/pg_ctl/postgres. Prefers the major version the
# existing cluster was made with, else the highest installed one.
pp_pg_bindir() {
  local want d best=""
  if [ -f "$PP_PG_DATA/PG_VERSION" ]; then
    want="$(cat "$PP_PG_DATA/PG_VERSION")"
    if [ -x "/usr/lib/postgresql/$want/bin/postgres" ]; then
      echo "/usr/lib/postgresql/$want/bin"; return 0
    fi
  fi
  best="$(for d in /usr/lib/postgresql/*/bin; do
            if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
          done | sort -V | tail -n 1)"
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
    # resolve symlinks (e.g. /usr/local/bin/initdb) so that postgres/pg_ctl are siblings
    best="$(dirname "$(readlink -f "$(command -v initdb)")")"
  fi
  [ -n "$best" ] || return 1
  echo "$best"
}

# Sets PP_PG_BIN, installing the server (Debian package) if there is none.
ensure_pg_server_binaries() {
  if ! PP_PG_BIN="$(pp_pg_bindir)"; then
    pp_apt_install postgresql
    PP_PG_BIN="$(pp_pg_bindir)" ||
      pp_die "PostgreSQL server binaries (initdb, pg_ctl) still not found after installing postgresql"
  fi
  pp_check_cluster_version
}

# An existing cluster only starts with the same major version.
pp_check_cluster_version() {
  [ -f "$PP_PG_DATA/PG_VERSION" ] || return 0
  local want have
  want="$(cat "$PP_PG_DATA/PG_VERSION")"
  have="$("$PP_PG_BIN/pg_ctl" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
  [ "$have" = "$want" ] ||
    pp_die "the cluster in .pg/data was made by PostgreSQL $want but $PP_PG_BIN is $have; recreate it: ./scripts/pg stop; rm -rf .pg"
}

# Client tools next to the server if there, else from PATH.
pp_pg_tool() {
  if [ -x "$PP_PG_BIN/$1" ]; then echo "$PP_PG_BIN/$1"; else command -v "$1"; fi
}

# Runs a command as the owner of the cluster. PostgreSQL refuses to run as root,
# so as root (CI) that is the 'postgres' system user; otherwise the current user.
# The working directory is .pg/, which that user can always enter.
pp_as_owner() {
  if pp_is_root; then
    if command -v runuser >/dev/null 2>&1; then
      (cd "$PP_PG_DIR" && runuser -u postgres -- "$@")
    else
      local cmd; cmd="$(printf '%q ' "$@")"
      (cd "$PP_PG_DIR" && su postgres -s /bin/sh -c "$cmd")
    fi
  else
    (cd "$PP_PG_DIR" && "$@")
  fi
}

# As root: test as the postgres user.
pp_postgres_can() {
  if command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@" 2>/dev/null
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")" 2>/dev/null
  fi
}

# As root: make sure the postgres user exists and can reach .pg/. CI clones into
# `mktemp -d` folders (mode 700, root-owned) that postgres cannot traverse; only
# the search bit (o+x) is added to the ancestors that lack it -- nothing becomes
# listable or readable.
pp_prepare_root_access() {
  pp_is_root || return 0
  if ! id postgres >/dev/null 2>&1; then
    pp_say "creating the 'postgres' system user"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  local d="" part parts fixed=()
  IFS=/ read -r -a parts <<<"$PP_ROOT"
  # walk from / down to the repo root, fixing each level in turn
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    d="$d/$part"
    if ! pp_postgres_can test -x "$d"; then
      chmod o+x "$d"
      fixed+=("$d")
    fi
  done
  if [ "${#fixed[@]}" -gt 0 ]; then
    pp_say "added o+x (search only) to ${fixed[*]} so that the postgres user can reach .pg/"
  fi
  pp_postgres_can test -x "$PP_ROOT" ||
    pp_die "the postgres user still cannot reach $PP_ROOT; set DATABASE_URL to an existing server instead"
}

# True if something answers TCP on 127.0.0.1:$1 or holds PostgreSQL's socket lock for it.
pp_port_in_use() {
  local port="$1" lock="$PP_PG_SOCKET_DIR/.s.PGSQL.$1.lock" pid
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    return 0
  fi
  if [ -f "$lock" ]; then
    pid="$(head -n 1 "$lock" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 0
  fi
  return 1
}

# Prints the port of this checkout's running cluster; fails if it is not running.
# Checks the postmaster.pid's process really is a postmaster of *this* data dir
# (its cwd), so a stale pid file reused by another process is not mistaken.
pp_running_port() {
  local pidfile="$PP_PG_DATA/postmaster.pid" pid port cwd
  [ -f "$pidfile" ] || return 1
  pid="$(sed -n 1p "$pidfile")"; port="$(sed -n 4p "$pidfile")"
  [ -n "$pid" ] && [ -n "$port" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -d "/proc/$pid" ]; then
    cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
    [ "$cwd" = "$PP_PG_DATA" ] || return 1
  fi
  echo "$port"
}

pp_wait_ready() {
  local port="$1"
  for _ in $(seq 1 60); do
    "$(pp_pg_tool pg_isready)" -q -h 127.0.0.1 -p "$port" -t 2 && return 0
    sleep 1
  done
  return 1
}

pp_psql_admin() {
  "$(pp_pg_tool psql)" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PP_PG_PORT_IN_USE" -U postgres -d postgres "$@"
}

pp_initdb() {
  local locale=C
  if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then locale=C.UTF-8; fi
  pp_say "creating the private PostgreSQL cluster in .pg/data ($("$PP_PG_BIN/initdb" --version))"
  pp_as_owner "$PP_PG_BIN/initdb" -D "$PP_PG_DATA" -A trust -U postgres -E UTF8 --locale="$locale" \
    >"$PP_PG_DIR/initdb.log" 2>&1 ||
    { tail -n 20 "$PP_PG_DIR/initdb.log" >&2; pp_die "initdb failed (see .pg/initdb.log)"; }
  # Dev/test settings: durability off (the data is disposable), TCP on loopback only.
  pp_as_owner tee -a "$PP_PG_DATA/postgresql.conf" >/dev/null <<EOF

# --- partner-portal private dev/test cluster (scripts/lib/db.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PP_PG_SOCKET_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
max_connections = 200
shared_buffers = 128MB
EOF
}

# Chooses the port for starting: PP_PG_PORT if set (strict); else the one this
# cluster used last time (.pg/port), else 54329; if that is taken by something
# else (e.g. another checkout's cluster) the next free one up to 54348.
pp_choose_port() {
  local port
  if [ -n "${PP_PG_PORT:-}" ]; then
    pp_port_in_use "$PP_PG_PORT" &&
      pp_die "port $PP_PG_PORT is already taken by something that is not this checkout's cluster; set PP_PG_PORT to a free port (e.g. PP_PG_PORT=54339)"
    echo "$PP_PG_PORT"; return 0
  fi
  local last tried=" "
  last="$(cat "$PP_PG_DIR/port" 2>/dev/null || echo "$PP_PG_DEFAULT_PORT")"
  for port in "$last" $(seq "$PP_PG_DEFAULT_PORT" $((PP_PG_DEFAULT_PORT + 19))); do
    case "$tried" in *" $port "*) continue ;; esac
    tried="$tried$port "
    if ! pp_port_in_use "$port"; then echo "$port"; return 0; fi
    pp_say "port $port is taken by something that is not this checkout's cluster; trying another"
  done
  pp_die "no free port in $PP_PG_DEFAULT_PORT-$((PP_PG_DEFAULT_PORT + 19)); set PP_PG_PORT to a free port"
}

pp_start_cluster() {
  local port pidfile="$PP_PG_DATA/postmaster.pid"
  if [ -f "$pidfile" ]; then
    # not running (checked by the caller): a stale pid file, e.g. after a reboot
    pp_say "removing the stale .pg/data/postmaster.pid"
    pp_as_owner rm -f "$pidfile"
  fi
  port="$(pp_choose_port)"
  pp_say "starting the private PostgreSQL cluster on 127.0.0.1:$port (log: .pg/server.log)"
  if ! pp_as_owner "$PP_PG_BIN/pg_ctl" -D "$PP_PG_DATA" -l "$PP_PG_DIR/server.log" -w -t 60 \
        -o "-p $port" start >/dev/null; then
    tail -n 20 "$PP_PG_DIR/server.log" >&2 || true
    pp_die "PostgreSQL did not start (see .pg/server.log)"
  fi
  echo "$port" >"$PP_PG_DIR/port"
  # shellcheck disable=SC2034 # read by scripts/test
  PP_PG_STARTED_HERE=1
  PP_PG_PORT_IN_USE="$port"
}

# Starts (or reuses) the private cluster; sets PP_PG_PORT_IN_USE.
ensure_private_cluster() {
  ensure_pg_server_binaries
  mkdir -p "$PP_PG_DIR"
  pp_prepare_root_access
  if pp_is_root && [ "$(stat -c %U "$PP_PG_DIR")" != postgres ]; then
    chown -R postgres:postgres "$PP_PG_DIR"
  fi

  # One ensure_database at a time per checkout (run and test started together).
  local lockfd
  exec {lockfd}>>"$PP_PG_DIR/.lock"
  flock -w 180 "$lockfd" || pp_die "timed out waiting for another scripts/* to finish setting up .pg/"

  if [ ! -f "$PP_PG_DATA/PG_VERSION" ]; then
    if [ -d "$PP_PG_DATA" ] && [ -n "$(ls -A "$PP_PG_DATA" 2>/dev/null)" ]; then
      pp_die ".pg/data exists but is not a PostgreSQL cluster; remove it (rm -rf .pg/data) and retry"
    fi
    pp_initdb
  fi

  local port
  if port="$(pp_running_port)"; then
    if [ -n "${PP_PG_PORT:-}" ] && [ "$port" != "$PP_PG_PORT" ]; then
      pp_die "the private cluster is running on port $port, not PP_PG_PORT=$PP_PG_PORT; stop it first (./scripts/pg stop)"
    fi
    pp_wait_ready "$port" || pp_die "the private cluster (port $port) does not answer; see .pg/server.log, or ./scripts/pg stop"
    pp_say "reusing the private PostgreSQL cluster on 127.0.0.1:$port"
    PP_PG_PORT_IN_USE="$port"
  else
    pp_start_cluster
  fi

  if [ "$(pp_psql_admin -Atc "select 1 from pg_database where datname = '$PP_PG_DB'")" != 1 ]; then
    pp_say "creating database $PP_PG_DB"
    pp_psql_admin -c "create database $PP_PG_DB"
  fi

  flock -u "$lockfd"; exec {lockfd}>&-
  DATABASE_URL="postgres://postgres@127.0.0.1:$PP_PG_PORT_IN_USE/$PP_PG_DB"
}

pp_mask_url() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

ensure_database() {
  ensure_libpq
  if [ -n "${DATABASE_URL:-}" ]; then
    local isready
    isready="$(command -v pg_isready || true)"
    if [ -z "$isready" ]; then
      pp_apt_install postgresql-client
      isready="$(command -v pg_isready)"
    fi
    "$isready" -q -t 10 -d "$DATABASE_URL" ||
      pp_die "DATABASE_URL is set but its server does not answer: $(pp_mask_url "$DATABASE_URL") (unset it to use the private cluster in .pg/)"
    pp_say "using DATABASE_URL from the environment: $(pp_mask_url "$DATABASE_URL")"
  else
    ensure_private_cluster
    pp_say "DATABASE_URL=$DATABASE_URL"
  fi
  export DATABASE_URL
}

# Stops this checkout's private cluster if it runs (used by scripts/pg and CI).
stop_private_cluster() {
  [ -f "$PP_PG_DATA/PG_VERSION" ] || { pp_say "no private cluster in .pg/"; return 0; }
  PP_PG_BIN="$(pp_pg_bindir)" || pp_die "PostgreSQL binaries not found"
  if pp_running_port >/dev/null; then
    pp_say "stopping the private PostgreSQL cluster"
    pp_as_owner "$PP_PG_BIN/pg_ctl" -D "$PP_PG_DATA" -m fast -w -t 60 stop >/dev/null
  else
    pp_say "the private PostgreSQL cluster is not running"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_database
  echo "$DATABASE_URL"
fi
