# A local cluster on loopback (docs/OPERATIONS.md): N planogram-live nodes on one PostgreSQL database and one
# Redis, behind nginx with Ops/nginx-cluster.conf. Sourced after common.sh and services.sh; used by
# Ops/cluster (to try it) and Ops/bench cluster (to measure it). Everything lives under $CLUSTER_DIR.
#
#   start_cluster NODES FIXTURES    (NODES 1–3; the first node imports FIXTURES into the empty database)
#   stop_cluster
#   kill_node I                     (SIGKILL, as a crash)
#   start_node I
# Exports CLUSTER_PORT (nginx), NODE_PORTS (array), PLANOGRAM_DATABASE_URL, PLANOGRAM_REDIS_URL.

CLUSTER_DIR=${CLUSTER_DIR:-$(mktemp -d /tmp/planogram-cluster.XXXXXX)}
NODE_PIDS=()
NODE_PORTS=()

start_node() {
  local i=$1
  PLANOGRAM_NODE_ID="node$i" "$CLUSTER_BIN" serve --port "${NODE_PORTS[$i]}" --fixtures "$CLUSTER_FIXTURES" \
    --web "$ROOT/Web" --log-level "${CLUSTER_LOG_LEVEL:-notice}" >> "$CLUSTER_DIR/node$i.log" 2>&1 &
  NODE_PIDS[$i]=$!
  echo "${NODE_PIDS[$i]}" > "$CLUSTER_DIR/node$i.pid"
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:${NODE_PORTS[$i]}/readyz" >/dev/null && return 0
    kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || { tail -5 "$CLUSTER_DIR/node$i.log" >&2; return 1; }
    sleep 0.2
  done
  echo "node $i never became ready" >&2; return 1
}

kill_node() { kill -9 "${NODE_PIDS[$1]}" 2>/dev/null || true; wait "${NODE_PIDS[$1]}" 2>/dev/null || true; }

start_cluster() {
  local nodes=$1
  CLUSTER_FIXTURES=$2
  CLUSTER_BIN=${CLUSTER_BIN:-$ROOT/.build/release/planogram-live}
  chmod 755 "$CLUSTER_DIR"
  mkdir -p "$CLUSTER_DIR/nginx/logs" "$CLUSTER_DIR/nginx/tmp"
  start_test_postgres "$CLUSTER_DIR/pg" "$(free_port)"
  start_test_redis "$CLUSTER_DIR/redis" "$(free_port)"
  export PLANOGRAM_DATABASE_URL=$PLANOGRAM_TEST_DATABASE_URL PLANOGRAM_REDIS_URL=$PLANOGRAM_TEST_REDIS_URL
  local i
  for i in $(seq 0 2); do NODE_PORTS[$i]=$(free_port); done
  for i in $(seq 0 $((nodes - 1))); do
    log "cluster: starting node $i on ${NODE_PORTS[$i]}"
    start_node "$i"
  done
  CLUSTER_PORT=$(free_port)
  # Fewer than three nodes: the missing ones repeat the first (nginx needs three server lines).
  local n1=${NODE_PORTS[0]} n2=${NODE_PORTS[1]} n3=${NODE_PORTS[2]}
  [ "$nodes" -lt 2 ] && n2=$n1
  [ "$nodes" -lt 3 ] && n3=$n1
  { [ "$(id -u)" = 0 ] && echo "user root;"
    sed -e "s/@NODE1@/127.0.0.1:$n1/; s/@NODE2@/127.0.0.1:$n2/; s/@NODE3@/127.0.0.1:$n3/; s/@LISTEN@/127.0.0.1:$CLUSTER_PORT/" \
      "$ROOT/Ops/nginx-cluster.conf"; } > "$CLUSTER_DIR/nginx/nginx.conf"
  nginx -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf"
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$CLUSTER_PORT/readyz" >/dev/null && break; sleep 0.1; done
  log "cluster: $nodes node(s) behind nginx on 127.0.0.1:$CLUSTER_PORT (logs in $CLUSTER_DIR)"
}

stop_cluster() {
  [ -f "$CLUSTER_DIR/nginx/nginx.pid" ] && nginx -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf" -s stop 2>/dev/null || true
  local pid
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_test_redis "$CLUSTER_DIR/redis"
  stop_test_postgres "$CLUSTER_DIR/pg"
}
