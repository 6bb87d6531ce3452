#!/usr/bin/env bash
# Installs everything mailshift's tests and sandbox need on a fresh machine, and does
# nothing (in seconds) when it is all there: npm packages, Debian packages, the Temporal
# CLI and the time-skipping test server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install/debian-packages.sh
bash scripts/install/temporal-cli.sh
bash scripts/install/temporal-test-server.sh
