#!/usr/bin/env bash
# Builds Toxiproxy's server (a TCP proxy that adds latency and bandwidth limits in user
# space; the kernel here has no netem) from the Go module proxy into
# .tools/toxiproxy-<version>/server, for `npm run bench:sync -- --wan`. Pinned; a no-op
# when that version is already there. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=2.5.0
dir="$PWD/.tools/toxiproxy-$version"
if [ ! -x "$dir/server" ]; then
  command -v go >/dev/null || { echo "go is needed to build Toxiproxy" >&2; exit 1; }
  echo "building Toxiproxy $version from the Go module proxy" >&2
  mkdir -p "$dir"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$dir" go install -trimpath -ldflags "-s -w" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$version" >&2
fi
echo "$dir/server"
