#!/usr/bin/env bash
# Stops, starts or probes one server; the failure tests use it to take a database or a broker
# away in the middle of a run and bring it back.
#   bash tooling/services/ctl.sh stop|start|restart|status <name>
# stop returns once the port is closed; start once the server answers (as up.sh reports it).
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=services.sh
source "$here/services.sh"

action="${1:-}"
name="${2:-}"
known="${all_services[*]} ${extra_services[*]}"
usage="usage: ctl.sh stop|start|restart|status <${known// /|}>"
is_service "$name" || { echo "$usage" >&2; exit 2; }

do_stop() {
  if ! port_open "${service_port[$name]}"; then
    echo "service $name: stopped"
    return 0
  fi
  if service_do stop "$name"; then
    echo "service $name: stopped"
  else
    echo "service $name: FAILED to stop (not started by up.sh, or did not exit; port ${service_port[$name]})"
    return 1
  fi
}

case "$action" in
  stop) do_stop ;;
  start) exec bash "$here/up.sh" "$name" ;;
  restart) do_stop && exec bash "$here/up.sh" "$name" ;;
  status)
    if service_do probe "$name"; then echo "service $name: up on 127.0.0.1:${service_port[$name]}"; else echo "service $name: down"; exit 1; fi
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
