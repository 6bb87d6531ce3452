#!/usr/bin/env bash
# `npm start`: install what is missing, then run the local sandbox (Temporal dev server
# with its Web UI, two Dovecot servers, Knot, an SMTP receiver) and the worker.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
exec npx tsx scripts/sandbox.ts
