# shellcheck shell=bash
# The servers the test suites use: for each one, how to tell it is usable (probe_<name>), how to
# start it (start_<name>) and how to stop it (stop_<name>). Sourced by up.sh, down.sh and ctl.sh.
# Everything listens on the server's standard port, on 127.0.0.1 only; the one exception is
# DynamoDB Local, which has no option for its listen address (see start_dynamodb).

services_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state_dir="${MECHA_SERVICES_DIR:-/tmp/mecha-services}"
mkdir -p "$state_dir/started"

# The *-failure servers are private instances for the failure tests, which stop and start them
# mid-run without disturbing the suites that share the main servers. redis-volatile is a Redis
# that keeps nothing across a restart, for tests of a broker that forgets its state.
all_services=(
  redis postgresql mariadb dynamodb firestore memcached etcd
  kafka rabbitmq mosquitto nats
  s3 sqs kinesis gcs
  redis-failure postgresql-failure kafka-failure rabbitmq-failure mosquitto-failure nats-failure
  redis-volatile
)
extra_services=()

declare -A service_port=(
  [redis]=6379 [postgresql]=5432 [mariadb]=3306 [dynamodb]=8000
  [firestore]=8080 [memcached]=11211 [etcd]=2379
  [kafka]=9092 [rabbitmq]=5672 [mosquitto]=1883 [nats]=4222
  [redis-failure]=6390 [postgresql-failure]=5433 [kafka-failure]=9094
  [rabbitmq-failure]=5673 [mosquitto-failure]=1884 [nats-failure]=4223
  [redis-volatile]=6391
  [s3]=4568 [sqs]=9324 [kinesis]=4567 [gcs]=4443
)
# Debian package that provides each server, and the command whose absence means "install it".
declare -A service_package=(
  [redis]=redis-server [postgresql]=postgresql [mariadb]=mariadb-server
  [memcached]=memcached [etcd]=etcd-server
  # Maven downloads DynamoDB Local and Kafka; Debian's package brings a Java runtime (17 on
  # bookworm) with it.
  [dynamodb]=maven [kafka]=maven
  [rabbitmq]=rabbitmq-server [mosquitto]=mosquitto [nats]=nats-server
  # ElasticMQ (the SQS API) comes from Maven Central too.
  [sqs]=maven
)
declare -A service_command=(
  [redis]=redis-server [postgresql]=pg_ctlcluster [mariadb]=mariadb-admin
  [memcached]=memcached [etcd]=etcd [dynamodb]=mvn
  [kafka]=mvn [rabbitmq]=rabbitmq-server [mosquitto]=mosquitto [nats]=nats-server
  [sqs]=mvn
)
# A private instance needs what its main server needs.
for name in redis postgresql kafka rabbitmq mosquitto nats; do
  service_package[$name-failure]=${service_package[$name]}
  service_command[$name-failure]=${service_command[$name]}
done
service_package[redis-volatile]=redis-server
service_command[redis-volatile]=redis-server
unset name

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
pidfile_services=(
  dynamodb firestore memcached etcd kafka kafka-failure rabbitmq rabbitmq-failure
  mosquitto mosquitto-failure nats nats-failure
  s3 sqs kinesis gcs
)

# True while process $1 runs. A zombie counts as ended: the servers outlive the up.sh that
# spawned them, so PID 1 reaps them, which in a container can take a second or more.
pid_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

# True while the process spawn_detached recorded for $1 runs. A start_ function that finds it
# running returns at once: the server is still on its way up (a JVM or an Erlang node takes
# seconds), and up.sh waits for it instead of starting a second one.
spawned_alive() {
  [ -f "$state_dir/$1.pid" ] && pid_alive "$(cat "$state_dir/$1.pid")"
}

is_pidfile_service() {
  local other
  for other in "${pidfile_services[@]}"; do [ "$other" = "$1" ] && return 0; done
  return 1
}

# True when $1 was started by up.sh/ctl.sh and still runs (so down.sh should stop it).
started_and_running() {
  local name=$1
  [ -f "$state_dir/started/$name" ] || return 1
  if is_pidfile_service "$name"; then
    spawned_alive "$name"
  else
    port_open "${service_port[$name]}"
  fi
}

# Stops the process recorded in $name.pid, killing it if it has not exited $2 seconds (default
# 10) after SIGTERM; fails when there is none (not started by us).
stop_pidfile() {
  local name=$1 pidfile="$state_dir/$1.pid" grace=${2:-10} pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  if pid_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null
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
  local lib="$dynamodb_home/lib" native="$dynamodb_home/native" so
  [ -f "$dynamodb_home/ready" ] && return 0
  case "$(uname -m)" in
    x86_64 | amd64) ;;
    *) echo "DynamoDB Local's SQLite binding on Maven Central is for linux x86_64 only, not $(uname -m)" >&2; return 1 ;;
  esac
  require_java17 "DynamoDB Local $dynamodb_version" || return 1
  rm -rf "$dynamodb_home" && mkdir -p "$dynamodb_home"
  maven_copy_dependencies "$dynamodb_home" "$state_dir/dynamodb-download.log" "${MECHA_DYNAMODB_DOWNLOAD_TIMEOUT:-300}" \
    software.amazon.dynamodb:DynamoDBLocal:"$dynamodb_version" ||
    { echo "could not download DynamoDB Local $dynamodb_version with Maven (see $state_dir/dynamodb-download.log)" >&2; return 1; }
  for so in "$lib"/libsqlite4java-linux-amd64-*.so; do break; done
  [ -f "$so" ] || { echo "Maven copied no libsqlite4java-linux-amd64 .so into $lib" >&2; return 1; }
  # sqlite4java looks for its binding by this name on java.library.path.
  mkdir -p "$native" && cp "$so" "$native/libsqlite4java-linux-amd64.so"
  touch "$dynamodb_home/ready"
}

# Has Maven copy the given artifacts (group:artifact:version) and their runtime dependencies
# into $1/lib, through a throwaway project in $1 whose only purpose is to name them. Maven's
# output goes to $2; the run is bounded by $3 seconds, so a stalled download cannot hold
# up.sh's lock forever.
maven_copy_dependencies() {
  local home=$1 log=$2 timeout_s=$3 coordinates group artifact version dependencies=""
  shift 3
  for coordinates in "$@"; do
    IFS=: read -r group artifact version <<<"$coordinates"
    dependencies+="
    <dependency>
      <groupId>$group</groupId>
      <artifactId>$artifact</artifactId>
      <version>$version</version>
    </dependency>"
  done
  cat >"$home/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.mecha.services</groupId>
  <artifactId>$(basename "$(dirname "$home")")</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$dependencies
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
  timeout "$timeout_s" mvn -q -B -f "$home/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="$home/lib" -DincludeScope=runtime >"$log" 2>&1
}

# The major version of the java on PATH (17, 21, ...), empty when there is none.
java_major() {
  command -v java >/dev/null || return 0
  java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]); exit }'
}

# Fails, saying why, unless the java on PATH is 17 or newer; $1 names what needs it.
require_java17() {
  local major
  major="$(java_major)"
  [ -n "$major" ] || { echo "java is not installed ($1 needs Java 17 or newer)" >&2; return 1; }
  [ "$major" -ge 17 ] || { echo "java $major is too old ($1 needs Java 17 or newer)" >&2; return 1; }
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

# --- Message brokers: shared helpers -------------------------------------------------------
# The broker probes speak each broker's own protocol from bash (/dev/tcp), so a probe needs no
# client library and takes milliseconds when the broker is up.

# Runs function $1 with the remaining arguments in a new bash, killed after 2 s: a server that
# accepts the connection but never answers must not hang the probe.
within_2s() {
  local fn=$1
  shift
  timeout 2 bash -c "$(declare -f "$fn"); $fn $*" 2>/dev/null
}

# --- Kafka (KRaft: one node that is both broker and controller) ----------------------------
# Apache Kafka's own broker, from Maven Central like DynamoDB Local: the jars of
# org.apache.kafka:kafka_2.13, plus the logging binding its distribution normally brings, are
# copied once into $state_dir/kafka-dist/<version> and shared by both instances. 3.9.1 is the
# newest 3.x: it runs on Java 17 and still accepts every protocol version kafkajs 2.2.4 (no
# release since 2023) may pick, whereas 4.0 removed the oldest ones.
kafka_version=3.9.1
kafka_home="$state_dir/kafka-dist/$kafka_version"

resolve_kafka() {
  [ -f "$kafka_home/ready" ] && return 0
  require_java17 "Kafka $kafka_version" || return 1
  rm -rf "$kafka_home" && mkdir -p "$kafka_home"
  maven_copy_dependencies "$kafka_home" "$state_dir/kafka-download.log" "${MECHA_KAFKA_DOWNLOAD_TIMEOUT:-300}" \
    org.apache.kafka:kafka_2.13:"$kafka_version" org.slf4j:slf4j-reload4j:1.7.36 ||
    { echo "could not download Kafka $kafka_version with Maven (see $state_dir/kafka-download.log)" >&2; return 1; }
  touch "$kafka_home/ready"
}

# Sends a FindCoordinator request (version 0) for the group "mecha-probe" to 127.0.0.1:$1 and
# prints the first 29 bytes of the answer in hex. Request: size 28, API key 10, version 0,
# correlation id 1, client id "probe", the group id.
kafka_coordinator_exchange() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '\x00\x00\x00\x1c\x00\x0a\x00\x00\x00\x00\x00\x01\x00\x05probe\x00\x0bmecha-probe' >&3
  head -c 29 <&3 | od -An -v -tx1
}
# Up when the answer names node 1 at 127.0.0.1:<port> as the group's coordinator, without
# error: a Kafka broker listens there, is registered with its controller and unfenced, and its
# internal offsets topic exists, so clients can produce, join groups and commit offsets at
# once. (On a new cluster the first such request makes the broker create that topic; until it
# has, the answer is "coordinator not available" and the probe keeps failing.)
kafka_probe() {
  local reply expected
  # correlation id 1, error 0, node id 1, host "127.0.0.1", port
  expected="00000001""0000""00000001""0009""3132372e302e302e31""$(printf '%08x' "$1")"
  reply="$(within_2s kafka_coordinator_exchange "$1" | tr -d ' \n')"
  [ "${reply:8}" = "$expected" ]
}

# Starts Kafka instance $1 (client port $2, controller port $3, cluster id $4); its
# configuration, data and logs are its own, in $state_dir/$1.
start_kafka_instance() {
  local name=$1 port=$2 controller_port=$3 cluster_id=$4 dir="$state_dir/$1"
  spawned_alive "$name" && return 0
  if port_open "$port" || port_open "$controller_port"; then
    echo "port $port or $controller_port is taken by a server that is not this Kafka" >&2
    return 1
  fi
  resolve_kafka || return 1
  mkdir -p "$dir/data"
  # num.partitions=4: competing consumers of one group share a topic the producer created.
  # group.initial.rebalance.delay.ms=0: the first member of a group gets its partitions at
  # once instead of after 3 s. group.min.session.timeout.ms=1000: failure tests may use short
  # session timeouts so a dead consumer's partitions move quickly.
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=true
delete.topic.enable=true
PROPS
  # Warnings and errors, plus the lines that say the server started or stopped.
  cat >"$dir/log4j.properties" <<'LOG4J'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.Kafka$=INFO
LOG4J
  # The data directory is formatted once, with a fixed cluster id; later starts reuse it, so
  # topics and committed offsets survive a restart. Formatting runs inside the spawned process
  # (a JVM start of its own) so that both instances start in parallel.
  spawn_detached "$name" bash -c '
    dir=$1 lib=$2 cluster_id=$3
    log4j="-Dlog4j.configuration=file:$dir/log4j.properties"
    if [ ! -f "$dir/data/meta.properties" ]; then
      java "$log4j" -cp "$lib/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" || exit 1
    fi
    exec java -Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true "$log4j" -cp "$lib/*" \
      kafka.Kafka "$dir/server.properties"' kafka-start "$dir" "$kafka_home/lib" "$cluster_id"
  touch "$state_dir/started/$name"
}
# SIGTERM is Kafka's controlled shutdown: it closes its logs cleanly, so the next start need
# not recover them.
stop_kafka_instance() {
  stop_pidfile "$1" 30 && port_closed_within "$2" 10
}

probe_kafka() { kafka_probe 9092; }
start_kafka() { start_kafka_instance kafka 9092 19092 bWVjaGEta2Fma2EtMDAwMQ; }
stop_kafka() { stop_kafka_instance kafka 9092; }

# Private Kafka for failure tests: another cluster (own id and data), same settings.
probe_kafka_failure() { kafka_probe 9094; }
start_kafka_failure() { start_kafka_instance kafka-failure 9094 19094 bWVjaGEta2Fma2EtZmFpbA; }
stop_kafka_failure() { stop_kafka_instance kafka-failure 9094; }

# --- RabbitMQ ------------------------------------------------------------------------------
# Debian's rabbitmq-server, run as a node of our own rather than the Debian service (which
# needs systemd): its node name, database (Mnesia), logs, configuration and plugin list are
# in $state_dir/<name>. No plugins (the management plugin's port would collide between the
# two nodes). The default user guest/guest may log in from loopback, which is all it listens
# on. Queues declared durable and messages published persistent survive a restart.
rabbitmq_home="$state_dir/rabbitmq-home"

# Logs in to 127.0.0.1:$1 as guest/guest and prints, in hex, the server's three frames after
# its Start: Tune, then Open-Ok if guest was let in, then Close-Ok. The frames go out at once
# and the server handles them in order: protocol header; Start-Ok (PLAIN, "\0guest\0guest");
# Tune-Ok (1 channel, 4 KiB frames, no heartbeat); Open of vhost "/"; Close (200). `head -c`
# reads no more than it is asked for, so consecutive reads split the answer exactly.
amqp_login_exchange() {
  local start
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'AMQP\x00\x00\x09\x01' >&3
  printf '\x01\x00\x00\x00\x00\x00\x24\x00\x0a\x00\x0b\x00\x00\x00\x00\x05PLAIN\x00\x00\x00\x0c\x00guest\x00guest\x05en_US\xce' >&3
  printf '\x01\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x1f\x00\x01\x00\x00\x10\x00\x00\x00\xce' >&3
  printf '\x01\x00\x00\x00\x00\x00\x08\x00\x0a\x00\x28\x01/\x00\x00\xce' >&3
  printf '\x01\x00\x00\x00\x00\x00\x0b\x00\x0a\x00\x32\x00\xc8\x00\x00\x00\x00\x00\xce' >&3
  # Start: a method frame on channel 0 (type 1, channel 0, then a 4-byte size that varies with
  # the server, the payload and the frame-end byte).
  start="$(head -c 7 <&3 | od -An -v -tx1 | tr -d ' \n')"
  [ "${start:0:6}" = 010000 ] || return 1
  head -c $((16#${start:6:8} + 1)) <&3 >/dev/null
  # Tune (20 bytes), Open-Ok (13), Close-Ok (12).
  head -c 45 <&3 | od -An -v -tx1
}
# Up when the server answered the Open with Open-Ok: an AMQP 0-9-1 broker that let guest in.
rabbitmq_probe() {
  within_2s amqp_login_exchange "$1" | tr -d ' \n' | grep -q '01000000000005000a0029'
}

# Starts RabbitMQ node $1 (AMQP port $2, Erlang distribution port $3).
start_rabbitmq_node() {
  local name=$1 port=$2 dist_port=$3 dir="$state_dir/$1" server=/usr/lib/rabbitmq/bin/rabbitmq-server
  spawned_alive "$name" && return 0
  if port_open "$port"; then
    echo "port $port is taken by a server that does not let guest/guest in over AMQP" >&2
    return 1
  fi
  # Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user (and its cookie); this
  # is the script behind it.
  [ -x "$server" ] || { echo "$server is missing (Debian's rabbitmq-server package provides it)" >&2; return 1; }
  mkdir -p "$dir/mnesia" "$dir/log" "$rabbitmq_home"
  # One Erlang cookie for both nodes, written before they start (two nodes creating it at
  # once could each keep a different one), so rabbitmqctl run with HOME=$rabbitmq_home
  # reaches either.
  if [ ! -s "$rabbitmq_home/.erlang.cookie" ]; then
    (umask 077 && tr -dc A-Z </dev/urandom | head -c 20 >"$rabbitmq_home/.erlang.cookie")
  fi
  echo '[].' >"$dir/enabled_plugins"
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users.guest = true
log.file = false
log.console = true
log.console.level = info
CONF
  # ERL_EPMD_ADDRESS: the Erlang port mapper (4369, shared by both nodes and left running)
  # listens on loopback only; inet_dist_use_interface does the same for the distribution
  # port. +sbwt none...: schedulers do not spin when idle, which on a 2-core machine would
  # take CPU from the tests.
  spawn_detached "$name" env HOME="$rabbitmq_home" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME="mecha-$name@localhost" RABBITMQ_DIST_PORT="$dist_port" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/beam.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none" \
    "$server"
  touch "$state_dir/started/$name"
}
# The script up.sh spawned passes SIGTERM to the Erlang VM, which stops RabbitMQ cleanly; if
# the VM outlives the script's grace period, it is killed.
stop_rabbitmq_node() {
  local name=$1 port=$2 beam
  beam="$(cat "$state_dir/$name/beam.pid" 2>/dev/null)"
  stop_pidfile "$name" 30 || return 1
  [ -n "$beam" ] && pid_alive "$beam" && kill -9 "$beam" 2>/dev/null
  port_closed_within "$port" 10
}

probe_rabbitmq() { rabbitmq_probe 5672; }
start_rabbitmq() { start_rabbitmq_node rabbitmq 5672 25672; }
stop_rabbitmq() { stop_rabbitmq_node rabbitmq 5672; }

# Private RabbitMQ for failure tests: another node (own name, database and ports).
probe_rabbitmq_failure() { rabbitmq_probe 5673; }
start_rabbitmq_failure() { start_rabbitmq_node rabbitmq-failure 5673 25673; }
stop_rabbitmq_failure() { stop_rabbitmq_node rabbitmq-failure 5673; }

# --- Mosquitto (MQTT) ----------------------------------------------------------------------
# MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s, empty client id) to 127.0.0.1:$1; prints
# the first 4 bytes of the answer in hex, then disconnects.
mqtt_connect_exchange() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00' >&3
  head -c 4 <&3 | od -An -v -tx1
  printf '\xe0\x00' >&3
}
# Up when the answer is CONNACK "accepted": an MQTT broker that takes anonymous clients.
mqtt_probe() {
  [ "$(within_2s mqtt_connect_exchange "$1" | tr -d ' \n')" = 20020000 ]
}

# Starts Mosquitto instance $1 on port $2, with its configuration and persistence file in
# $state_dir/$1.
start_mosquitto_instance() {
  local name=$1 port=$2 dir="$state_dir/$1" user=mosquitto
  spawned_alive "$name" && return 0
  if port_open "$port"; then
    echo "port $port is taken by a server that does not accept anonymous MQTT clients" >&2
    return 1
  fi
  id "$user" >/dev/null 2>&1 || user=root
  # Started as root, mosquitto switches to $user before it writes its persistence file.
  mkdir -p "$dir" && chown "$user" "$dir"
  # persistence: sessions of clients without clean session, their subscriptions and queued
  # QoS 1/2 messages are written to mosquitto.db on a clean stop (SIGTERM, ctl.sh stop) and
  # every 60 s, and read back at start. max_queued_messages: the default 1000 per session
  # would drop messages in the 10,000-message tests.
  cat >"$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
user $user
persistence true
persistence_location $dir/
persistence_file mosquitto.db
autosave_interval 60
max_queued_messages 1000000
max_queued_bytes 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages false
CONF
  spawn_detached "$name" mosquitto -c "$dir/mosquitto.conf"
  touch "$state_dir/started/$name"
}
stop_mosquitto_instance() {
  stop_pidfile "$1" && port_closed_within "$2" 10
}

probe_mosquitto() { mqtt_probe 1883; }
start_mosquitto() { start_mosquitto_instance mosquitto 1883; }
stop_mosquitto() { stop_mosquitto_instance mosquitto 1883; }

# Private Mosquitto for failure tests: same configuration, own persistence file.
probe_mosquitto_failure() { mqtt_probe 1884; }
start_mosquitto_failure() { start_mosquitto_instance mosquitto-failure 1884; }
stop_mosquitto_failure() { stop_mosquitto_instance mosquitto-failure 1884; }

# --- NATS with JetStream -------------------------------------------------------------------
# Connects to 127.0.0.1:$1 and asks JetStream for the account's information ($JS.API.INFO,
# answered on a subject the probe subscribed to); prints the answer's JSON.
nats_jetstream_exchange() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  IFS= read -r -t 2 line <&3 && [[ $line == 'INFO {'* ]] || return 1
  printf 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _mecha_probe 1\r\nPUB $JS.API.INFO _mecha_probe 0\r\n\r\n' >&3
  while IFS= read -r -t 2 line <&3; do
    case $line in
      MSG*) IFS= read -r -t 2 line <&3 && echo "$line"; return ;;
      -ERR*) return 1 ;;
    esac
  done
  return 1
}
# Up when JetStream answered with account information (not an error): a NATS server with
# JetStream enabled and ready.
nats_probe() {
  local answer
  answer="$(within_2s nats_jetstream_exchange "$1")"
  [[ $answer == *'"type":"io.nats.jetstream.api.v1.account_info_response"'* && $answer != *'"error"'* ]]
}

# Starts nats-server instance $1 on port $2, JetStream storing in $state_dir/$1. No monitoring
# port, no cluster.
start_nats_instance() {
  local name=$1 port=$2 dir="$state_dir/$1"
  spawned_alive "$name" && return 0
  if port_open "$port"; then
    echo "port $port is taken by a server that is not NATS with JetStream" >&2
    return 1
  fi
  mkdir -p "$dir"
  spawn_detached "$name" nats-server --addr 127.0.0.1 --port "$port" --server_name "mecha-$name" \
    --jetstream --store_dir "$dir"
  touch "$state_dir/started/$name"
}
# SIGTERM: nats-server shuts down, closing its JetStream files; streams, consumers and their
# acknowledged positions are there at the next start.
stop_nats_instance() {
  stop_pidfile "$1" && port_closed_within "$2" 10
}

probe_nats() { nats_probe 4222; }
start_nats() { start_nats_instance nats 4222; }
stop_nats() { stop_nats_instance nats 4222; }

# Private NATS for failure tests: own store directory.
probe_nats_failure() { nats_probe 4223; }
start_nats_failure() { start_nats_instance nats-failure 4223; }
stop_nats_failure() { stop_nats_instance nats-failure 4223; }

# --- Redis without persistence -------------------------------------------------------------
# For tests of a broker that forgets everything: no append-only file, no snapshot, so a stop
# loses every key, stream and consumer group.
probe_redis_volatile() {
  [ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6391 ping 2>/dev/null)" = "PONG" ]
}
start_redis_volatile() {
  local dir="$state_dir/redis-volatile"
  mkdir -p "$dir"
  # A snapshot left by a hand-run SAVE would be loaded at start; there must be none.
  rm -f "$dir"/*.rdb
  redis-server --bind 127.0.0.1 --port 6391 --daemonize yes \
    --pidfile "$state_dir/redis-volatile.pid" --logfile "$state_dir/redis-volatile.log" \
    --dir "$dir" --save '' --appendonly no || return 1
  touch "$state_dir/started/redis-volatile"
}
stop_redis_volatile() {
  timeout 10 redis-cli -h 127.0.0.1 -p 6391 shutdown nosave >/dev/null 2>&1 || true
  port_closed_within 6391 10
}

# --- Cloud storage and queue APIs (for the AWS and GCP binding components) ------------------
# Emulators of AWS S3, SQS and Kinesis and of Google Cloud Storage, each on loopback and each
# keeping its data in memory (S3 excepted: s3rver writes objects to $state_dir/s3). They accept
# any credentials the clients sign with (s3rver wants the access key id S3RVER, see README).

# A minimal SigV4 Authorization header for the JSON-protocol probes: the emulators check that
# one is there (and, for Kinesis, that X-Amz-Date is), not what it signs.
aws_probe_auth='Authorization: AWS4-HMAC-SHA256 Credential=probe/20240101/us-east-1/probe/aws4_request, SignedHeaders=host, Signature=0'

# Fails, saying why, unless $node_bin runs TypeScript by itself (Node 22.18 or newer).
require_node_type_stripping() {
  "$node_bin" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' ||
    { echo "node $("$node_bin" --version) is older than 22.18 (put Node 24 first on PATH)" >&2; return 1; }
}

# S3 API: s3rver 3.7 (this package's node_modules), path-style and virtual-host-style buckets,
# objects on disk in $state_dir/s3. It does not check SigV4 signatures, only that the access
# key id is its own (S3RVER).
probe_s3() {
  # An anonymous ListBuckets: s3rver lists its buckets, as S3 itself would not.
  curl -s -m 2 http://127.0.0.1:4568/ 2>/dev/null | grep -q '<ListAllMyBucketsResult'
}
start_s3() {
  local bin="$services_here/node_modules/s3rver/bin/s3rver.js"
  [ -f "$bin" ] || { echo "s3rver is not installed (run pnpm install)" >&2; return 1; }
  spawned_alive s3 && return 0
  port_open 4568 && { echo "port 4568 is taken by a server that is not s3rver" >&2; return 1; }
  mkdir -p "$state_dir/s3"
  spawn_detached s3 "$node_bin" "$bin" --directory "$state_dir/s3" --address 127.0.0.1 --port 4568 --silent
  touch "$state_dir/started/s3"
}
stop_s3() {
  stop_pidfile s3 && port_closed_within 4568 10
}

# SQS API: ElasticMQ from Maven Central (org.elasticmq:elasticmq-server_2.13), resolved once
# into $state_dir/elasticmq/<version> like Kafka; queues and messages in memory. Queue URLs it
# hands out name 127.0.0.1:9324, where it listens.
elasticmq_version=1.7.1
elasticmq_home="$state_dir/elasticmq/$elasticmq_version"

resolve_elasticmq() {
  [ -f "$elasticmq_home/ready" ] && return 0
  require_java17 "ElasticMQ $elasticmq_version" || return 1
  rm -rf "$elasticmq_home" && mkdir -p "$elasticmq_home"
  maven_copy_dependencies "$elasticmq_home" "$state_dir/elasticmq-download.log" "${MECHA_ELASTICMQ_DOWNLOAD_TIMEOUT:-300}" \
    org.elasticmq:elasticmq-server_2.13:"$elasticmq_version" ||
    { echo "could not download ElasticMQ $elasticmq_version with Maven (see $state_dir/elasticmq-download.log)" >&2; return 1; }
  touch "$elasticmq_home/ready"
}
probe_sqs() {
  # ListQueues in the JSON protocol the current AWS SDKs speak; SQS answers with QueueUrls.
  curl -s -m 2 -X POST http://127.0.0.1:9324/ -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AmazonSQS.ListQueues' -H "$aws_probe_auth" -d '{}' 2>/dev/null | grep -q '"QueueUrls"'
}
start_sqs() {
  spawned_alive sqs && return 0
  port_open 9324 && { echo "port 9324 is taken by a server that is not ElasticMQ" >&2; return 1; }
  resolve_elasticmq || return 1
  # node-address: the host and port written into queue URLs. sqs-limits strict: SQS's own
  # limits on names, sizes and attribute values, so what works here works on AWS.
  cat >"$elasticmq_home/elasticmq.conf" <<'CONF'
include classpath("application.conf")
node-address { protocol = "http", host = "127.0.0.1", port = 9324, context-path = "" }
rest-sqs { enabled = true, bind-port = 9324, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
CONF
  spawn_detached sqs java -Xms64m -Xmx256m -XX:+UseSerialGC -Dconfig.file="$elasticmq_home/elasticmq.conf" \
    -cp "$elasticmq_home/lib/*" org.elasticmq.server.Main
  touch "$state_dir/started/sqs"
}
stop_sqs() {
  stop_pidfile sqs && port_closed_within 9324 10
}

# Kinesis API: kinesalite (this package's node_modules), in memory, run by src/kinesalite-server.ts
# so that it listens on loopback only; shard limit 1000, streams take 100 ms to change state.
probe_kinesis() {
  curl -s -m 2 -X POST http://127.0.0.1:4567/ -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: Kinesis_20131202.ListStreams' -H 'X-Amz-Date: 20240101T000000Z' -H "$aws_probe_auth" \
    -d '{}' 2>/dev/null | grep -q '"StreamNames"'
}
start_kinesis() {
  [ -d "$services_here/node_modules/kinesalite" ] || { echo "kinesalite is not installed (run pnpm install)" >&2; return 1; }
  require_node_type_stripping || return 1
  spawned_alive kinesis && return 0
  port_open 4567 && { echo "port 4567 is taken by a server that is not kinesalite" >&2; return 1; }
  spawn_detached kinesis "$node_bin" "$services_here/src/kinesalite-server.ts" --host 127.0.0.1 --port 4567
  touch "$state_dir/started/kinesis"
}
stop_kinesis() {
  stop_pidfile kinesis && port_closed_within 4567 10
}

# Google Cloud Storage API: fake-gcs-server, built once with `go install` (Go 1.26 or newer, the
# version its go.mod asks for) into $state_dir/fake-gcs-server/<version>; plain HTTP, objects in
# memory. Clients reach it with STORAGE_EMULATOR_HOST=http://127.0.0.1:4443 or an API endpoint.
fake_gcs_version=1.56.1
fake_gcs_home="$state_dir/fake-gcs-server/$fake_gcs_version"

resolve_fake_gcs() {
  [ -f "$fake_gcs_home/ready" ] && return 0
  command -v go >/dev/null || { echo "go is not installed (fake-gcs-server $fake_gcs_version needs Go 1.26 or newer)" >&2; return 1; }
  rm -rf "$fake_gcs_home" && mkdir -p "$fake_gcs_home"
  # The build (about a minute on 2 cores the first time; Go caches modules and objects) is
  # bounded so a stalled download cannot hold up.sh's lock forever.
  GOBIN="$fake_gcs_home" timeout "${MECHA_FAKE_GCS_BUILD_TIMEOUT:-600}" \
    go install "github.com/fsouza/fake-gcs-server@v$fake_gcs_version" >"$state_dir/gcs-build.log" 2>&1 ||
    { echo "could not build fake-gcs-server $fake_gcs_version with go install (see $state_dir/gcs-build.log)" >&2; return 1; }
  touch "$fake_gcs_home/ready"
}
probe_gcs() {
  curl -s -m 2 'http://127.0.0.1:4443/storage/v1/b?project=probe' 2>/dev/null | grep -q '"storage#buckets"'
}
start_gcs() {
  spawned_alive gcs && return 0
  port_open 4443 && { echo "port 4443 is taken by a server that is not fake-gcs-server" >&2; return 1; }
  resolve_fake_gcs || return 1
  # -external-url: the address written into resumable-upload Location headers. -public-host: also
  # serve objects at http://127.0.0.1:4443/<bucket>/<object>, where signed URLs point.
  spawn_detached gcs "$fake_gcs_home/fake-gcs-server" -backend memory -scheme http -host 127.0.0.1 -port 4443 \
    -external-url http://127.0.0.1:4443 -public-host 127.0.0.1:4443 -log-level warn
  touch "$state_dir/started/gcs"
}
stop_gcs() {
  stop_pidfile gcs && port_closed_within 4443 10
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

# Waits until probe_$1 succeeds, at most $2 seconds; gives up at once when the process
# spawned for it has exited (it failed to start: its log says why).
wait_up() {
  local name=$1 deadline=$((SECONDS + $2))
  until service_do probe "$name"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    is_pidfile_service "$name" && ! spawned_alive "$name" && return 1
    sleep 0.2
  done
}
