# Builds the shared SSE harness into .build-bench/ssebench (the shared folder stays untouched).
source "$ROOT/Ops/lib/common.sh"
SSEBENCH_SRC="${SSEBENCH_SRC:-$ROOT/../shared/tools/ssebench}"
SSEBENCH_DIR="$ROOT/.build-bench/ssebench"
if [ ! -f "$SSEBENCH_SRC/ssebench.c" ]; then
  echo "the harness is not at $SSEBENCH_SRC (set SSEBENCH_SRC)" >&2; exit 1
fi
mkdir -p "$SSEBENCH_DIR"
cp -r "$SSEBENCH_SRC"/. "$SSEBENCH_DIR"/
rm -f "$SSEBENCH_DIR/ssebench"
make -s -C "$SSEBENCH_DIR" >/dev/null
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# wait_port PORT: until something answers on 127.0.0.1:PORT (at most 10 s).
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; return 1
}
