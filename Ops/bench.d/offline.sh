# The driver's day offline (docs/PAGES.md "Offline"): a phone in headless Chromium loads the day, the server goes
# away, 20 stops are ticked and finished without it, the server comes back; reports how long after it is ready
# every visit is in the store, and that each is there exactly once (target: < 5 s, nothing lost).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
ensure_apt chromium chromium-driver
ensure_venv "selenium>=4.20"
PLANOGRAM_BINARY="$BIN/planogram-live" "$ROOT/.build-venv/bin/python" "$ROOT/Ops/bench.d/offline.py" "$BENCH_OUT"
