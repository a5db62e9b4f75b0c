#!/usr/bin/env bash
# Installs the generated service's Node (NODE_VERSION of generators/app/dependencies.ts, pinned there
# only) from the npm package node-linux-<arch> into .tools/node/bin/node: these machines ship Node 20
# and reach only the npm registry. Used by scripts/install-tools.sh (CI) and `npm run demo`. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${TOOLS_DIR:-$ROOT/.tools}"

log() { printf 'install-node: %s\n' "$*" >&2; }

NODE_VERSION="$(sed -n "s/^export const NODE_VERSION = '\([0-9.]*\)';$/\1/p" "$ROOT/generators/app/dependencies.ts")"
[ -n "$NODE_VERSION" ] || { log "NODE_VERSION not found in generators/app/dependencies.ts"; exit 1; }
NODE_BIN="$TOOLS/node/bin/node"
if [ -x "$NODE_BIN" ] && [ "$("$NODE_BIN" --version)" = "v$NODE_VERSION" ]; then
  log "node already installed: v$NODE_VERSION"
else
  case "$(uname -m)" in x86_64) NODE_ARCH=x64 ;; aarch64) NODE_ARCH=arm64 ;; *) log "no Node package for $(uname -m)"; exit 1 ;; esac
  PACK_DIR="$(mktemp -d)"
  log "installing node-linux-$NODE_ARCH@$NODE_VERSION into $TOOLS/node"
  (cd "$PACK_DIR" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_VERSION" </dev/null >/dev/null)
  mkdir -p "$TOOLS/node/bin"
  tar -xzf "$PACK_DIR/node-linux-$NODE_ARCH-$NODE_VERSION.tgz" -C "$PACK_DIR" package/bin/node
  install -m 0755 "$PACK_DIR/package/bin/node" "$NODE_BIN"
  rm -rf "$PACK_DIR"
  log "node installed: $("$NODE_BIN" --version)"
fi

