#!/usr/bin/env bash
# Stops the servers that up.sh (or ctl.sh start) started; servers that were already running
# before up.sh are left alone. `down.sh --all` stops every known server whatever started it.
set -uo pipefail
# shellcheck source=services.sh
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"

all=false
[ "${1:-}" = "--all" ] && all=true
stopping=()
for name in "${all_services[@]}" "${extra_services[@]}"; do
  if started_and_running "$name" || { $all && port_open "${service_port[$name]}"; }; then
    stopping+=("$name")
  fi
done

# Each stop waits for its server to exit (a few seconds for a JVM or an Erlang node), so they
# run in parallel; the results are printed in order afterwards.
results="$(mktemp -d)"
for name in "${stopping[@]}"; do
  { service_do stop "$name" >&2; echo $? >"$results/$name"; } &
done
wait

status=0
for name in "${stopping[@]}"; do
  if [ "$(cat "$results/$name")" = 0 ]; then
    echo "service $name: stopped"
  else
    echo "service $name: FAILED to stop"
    status=1
  fi
done
rm -rf "$results"
for name in "${all_services[@]}" "${extra_services[@]}"; do rm -f "$state_dir/started/$name"; done
exit $status
