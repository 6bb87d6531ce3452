#!/usr/bin/env bash
# Installs everything mailshift's tests and sandbox need on a fresh machine, and does
# nothing (in seconds) when it is all there: npm packages, Debian packages, the Temporal
# CLI and the time-skipping test server.
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm install`, not `npm ci`: npm 11.19 leaves other platforms' optional packages
# (@swc/core-darwin-*, …) out of the lockfile and then refuses its own lock in `npm ci`.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
bash scripts/install/debian-packages.sh
bash scripts/install/temporal-cli.sh
bash scripts/install/temporal-test-server.sh
# The workflow bundle every worker loads (workers/workflow-bundle.ts).
node_modules/.bin/tsx scripts/build-workflows.ts
