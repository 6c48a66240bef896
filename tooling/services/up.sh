#!/usr/bin/env bash
# Brings up, idempotently and on loopback, every real server the tests need, installing what
# is missing, and reports which are up. The foundation needs none (SQLite and the in-memory
# components are embedded); the state and pub/sub backend issues add their servers here.
set -euo pipefail
services=()
if [ ${#services[@]} -eq 0 ]; then
  echo "services: none needed by the current test suites"
  exit 0
fi
