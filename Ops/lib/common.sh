# Shared by the Ops scripts: install what is missing, idempotently, as root on Debian 12.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

_apt_updated=0
# ensure_apt PKG... : installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ $_apt_updated = 0 ]; then $SUDO apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C libraries the package links against.
ensure_build_deps() {
  command -v swift >/dev/null || { echo "swift is not on PATH (expected the Swift 6 toolchain)" >&2; exit 1; }
  ensure_apt libsqlite3-dev libcurl4-openssl-dev libssl-dev libnghttp2-dev pkg-config coinor-libcbc-dev libpq-dev libhiredis-dev
}

# A Python virtual environment for the test tools from PyPI, under .build-venv (git-ignored).
ensure_venv() {
  local venv="$ROOT/.build-venv"
  if [ ! -x "$venv/bin/python" ]; then
    ensure_apt python3-venv
    log "creating Python environment $venv"
    python3 -m venv "$venv"
  fi
  if [ $# -gt 0 ]; then
    local need=()
    for spec in "$@"; do
      "$venv/bin/python" -c "import importlib.metadata,sys; importlib.metadata.version(sys.argv[1])" "${spec%%[=<>]*}" 2>/dev/null || need+=("$spec")
    done
    if [ ${#need[@]} -gt 0 ]; then
      log "installing from PyPI: ${need[*]}"
      "$venv/bin/pip" install -q "${need[@]}"
    fi
  fi
  PY="$venv/bin/python"
}
