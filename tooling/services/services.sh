# shellcheck shell=bash
# The servers the test suites use: for each one, how to tell it is usable (probe_<name>), how to
# start it (start_<name>) and how to stop it (stop_<name>). Sourced by up.sh, down.sh and ctl.sh.
# Everything listens on the server's standard port, on 127.0.0.1 only; the one exception is
# DynamoDB Local, which has no option for its listen address (see start_dynamodb).

services_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state_dir="${MECHA_SERVICES_DIR:-/tmp/mecha-services}"
mkdir -p "$state_dir/started"

# redis-failure and postgresql-failure are private instances for the failure tests, which stop
# and start them mid-run without disturbing the suites that share the main servers.
all_services=(redis postgresql mariadb dynamodb firestore memcached etcd redis-failure postgresql-failure)
extra_services=()

declare -A service_port=(
  [redis]=6379 [postgresql]=5432 [mariadb]=3306 [dynamodb]=8000
  [firestore]=8080 [memcached]=11211 [etcd]=2379
  [redis-failure]=6390 [postgresql-failure]=5433
)
# Debian package that provides each server, and the command whose absence means "install it".
declare -A service_package=(
  [redis]=redis-server [postgresql]=postgresql [mariadb]=mariadb-server
  [memcached]=memcached [etcd]=etcd-server
  # Maven downloads DynamoDB Local; Debian's package brings a Java runtime (17 on bookworm) with it.
  [dynamodb]=maven
)
declare -A service_command=(
  [redis]=redis-server [postgresql]=pg_ctlcluster [mariadb]=mariadb-admin
  [memcached]=memcached [etcd]=etcd [dynamodb]=mvn
  [redis-failure]=redis-server [postgresql-failure]=pg_ctlcluster
)
service_package[redis-failure]=redis-server
service_package[postgresql-failure]=postgresql

node_bin="${NODE:-node}"

is_service() {
  local name
  for name in "${all_services[@]}" "${extra_services[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

# Runs <action>_<service> (function names use _ where service names use -).
service_do() {
  local action=$1 name=$2
  shift 2
  "${action}_${name//-/_}" "$@"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_closed_within() {
  local port=$1 deadline=$((SECONDS + $2))
  while port_open "$port"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# Starts a command detached from our session (so Ctrl-C on `pnpm test` leaves the servers up),
# logging to the state directory, and records its pid.
spawn_detached() {
  local name=$1
  shift
  setsid nohup "$@" >"$state_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$state_dir/$name.pid"
}

# Servers run as a child we spawned, known by the pid file spawn_detached wrote.
pidfile_services=(dynamodb firestore memcached etcd)

# True when $1 was started by up.sh/ctl.sh and still runs (so down.sh should stop it).
started_and_running() {
  local name=$1 other
  [ -f "$state_dir/started/$name" ] || return 1
  for other in "${pidfile_services[@]}"; do
    if [ "$other" = "$name" ]; then
      [ -f "$state_dir/$name.pid" ] && kill -0 "$(cat "$state_dir/$name.pid")" 2>/dev/null
      return
    fi
  done
  port_open "${service_port[$name]}"
}

# Stops the process recorded in $name.pid; fails when there is none (not started by us).
stop_pidfile() {
  local name=$1 pidfile="$state_dir/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

# --- Redis ---------------------------------------------------------------------------------
probe_redis() {
  [ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]
}
start_redis() {
  mkdir -p "$state_dir/redis"
  # Append-only file so a stop/start in the failure tests keeps every acknowledged write.
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes \
    --pidfile "$state_dir/redis.pid" --logfile "$state_dir/redis.log" \
    --dir "$state_dir/redis" --save '' --appendonly yes --appendfsync everysec || return 1
  touch "$state_dir/started/redis"
}
stop_redis() {
  # SHUTDOWN flushes the append-only file (and SAVE writes a snapshot) before exiting.
  timeout 10 redis-cli -h 127.0.0.1 -p 6379 shutdown save >/dev/null 2>&1 || true
  port_closed_within 6379 10
}

# Private Redis for failure tests, same persistence as the main one.
probe_redis_failure() {
  [ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6390 ping 2>/dev/null)" = "PONG" ]
}
start_redis_failure() {
  mkdir -p "$state_dir/redis-failure"
  redis-server --bind 127.0.0.1 --port 6390 --daemonize yes \
    --pidfile "$state_dir/redis-failure.pid" --logfile "$state_dir/redis-failure.log" \
    --dir "$state_dir/redis-failure" --save '' --appendonly yes --appendfsync everysec || return 1
  touch "$state_dir/started/redis-failure"
}
stop_redis_failure() {
  timeout 10 redis-cli -h 127.0.0.1 -p 6390 shutdown save >/dev/null 2>&1 || true
  port_closed_within 6390 10
}

# --- PostgreSQL ----------------------------------------------------------------------------
pg_version() {
  local cluster
  cluster="$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $1; exit }')"
  if [ -n "$cluster" ]; then echo "$cluster"; return; fi
  # shellcheck disable=SC2012
  ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1
}
pg_cluster_name() {
  pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $2; exit }'
}
probe_postgresql() {
  PGPASSWORD=postgres PGCONNECT_TIMEOUT=2 timeout 3 \
    psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1
}
start_postgresql() {
  local version cluster hba
  version="$(pg_version)"
  [ -n "$version" ] || { echo "no PostgreSQL version installed" >&2; return 1; }
  cluster="$(pg_cluster_name)"
  if [ -z "$cluster" ]; then
    cluster=main
    pg_createcluster --port 5432 "$version" "$cluster" >"$state_dir/postgresql.log" 2>&1 || return 1
  fi
  hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
  # The first matching line wins: put password auth for loopback TCP ahead of anything else.
  if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(md5|scram-sha-256)' "$hba"; then
    sed -i '0,/^[^#]/s//host all all 127.0.0.1\/32 scram-sha-256\n&/' "$hba"
  fi
  if pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
    pg_ctlcluster "$version" "$cluster" reload >>"$state_dir/postgresql.log" 2>&1
  else
    pg_ctlcluster "$version" "$cluster" start >>"$state_dir/postgresql.log" 2>&1 || return 1
    touch "$state_dir/started/postgresql"
  fi
  # Over the local socket, where the postgres OS user is trusted (peer), set the password.
  runuser -u postgres -- psql -p 5432 -tAc "ALTER USER postgres PASSWORD 'postgres'" >>"$state_dir/postgresql.log" 2>&1
}
stop_postgresql() {
  local version cluster
  version="$(pg_version)"
  cluster="$(pg_cluster_name)"
  [ -n "$cluster" ] || return 0
  # Fast mode: clients are disconnected, committed transactions stay durable.
  pg_ctlcluster "$version" "$cluster" stop -m fast >>"$state_dir/postgresql.log" 2>&1 || true
  port_closed_within 5432 15
}

# Private PostgreSQL cluster for failure tests: its own data directory in the state dir, port
# 5433, same credentials as the main one.
pg_bin() {
  echo "/usr/lib/postgresql/$(pg_version)/bin"
}
probe_postgresql_failure() {
  PGPASSWORD=postgres PGCONNECT_TIMEOUT=2 timeout 3 \
    psql -h 127.0.0.1 -p 5433 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1
}
start_postgresql_failure() {
  local dir="$state_dir/postgresql-failure" bin
  bin="$(pg_bin)"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir"
    echo postgres >"$state_dir/postgresql-failure.pw" && chown postgres "$state_dir/postgresql-failure.pw"
    runuser -u postgres -- "$bin/initdb" -D "$dir" -U postgres --pwfile="$state_dir/postgresql-failure.pw" \
      --auth-host=scram-sha-256 --auth-local=trust >"$state_dir/postgresql-failure.log" 2>&1 || return 1
    rm -f "$state_dir/postgresql-failure.pw"
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p 5433 -c listen_addresses=127.0.0.1 -k $dir" start >>"$state_dir/postgresql-failure.log" 2>&1 || return 1
  touch "$state_dir/started/postgresql-failure"
}
stop_postgresql_failure() {
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$state_dir/postgresql-failure" -m fast -w stop \
    >>"$state_dir/postgresql-failure.log" 2>&1 || true
  port_closed_within 5433 15
}

# --- MariaDB -------------------------------------------------------------------------------
mariadb_client() {
  if command -v mariadb >/dev/null; then mariadb "$@"; else mysql "$@"; fi
}
probe_mariadb() {
  timeout 3 bash -c "$(declare -f mariadb_client); mariadb_client --connect-timeout=2 -h 127.0.0.1 -P 3306 -uroot -proot -e 'select 1' mecha" >/dev/null 2>&1
}
start_mariadb() {
  if ! port_open 3306; then
    if [ ! -d /var/lib/mysql/mysql ]; then
      mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$state_dir/mariadb.log" 2>&1 || return 1
    fi
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    # mysqld_safe logs to syslog by default, which a container usually lacks.
    mkdir -p /var/log/mysql && chown mysql:mysql /var/log/mysql
    spawn_detached mariadb mysqld_safe --bind-address=127.0.0.1 --port=3306 --log-error=/var/log/mysql/error.log
    touch "$state_dir/started/mariadb"
    local deadline=$((SECONDS + 60))
    until timeout 2 mariadb-admin ping >/dev/null 2>&1; do
      [ "$SECONDS" -ge "$deadline" ] && { echo "mariadbd did not answer on its socket" >&2; return 1; }
      sleep 0.2
    done
  fi
  # As the OS root over the socket (unix_socket auth) give root a password for TCP clients,
  # keeping socket access so Debian's maintenance tooling still works.
  local sql="ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('root') OR unix_socket; CREATE DATABASE IF NOT EXISTS mecha;"
  mariadb_client -uroot -e "$sql" >>"$state_dir/mariadb.log" 2>&1 ||
    mariadb_client -h 127.0.0.1 -P 3306 -uroot -proot -e "CREATE DATABASE IF NOT EXISTS mecha" >>"$state_dir/mariadb.log" 2>&1
}
stop_mariadb() {
  timeout 30 mariadb-admin -uroot shutdown >/dev/null 2>&1 ||
    timeout 30 mariadb-admin -h 127.0.0.1 -P 3306 -uroot -proot shutdown >/dev/null 2>&1 || true
  port_closed_within 3306 30
}

# --- DynamoDB API (AWS DynamoDB Local, in memory) ------------------------------------------
# AWS's own emulator, a Java server published on Maven Central. It implements the whole API the
# component uses (TransactWriteItems included), unlike dynalite. The first start resolves it with
# Maven (tens of MB: the jars, their dependencies and Maven's dependency plugin) into
# $state_dir/dynamodb/<version>; later starts reuse that directory and only start the JVM.
# 3.1.0, not the newer 3.3.1: the Maven repository reached from here lacks 3.3.1's AWS SDK
# dependencies (cognitoidentity, pinpoint, dynamodb-enhanced 2.48.3), so it cannot be resolved.
dynamodb_version=3.1.0
dynamodb_home="$state_dir/dynamodb/$dynamodb_version"

probe_dynamodb() {
  # An empty TransactWriteItems: DynamoDB answers with a ValidationException, while a server
  # without transactions (dynalite, left over on the port) answers UnknownOperationException.
  curl -s -m 2 -X POST http://127.0.0.1:8000/ \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.TransactWriteItems' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=probe/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{"TransactItems":[]}' 2>/dev/null | grep -q 'ValidationException'
}

# Downloads DynamoDB Local and its native SQLite binding once; a complete copy is marked `ready`.
resolve_dynamodb() {
  local lib="$dynamodb_home/lib" native="$dynamodb_home/native" so major
  [ -f "$dynamodb_home/ready" ] && return 0
  case "$(uname -m)" in
    x86_64 | amd64) ;;
    *) echo "DynamoDB Local's SQLite binding on Maven Central is for linux x86_64 only, not $(uname -m)" >&2; return 1 ;;
  esac
  major="$(java_major)"
  [ -n "$major" ] || { echo "java is not installed (DynamoDB Local $dynamodb_version needs Java 17 or newer)" >&2; return 1; }
  [ "$major" -ge 17 ] || { echo "java $major is too old (DynamoDB Local $dynamodb_version needs Java 17 or newer)" >&2; return 1; }
  rm -rf "$dynamodb_home" && mkdir -p "$dynamodb_home"
  # A throwaway project whose only purpose is to name the dependency for Maven to copy.
  cat >"$dynamodb_home/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.mecha.services</groupId>
  <artifactId>dynamodb-local</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>software.amazon.dynamodb</groupId>
      <artifactId>DynamoDBLocal</artifactId>
      <version>$dynamodb_version</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.8.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
POM
  # Bounded: a stalled download must not hold up.sh's lock forever.
  timeout "${MECHA_DYNAMODB_DOWNLOAD_TIMEOUT:-300}" mvn -q -B -f "$dynamodb_home/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="$lib" -DincludeScope=runtime \
    >"$state_dir/dynamodb-download.log" 2>&1 ||
    { echo "could not download DynamoDB Local $dynamodb_version with Maven (see $state_dir/dynamodb-download.log)" >&2; return 1; }
  for so in "$lib"/libsqlite4java-linux-amd64-*.so; do break; done
  [ -f "$so" ] || { echo "Maven copied no libsqlite4java-linux-amd64 .so into $lib" >&2; return 1; }
  # sqlite4java looks for its binding by this name on java.library.path.
  mkdir -p "$native" && cp "$so" "$native/libsqlite4java-linux-amd64.so"
  touch "$dynamodb_home/ready"
}

# The major version of the java on PATH (17, 21, ...), empty when there is none.
java_major() {
  command -v java >/dev/null || return 0
  java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]); exit }'
}

start_dynamodb() {
  # The probe failed, so whatever holds the port is not DynamoDB Local; the JVM would only fail
  # to bind after up.sh's whole wait. Say so at once.
  if port_open 8000; then
    local hint=""
    [ -f "$state_dir/dynalite.pid" ] && kill -0 "$(cat "$state_dir/dynalite.pid")" 2>/dev/null &&
      hint=": dynalite, started by an older up.sh (stop it: kill $(cat "$state_dir/dynalite.pid"))"
    echo "port 8000 is taken by a server that is not DynamoDB Local$hint" >&2
    return 1
  fi
  resolve_dynamodb || return 1
  # DynamoDB Local has no option for its listen address: it listens on port 8000 of every
  # interface, not only loopback. It holds nothing but throwaway test tables, in memory.
  # -sharedDb: one database whatever the client's access key and region (otherwise each pair
  # sees its own tables). -disableTelemetry: it reports usage to AWS unless told not to.
  spawn_detached dynamodb java -Djava.library.path="$dynamodb_home/native" -cp "$dynamodb_home/lib/*" \
    software.amazon.dynamodb.services.local.main.ServerRunner -inMemory -sharedDb -port 8000 -disableTelemetry
  touch "$state_dir/started/dynamodb"
}
stop_dynamodb() {
  stop_pidfile dynamodb && port_closed_within 8000 10
}

# --- Firestore emulator --------------------------------------------------------------------
probe_firestore() {
  port_open 8080
}
start_firestore() {
  [ -d "$services_here/node_modules/@firestore-emulator/server" ] ||
    { echo "@firestore-emulator/server is not installed (run pnpm install)" >&2; return 1; }
  # The emulator's runner is TypeScript, run by Node's type stripping (on by default from 22.18).
  "$node_bin" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' ||
    { echo "node $("$node_bin" --version) is older than 22.18 (put Node 24 first on PATH)" >&2; return 1; }
  spawn_detached firestore "$node_bin" "$services_here/src/firestore-emulator.ts" --host 127.0.0.1 --port 8080
  touch "$state_dir/started/firestore"
}
stop_firestore() {
  stop_pidfile firestore && port_closed_within 8080 10
}

# --- memcached -----------------------------------------------------------------------------
probe_memcached() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211 && printf "version\r\n" >&3 && read -r -t 1 line <&3 && [[ $line == VERSION* ]]' 2>/dev/null
}
start_memcached() {
  local user=memcache
  id "$user" >/dev/null 2>&1 || user=root
  # In the foreground under spawn_detached (not -d): its -P pid file would be written after it
  # drops to the memcache user, which cannot write to the state directory.
  # -I 4m: items up to 4 MiB (the default 1 MiB limit is below the conformance kit's 1 MiB value
  # plus item overhead).
  spawn_detached memcached memcached -u "$user" -l 127.0.0.1 -p 11211 -U 0 -m 256 -I 4m
  touch "$state_dir/started/memcached"
}
stop_memcached() {
  stop_pidfile memcached && port_closed_within 11211 10
}

# --- etcd ----------------------------------------------------------------------------------
probe_etcd() {
  curl -s -m 2 http://127.0.0.1:2379/health 2>/dev/null | grep -q '"health":"true"'
}
start_etcd() {
  spawn_detached etcd etcd --name mecha --data-dir "$state_dir/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster mecha=http://127.0.0.1:2380
  touch "$state_dir/started/etcd"
}
stop_etcd() {
  stop_pidfile etcd && port_closed_within 2379 10
}

# Installs, in one apt-get run, the Debian packages of the named services whose server
# command is missing. `apt-get update` runs only when the first attempt fails.
install_missing() {
  local name packages=()
  for name in "$@"; do
    local cmd="${service_command[$name]:-}"
    [ -n "$cmd" ] || continue
    command -v "$cmd" >/dev/null 2>&1 && continue
    packages+=("${service_package[$name]}")
  done
  [ ${#packages[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "services: cannot install ${packages[*]}: no apt-get" >&2; return 1; }
  echo "services: installing ${packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${packages[@]}" >"$state_dir/apt.log" 2>&1 && return 0
  apt-get update >>"$state_dir/apt.log" 2>&1
  apt-get install -y --no-install-recommends "${packages[@]}" >>"$state_dir/apt.log" 2>&1
}

# Waits until probe_$1 succeeds, at most $2 seconds.
wait_up() {
  local name=$1 deadline=$((SECONDS + $2))
  until service_do probe "$name"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
