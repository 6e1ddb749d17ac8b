# shellcheck shell=bash
# Shared helpers for the scripts in scripts/. Source it, don't run it:
#   . "$(dirname "$0")/lib.sh"
# Sourcing also moves to the repository root, so every path below is
# relative to it.

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
REPO_ROOT="$(pwd -P)"
export REPO_ROOT

# Everything that lives outside the repository (the Synapse venv) goes here.
MATRIX_KNOCK_CACHE="${MATRIX_KNOCK_CACHE:-$HOME/.cache/matrix-knock}"
# shellcheck disable=SC2034 # used by the scripts that source this file
SYNAPSE_VENV="$MATRIX_KNOCK_CACHE/synapse-venv"
# The one place the homeserver used by tests/synapse/ is pinned.
# shellcheck disable=SC2034
SYNAPSE_VERSION="1.163.2"

# Cargo's own tools live here after a rustup install; make sure they're found
# even from a non-login shell.
case ":$PATH:" in
  *":$HOME/.cargo/bin:"*) ;;
  *) [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH" ;;
esac
export PATH

# One line of progress, prefixed with the script's name.
say() { printf '[%s] %s\n' "$(basename "$0")" "$*"; }
die() { printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# The wasm-bindgen version pinned in Cargo.toml (`wasm-bindgen = "=X.Y.Z"`,
# or the table form `wasm-bindgen = { version = "=X.Y.Z", ... }`). The CLI
# must match it exactly, so Cargo.toml is the single source of truth.
pinned_wasm_bindgen_version() {
  local v
  v="$(sed -nE \
    -e 's/^wasm-bindgen[[:space:]]*=[[:space:]]*"=([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p' \
    -e 's/^wasm-bindgen[[:space:]]*=[[:space:]]*\{.*version[[:space:]]*=[[:space:]]*"=([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p' \
    Cargo.toml | head -n1)"
  [ -n "$v" ] || die 'Cargo.toml must pin wasm-bindgen exactly: wasm-bindgen = "=X.Y.Z"'
  printf '%s\n' "$v"
}

# Version of the wasm-bindgen CLI on PATH, or nothing if there is none.
installed_wasm_bindgen_version() {
  command -v wasm-bindgen >/dev/null 2>&1 || return 0
  wasm-bindgen --version 2>/dev/null | awk '{print $2}'
}

# wasm-opt's settings for the shipped wasm (scripts/build, bench/build-variants).
# -O3: as small as -Oz after gzip here, ~6 % faster than it and ~12 % faster than -Os.
# -ocimfs 10: inline a function with one caller only when it is tiny. By default every
#   such function is inlined, which makes each export shim one huge function whose many
#   locals compress badly: -ocimfs 10 is 12-14 kB smaller after gzip at the same speed.
# --enable-*: the features rustc emits for wasm32-unknown-unknown (wasm-opt refuses
#   the module without them).
# --strip-*: metadata no runtime reads (wasm-bindgen, which reads target_features,
#   has already run): 0.2 kB gzip.
# shellcheck disable=SC2034 # used by the scripts that source this file
WASM_OPT_ARGS=(-O3 --one-caller-inline-max-function-size 10
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue)
# shellcheck disable=SC2034
WASM_OPT_STRIP=(--strip-producers --strip-target-features)
