#!/usr/bin/env bash
# Stops the servers that up.sh (or ctl.sh start) started; servers that were already running
# before up.sh are left alone. `down.sh --all` stops every known server whatever started it.
set -uo pipefail
# shellcheck source=services.sh
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"

all=false
[ "${1:-}" = "--all" ] && all=true
status=0
for name in "${all_services[@]}" "${extra_services[@]}"; do
  if started_and_running "$name" || { $all && port_open "${service_port[$name]}"; }; then
    if service_do stop "$name"; then echo "service $name: stopped"; else echo "service $name: FAILED to stop"; status=1; fi
  fi
  rm -f "$state_dir/started/$name"
done
exit $status
