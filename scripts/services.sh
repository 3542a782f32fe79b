#!/usr/bin/env bash
# Start or stop the real servers the test suite uses, on loopback, with throwaway data.
#   scripts/services.sh install   install missing system packages (apt): PostgreSQL, Redis,
#                                 Node.js and npm (the console's assets), Chromium (the console
#                                 tests)
#   scripts/services.sh install-node   only Node.js and npm, for building the console's assets
#   scripts/services.sh start     start PostgreSQL and Redis; prints their URLs, one a line
#                                 (PostgreSQL first), and nothing else on success
#   scripts/services.sh stop      stop them and delete their data
set -euo pipefail

STATE_DIR="${FB_SERVICES_DIR:-/tmp/forcebridge-test-services}"
PG_PORT="${FB_PG_PORT:-55432}"
# next to PostgreSQL's port unless told, so two checkouts with their own PG_PORT never collide
REDIS_PORT="${FB_REDIS_PORT:-$((PG_PORT + 1000))}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && echo "$dir"
}

# Runs a command as the postgres system user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

apt_install() {
  local need=("$@")
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing system packages: ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

node_packages() {
  command -v node >/dev/null || echo nodejs
  command -v npm >/dev/null || echo npm
}

install_node() {
  # shellcheck disable=SC2046
  apt_install $(node_packages)
}

install() {
  local need=()
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # shellcheck disable=SC2207
  need+=($(node_packages))
  apt_install "${need[@]}"
}

start() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed; run: scripts/services.sh install" >&2; exit 1; }
  stop >/dev/null 2>&1 || true
  mkdir -p "$STATE_DIR/pg"
  [ "$(id -u)" = 0 ] && chown -R postgres "$STATE_DIR/pg"
  as_pg "$bin/initdb" -D "$STATE_DIR/pg/data" -U forcebridge --auth=trust -E UTF8 >/dev/null
  as_pg "$bin/pg_ctl" -D "$STATE_DIR/pg/data" -l "$STATE_DIR/pg/log" -w -o \
    "-p $PG_PORT -k $STATE_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" start >/dev/null
  echo "postgresql+psycopg://forcebridge@127.0.0.1:$PG_PORT/postgres"
  start_redis
  echo "redis://127.0.0.1:$REDIS_PORT/0"
}

# Redis without persistence: a restart loses its queues, which is what the tests of a Redis
# restart want (the database's claims recover the work).
start_redis() {
  command -v redis-server >/dev/null || { echo "Redis is not installed; run: scripts/services.sh install" >&2; exit 1; }
  mkdir -p "$STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$STATE_DIR/redis" \
    --pidfile "$STATE_DIR/redis/redis.pid" --logfile "$STATE_DIR/redis/log" \
    --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "Redis did not start on port $REDIS_PORT; see $STATE_DIR/redis/log" >&2
  exit 1
}

stop() {
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -d "$STATE_DIR/pg/data" ]; then
    as_pg "$bin/pg_ctl" -D "$STATE_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$STATE_DIR/redis/redis.pid" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 \
      || kill "$(cat "$STATE_DIR/redis/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$STATE_DIR"
}

case "${1:-}" in
  install) install ;;
  install-node) install_node ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|install-node|start|stop" >&2; exit 2 ;;
esac
