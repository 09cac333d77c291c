#!/usr/bin/env bash
# Development and CI infrastructure without Docker: a single-node Kafka (KRaft),
# Redis, etcd and PostgreSQL on loopback ports, data in a temporary folder.
#   scripts/infra.sh up      install what is missing, start what is not running (idempotent)
#   scripts/infra.sh down    stop everything and delete the data
#   scripts/infra.sh status  say what is running
#   scripts/infra.sh restart kafka|redis|etcd|postgres   restart one engine on its data (fault tests)
#   scripts/infra.sh stop ENGINE / start                 stop one engine; start whatever is not running
# Ports and folders come from the environment (defaults below).
# With --ha the same commands work on the HA infrastructure instead, every engine a small cluster
# (scripts/infra/ha.sh says which members and ports):
#   scripts/infra.sh up|down|status|start --ha
#   scripts/infra.sh kill|stop|restart --ha MEMBER   kill -9, stop or restart one member (fault tests)
#   scripts/infra.sh members --ha redis              the ports of the Redis masters now
set -euo pipefail

DIR=${IM_INFRA_DIR:-/tmp/im-infra}
CACHE=${IM_INFRA_CACHE:-$HOME/.cache/im-infra}
KAFKA_PORT=${IM_INFRA_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
REDIS_PORT=${IM_INFRA_REDIS_PORT:-16379}
ETCD_PORT=${IM_INFRA_ETCD_PORT:-12379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
PG_PORT=${IM_INFRA_PG_PORT:-15432}
HERE=$(cd "$(dirname "$0")" && pwd)

say() { echo "infra: $*"; }
listening() { (echo >"/dev/tcp/${LISTEN_HOST:-127.0.0.1}/$1") 2>/dev/null; }
wait_port_log() { # port name seconds log (the engine listens on LISTEN_HOST, default the loopback)
  for _ in $(seq 1 $(($3 * 10))); do listening "$1" && return 0; sleep 0.1; done
  say "$2 did not open port $1 in $3 s; its log:"; tail -20 "$4" >&2 || true; return 1
}
wait_port() { wait_port_log "$1" "$2" "$3" "$DIR/$2.log"; } # port name seconds
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v etcd >/dev/null || missing+=(etcd-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    # The packages' own services would start on the default ports; ours use others, so keep theirs off.
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    as_root rm -f /usr/sbin/policy-rc.d
  fi
}

fetch_kafka() {
  if [ -f "$CACHE/kafka/.complete" ]; then return; fi
  say "fetching the Kafka broker's jars from Maven Central"
  rm -rf "$CACHE/kafka" && mkdir -p "$CACHE/kafka"
  mvn -q -B -f "$HERE/infra/kafka-pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$CACHE/kafka/lib" -DincludeScope=runtime
  touch "$CACHE/kafka/.complete"
}

start_redis() {
  listening "$REDIS_PORT" && return
  mkdir -p "$DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" --appendonly yes \
    --appendfsync everysec --save "" --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
  wait_port "$REDIS_PORT" redis 10
}

start_etcd() {
  listening "$ETCD_PORT" && return
  nohup etcd --name im --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "im=http://127.0.0.1:$ETCD_PEER_PORT" >"$DIR/etcd.log" 2>&1 &
  echo $! >"$DIR/etcd.pid"
  wait_port "$ETCD_PORT" etcd 20
}

start_postgres() {
  listening "$PG_PORT" && return
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$DIR/pg"
  chmod 755 "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR/pg"; fi
  local run=()
  if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
  if [ ! -f "$DIR/pg/data/PG_VERSION" ]; then
    "${run[@]}" "$bin/initdb" -D "$DIR/pg/data" -U im -A trust -E UTF8 >"$DIR/pg/initdb.log"
  fi
  "${run[@]}" "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w start \
    -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" >/dev/null
  "${run[@]}" "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U im -d postgres -qc "CREATE DATABASE im" 2>/dev/null || true
}

start_kafka() {
  listening "$KAFKA_PORT" && return
  mkdir -p "$DIR/kafka"
  cat >"$DIR/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/kafka/data
num.partitions=12
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cat >"$DIR/kafka/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java=(java -Dlog4j.configuration="file:$DIR/kafka/log4j.properties" -cp "$CACHE/kafka/lib/*")
  if [ ! -f "$DIR/kafka/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    "${java[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$DIR/kafka/server.properties" >/dev/null
  fi
  nohup "${java[@]}" -Xms256m -Xmx768m kafka.Kafka "$DIR/kafka/server.properties" >"$DIR/kafka.log" 2>&1 &
  echo $! >"$DIR/kafka.pid"
  wait_port "$KAFKA_PORT" kafka 60
}

port_of() { # engine
  case "$1" in kafka) echo "$KAFKA_PORT" ;; redis) echo "$REDIS_PORT" ;; etcd) echo "$ETCD_PORT" ;; esac
}

stop_pid() { # name
  local file="$DIR/$1.pid"
  local pid=""
  if [ -f "$file" ]; then
    pid=$(cat "$file")
  else
    # No pid file (an interrupted run removed it): whoever listens on the engine's port.
    pid=$(ss -ltnpH "sport = :$(port_of "$1")" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
    [ -n "$pid" ] || return 0
  fi
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

up() {
  local start=$SECONDS
  mkdir -p "$DIR" "$CACHE"
  install_packages
  fetch_kafka
  start_redis
  start_etcd
  start_postgres
  start_kafka
  say "up in $((SECONDS - start)) s: kafka 127.0.0.1:$KAFKA_PORT, redis 127.0.0.1:$REDIS_PORT, etcd 127.0.0.1:$ETCD_PORT, postgres 127.0.0.1:$PG_PORT (data in $DIR)"
}

stop_postgres() {
  [ -f "$DIR/pg/data/postmaster.pid" ] || return 0
  local bin run=()
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null || true
}

down() {
  stop_pid kafka
  stop_pid etcd
  stop_pid redis
  stop_postgres
  rm -rf "$DIR"
  say "down"
}

restart() { # engine: stop it (as an operator would, gracefully) and start it again on the same data
  case "${1:-}" in
    kafka) stop_pid kafka; start_kafka ;;
    redis) stop_pid redis; start_redis ;;
    etcd) stop_pid etcd; start_etcd ;;
    postgres) stop_postgres; start_postgres ;;
    *) echo "usage: $0 restart kafka|redis|etcd|postgres" >&2; return 2 ;;
  esac
  say "$1 restarted"
}

stop_engine() { # engine: stop it, keeping its data
  case "${1:-}" in
    kafka | redis | etcd) stop_pid "$1" ;;
    postgres) stop_postgres ;;
    *) echo "usage: $0 stop kafka|redis|etcd|postgres" >&2; return 2 ;;
  esac
  say "$1 stopped"
}

status() {
  for pair in "kafka:$KAFKA_PORT" "redis:$REDIS_PORT" "etcd:$ETCD_PORT" "postgres:$PG_PORT"; do
    if listening "${pair#*:}"; then say "${pair%%:*} up on ${pair#*:}"; else say "${pair%%:*} down"; fi
  done
}

command=${1:-}
shift || true
ha=0
args=()
for arg in "$@"; do
  case "$arg" in
    --ha) ha=1 ;;
    -*) echo "infra: unknown option $arg" >&2; exit 2 ;;
    *) args+=("$arg") ;;
  esac
done

if [ "$ha" = 1 ]; then
  # shellcheck source=infra/ha.sh
  . "$HERE/infra/ha.sh"
  ha_main "$command" "${args[@]}"
  exit
fi

case "$command" in
  up) up ;;
  down) down ;;
  status) status ;;
  restart) restart "${args[0]:-}" ;;
  stop) stop_engine "${args[0]:-}" ;;
  start) up ;;
  *) echo "usage: $0 up|down|status|start [--ha]; restart|stop ENGINE; kill|stop|restart --ha MEMBER" >&2; exit 2 ;;
esac
