#!/usr/bin/env bash
# `npm test`: install what is missing, type-check, lint, check the formatting, then run every test against
# real servers (Temporal, Dovecot, Knot/BIND/PowerDNS, SMTP). Extra arguments go to Jest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .
npx eslint .
npm run -s format:check
npx jest "$@"
