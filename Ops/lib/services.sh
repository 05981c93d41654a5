# Throwaway PostgreSQL and Redis servers on loopback for the scale-out tests (docs/OPERATIONS.md), from Debian's
# packages. Sourced after common.sh. Each server lives in a directory under /tmp and is stopped by the
# caller's trap; nothing is left running or installed by hand.

# The servers and the client libraries the package links against.
ensure_cluster_deps() {
  ensure_apt postgresql libpq-dev redis-server libhiredis-dev nginx
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

PG_BIN=""
_pg_bin() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL's initdb not found under /usr/lib/postgresql" >&2; exit 1; }
}

# start_test_postgres DIR PORT: a fresh cluster in DIR (owned by the postgres user, as initdb refuses
# root), trust authentication on 127.0.0.1 only, fsync on. Exports PLANOGRAM_TEST_DATABASE_URL.
start_test_postgres() {
  local dir=$1 port=$2
  _pg_bin
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  "${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U planogram --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  "${as[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U planogram planogram
  export PLANOGRAM_TEST_DATABASE_URL="postgresql://planogram@127.0.0.1:$port/planogram"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
}

stop_test_postgres() {
  local dir=$1
  _pg_bin
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  [ -d "$dir/data" ] && "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
}

# start_test_redis DIR PORT: a Redis server without persistence on 127.0.0.1. Exports PLANOGRAM_TEST_REDIS_URL.
start_test_redis() {
  local dir=$1 port=$2
  rm -rf "$dir"; mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export PLANOGRAM_TEST_REDIS_URL="redis://127.0.0.1:$port"
  log "Redis $(redis-server --version | grep -oE 'v=[0-9.]+' | cut -d= -f2) on 127.0.0.1:$port ($dir)"
}

# Waits for the server to exit: it writes its log and removes its pid file on the way out, and a
# caller's `rm -rf` racing it failed with "Directory not empty" (CI, 2026-12-03).
stop_test_redis() {
  local dir=$1 pid
  [ -f "$dir/redis.pid" ] || return 0
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
