#!/usr/bin/env bash
# Brings up, idempotently and on loopback, the real servers the test suites need, installing
# (apt-get) what is missing, and prints one line per server. Exits non-zero if any failed.
#   bash tooling/services/up.sh              # every server
#   bash tooling/services/up.sh redis etcd   # only these
# State (pid files, logs, data of the servers it starts): $MECHA_SERVICES_DIR, default
# /tmp/mecha-services. See README.md in this folder.
set -uo pipefail
# shellcheck source=services.sh
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=("${all_services[@]}")
for name in "${wanted[@]}"; do
  is_service "$name" || { echo "up.sh: unknown service '$name' (known: ${all_services[*]} ${extra_services[*]})" >&2; exit 2; }
done

# Two runs at once (parallel suites, two terminals) would race to start the same server, so
# the work runs under a lock. flock -o keeps the lock's descriptor out of this script, so the
# servers it starts do not inherit (and hold) the lock after it exits.
if [ -z "${MECHA_SERVICES_LOCKED:-}" ]; then
  # 10 minutes: the other run may be downloading DynamoDB Local and Kafka (at most 5 each) before
  # starting the rest.
  MECHA_SERVICES_LOCKED=1 flock -o -E 75 -w 600 "$state_dir/lock" bash "${BASH_SOURCE[0]}" "$@"
  status=$?
  [ $status -eq 75 ] && echo "up.sh: another up.sh held $state_dir/lock for 10 minutes" >&2
  exit $status
fi

timeout_s="${MECHA_SERVICES_TIMEOUT:-60}"
declare -A result=()
down=()
for name in "${wanted[@]}"; do
  if service_do probe "$name"; then result[$name]=up; else down+=("$name"); fi
done

if [ ${#down[@]} -gt 0 ]; then
  install_missing "${down[@]}" || echo "up.sh: installing failed, see $state_dir/apt.log" >&2
  for name in "${down[@]}"; do
    cmd="${service_command[$name]:-}"
    if [ -n "$cmd" ] && ! command -v "$cmd" >/dev/null 2>&1; then
      result[$name]="FAILED (${service_package[$name]} is not installed and could not be; see $state_dir/apt.log)"
      continue
    fi
    if ! service_do start "$name" 2>"$state_dir/$name.err"; then
      reason="$(tail -n 1 "$state_dir/$name.err")"
      result[$name]="FAILED (could not start: ${reason:-see $state_dir/$name.log})"
    fi
  done
  for name in "${down[@]}"; do
    [ -n "${result[$name]:-}" ] && continue
    if wait_up "$name" "$timeout_s"; then
      result[$name]=up
    elif is_pidfile_service "$name" && ! spawned_alive "$name"; then
      result[$name]="FAILED (exited while starting; see $state_dir/$name.log)"
    elif port_open "${service_port[$name]}"; then
      result[$name]="FAILED (port ${service_port[$name]} is open but does not answer as $name with the expected credentials; see $state_dir/$name.log)"
    else
      result[$name]="FAILED (not reachable after ${timeout_s}s; see $state_dir/$name.log)"
    fi
  done
fi

status=0
for name in "${wanted[@]}"; do
  if [ "${result[$name]}" = up ]; then
    echo "service $name: up on 127.0.0.1:${service_port[$name]}"
  else
    echo "service $name: ${result[$name]}"
    status=1
  fi
done
exit $status
