# The HA infrastructure of `scripts/infra.sh … --ha`: every engine as a small cluster on the bridge
# of scripts/netns.sh (10.77.0.1, made by `up`; the cluster's processes run in its namespaces),
# beside the single-node one (own ports, own folder), so the fault tests can kill one member and
# watch the rest carry on:
#   Kafka       three KRaft nodes, each broker and controller: 29092, 29094, 29096 (controller +1)
#   Redis       a Redis Cluster of six nodes, three masters with one replica each: 26379..26384
#   etcd        three members: 22379, 22381, 22383 (peer +1)
#   PostgreSQL  a primary on 25432 and a streaming hot standby on 25433
# Members are named kafka-1..3, redis-1..6, etcd-1..3, postgres-primary, postgres-replica.
# Sourced by scripts/infra.sh, which defines say, wait_port_log, install_packages, fetch_kafka
# and CACHE.

HA_DIR=${IM_INFRA_HA_DIR:-/tmp/im-infra-ha}
# The engines listen on the bridge of scripts/netns.sh, where the cluster's processes, each in a
# network namespace of its own, reach them (and this machine too).
HA_HOST=10.77.0.1
LISTEN_HOST=$HA_HOST
HA_KAFKA_PORTS=(29092 29094 29096)
HA_REDIS_PORTS=(26379 26380 26381 26382 26383 26384)
HA_ETCD_PORTS=(22379 22381 22383)
HA_PG_PRIMARY_PORT=25432
HA_PG_REPLICA_PORT=25433
# The physical replication slot keeps the primary's WAL until the replica has it, so a replica
# that was down for a while catches up by streaming instead of needing a new base backup.
HA_PG_SLOT=im_replica

ha_members() {
  echo kafka-1 kafka-2 kafka-3 redis-1 redis-2 redis-3 redis-4 redis-5 redis-6 \
    etcd-1 etcd-2 etcd-3 postgres-primary postgres-replica
}

ha_port() { # member
  local n=${1##*-}
  case "$1" in
    kafka-[1-3]) echo "${HA_KAFKA_PORTS[$((n - 1))]}" ;;
    redis-[1-6]) echo "${HA_REDIS_PORTS[$((n - 1))]}" ;;
    etcd-[1-3]) echo "${HA_ETCD_PORTS[$((n - 1))]}" ;;
    postgres-primary) echo "$HA_PG_PRIMARY_PORT" ;;
    postgres-replica) echo "$HA_PG_REPLICA_PORT" ;;
    *)
      echo "infra: no HA member '$1' (members: $(ha_members))" >&2
      return 2
      ;;
  esac
}

# Whether a socket listens on the port. It asks the kernel instead of connecting: a process that
# is shutting down stops accepting, its backlog fills with probes, and a connect then hangs for
# minutes (the SYNs are dropped and retried).
ha_listening() { # port
  [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]
}

ha_pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

# PostgreSQL refuses to run as root: as root its commands run as the user postgres.
ha_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ha_psql() { # port sql
  ha_pg "$(ha_pg_bin)/psql" -h $HA_HOST -p "$1" -U im -d postgres -XAtqc "$2"
}

# The pid of a member's (main) process, empty when it is not running.
ha_pid() { # member
  local pid="" file="$HA_DIR/$1.pid"
  case "$1" in postgres-*) file="$HA_DIR/$1/data/postmaster.pid" ;; esac
  if [ -f "$file" ]; then pid=$(head -1 "$file"); fi
  if [ -n "$pid" ] && ha_alive "$pid"; then
    echo "$pid"
    return
  fi
  # No (live) pid file, e.g. after an interrupted run: whoever listens on the member's port.
  ss -ltnpH "sport = :$(ha_port "$1")" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 ||
    true
}

# ---- Kafka -------------------------------------------------------------------------------------

# The JVM with the broker's jars (cached by fetch_kafka) and a log4j configuration that logs
# warnings and worse.
HA_KAFKA_JAVA=(java -Dlog4j.configuration="file:$HA_DIR/kafka-log4j.properties" -cp "$CACHE/kafka/lib/*")

ha_kafka_bootstrap() {
  local IFS=,
  echo "${HA_KAFKA_PORTS[*]/#/$HA_HOST:}"
}

ha_kafka_configure() { # n
  local n=$1 port=${HA_KAFKA_PORTS[$(($1 - 1))]} voters="" i
  for i in 1 2 3; do voters+="${voters:+,}$i@$HA_HOST:$((HA_KAFKA_PORTS[i - 1] + 1))"; done
  mkdir -p "$HA_DIR/kafka-$n"
  cat >"$HA_DIR/kafka-$n/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://$HA_HOST:$port,CONTROLLER://$HA_HOST:$((port + 1))
advertised.listeners=PLAINTEXT://$HA_HOST:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$HA_DIR/kafka-$n/data
num.partitions=12
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# A killed broker is fenced (its partitions get new leaders, it leaves their in-sync replicas)
# when it has not sent a heartbeat for this long: 6 s instead of 9 s, so acks=all produces to
# partitions it followed stall for less; still far above a GC pause on a busy machine.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
# Three brokers share a small machine: fewer threads than the defaults (3 network, 8 I/O), and
# an idle controller appends its no-op record (which tells brokers their metadata is current)
# every 5 s instead of every 0.5 s.
num.network.threads=2
num.io.threads=4
metadata.max.idle.interval.ms=5000
PROPS
}

# Formats the log folders that have never been formatted, all with one cluster id.
ha_kafka_format() {
  cat >"$HA_DIR/kafka-log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  if [ ! -f "$HA_DIR/kafka.cluster-id" ]; then
    # A Kafka cluster id is a UUID's 16 bytes in URL-safe base64 without padding.
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$HA_DIR/kafka.cluster-id"
  fi
  local cluster_id n pids=()
  cluster_id=$(cat "$HA_DIR/kafka.cluster-id")
  for n in 1 2 3; do
    ha_kafka_configure "$n"
    if [ ! -f "$HA_DIR/kafka-$n/data/meta.properties" ]; then
      "${HA_KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$HA_DIR/kafka-$n/server.properties" >"$HA_DIR/kafka-$n/format.log" 2>&1 &
      pids+=($!)
    fi
  done
  for n in "${pids[@]}"; do wait "$n" || { say "formatting a Kafka log folder failed"; return 1; }; done
}

ha_start_kafka() { # n
  local member=kafka-$1
  ha_listening "$(ha_port "$member")" && return
  # A small heap each: three brokers share the machine with everything else.
  nohup "${HA_KAFKA_JAVA[@]}" -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true kafka.Kafka "$HA_DIR/$member/server.properties" \
    >"$HA_DIR/$member.log" 2>&1 &
  echo $! >"$HA_DIR/$member.pid"
}

# Up means every broker is registered with the controllers and unfenced: the metadata a client
# gets lists all three.
ha_wait_kafka() {
  # Generous: a broker restarted after kill -9 recovers its logs first, and on a loaded two-core
  # machine (the fault suite's traffic) that took over 90 s. Each probe is a JVM: not too often.
  local n registered=0 deadline=$((SECONDS + 240))
  for n in 1 2 3; do
    wait_port_log "${HA_KAFKA_PORTS[$((n - 1))]}" "kafka-$n" 240 "$HA_DIR/kafka-$n.log"
  done
  while [ "$SECONDS" -lt "$deadline" ]; do
    registered=$(timeout 60 "${HA_KAFKA_JAVA[@]}" kafka.admin.BrokerApiVersionsCommand \
      --bootstrap-server "$(ha_kafka_bootstrap)" 2>/dev/null | grep -c ' (id: ' || true)
    [ "$registered" = 3 ] && return 0
    sleep 2
  done
  say "Kafka has $registered of 3 brokers registered after 240 s; their logs are $HA_DIR/kafka-*.log"
  return 1
}

# ---- Redis Cluster -----------------------------------------------------------------------------

ha_start_redis() { # n
  local member=redis-$1 port=${HA_REDIS_PORTS[$(($1 - 1))]}
  ha_listening "$port" && return
  mkdir -p "$HA_DIR/$member"
  # nodes.conf (the node's identity and its view of the cluster) lives in the node's folder, so
  # a node started again on its data rejoins as the node it was.
  # Off the loopback Redis refuses clients unless protected mode is off: only this machine and its
  # namespaces reach the bridge's subnet (scripts/netns.sh drops packets for it from elsewhere).
  redis-server --port "$port" --bind $HA_HOST --protected-mode no --dir "$HA_DIR/$member" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes --pidfile "$HA_DIR/$member.pid" --logfile "$HA_DIR/$member.log"
}

ha_redis() { # port command…
  local port=$1
  shift
  redis-cli -h $HA_HOST -p "$port" "$@"
}

ha_redis_field() { # port field: a field of CLUSTER INFO
  ha_redis "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

ha_redis_role() { # port: master, replica or nothing when it does not answer
  ha_redis "$1" role 2>/dev/null | head -1 | sed 's/^slave$/replica/'
}

# Creates the cluster when no node has slots yet (a fresh start); a cluster that exists re-forms
# by itself from its nodes.conf files.
ha_redis_create() {
  local n port
  for n in 1 2 3 4 5 6; do
    port=${HA_REDIS_PORTS[$((n - 1))]}
    wait_port_log "$port" "redis-$n" 10 "$HA_DIR/redis-$n.log"
    [ "$(ha_redis_field "$port" cluster_slots_assigned)" = 0 ] || return 0
  done
  redis-cli --cluster create "${HA_REDIS_PORTS[@]/#/$HA_HOST:}" --cluster-replicas 1 --cluster-yes \
    >"$HA_DIR/redis-create.log" 2>&1 || {
    say "redis-cli --cluster create failed:"
    tail -20 "$HA_DIR/redis-create.log" >&2
    return 1
  }
}

# Up means every node sees the cluster as ok, knows all six nodes, and every replica's link to
# its master is up (the data of each master is on two nodes).
ha_wait_redis() {
  local port
  for port in "${HA_REDIS_PORTS[@]}"; do
    for _ in $(seq 1 300); do
      if [ "$(ha_redis_field "$port" cluster_state)" = ok ] &&
        [ "$(ha_redis_field "$port" cluster_known_nodes)" = 6 ] &&
        { [ "$(ha_redis_role "$port")" != replica ] ||
          [[ "$(ha_redis "$port" info replication)" == *master_link_status:up* ]]; }; then
        continue 2
      fi
      sleep 0.1
    done
    say "redis on $port is not an ok member of the cluster after 30 s:"
    ha_redis "$port" cluster info >&2 || true
    return 1
  done
}

# ---- etcd --------------------------------------------------------------------------------------

ha_start_etcd() { # n
  local member=etcd-$1 port=${HA_ETCD_PORTS[$(($1 - 1))]} cluster="" i
  ha_listening "$port" && return
  for i in 1 2 3; do cluster+="${cluster:+,}etcd-$i=http://$HA_HOST:$((HA_ETCD_PORTS[i - 1] + 1))"; done
  # The --initial-* flags matter only the first time; a member started on its data rejoins.
  nohup etcd --name "$member" --data-dir "$HA_DIR/$member" \
    --listen-client-urls "http://$HA_HOST:$port" --advertise-client-urls "http://$HA_HOST:$port" \
    --listen-peer-urls "http://$HA_HOST:$((port + 1))" \
    --initial-advertise-peer-urls "http://$HA_HOST:$((port + 1))" \
    --initial-cluster "$cluster" --initial-cluster-token im-ha --initial-cluster-state new \
    >"$HA_DIR/$member.log" 2>&1 &
  echo $! >"$HA_DIR/$member.pid"
}

# Up means every member says it is healthy (it has a leader and answers a quorum read).
ha_wait_etcd() {
  local n port
  for n in 1 2 3; do
    port=${HA_ETCD_PORTS[$((n - 1))]}
    for _ in $(seq 1 300); do
      [[ "$(curl -fsm 2 "http://$HA_HOST:$port/health" 2>/dev/null)" == *'"health":"true"'* ]] &&
        continue 2
      sleep 0.1
    done
    say "etcd-$n is not healthy after 30 s; its log:"
    tail -20 "$HA_DIR/etcd-$n.log" >&2 || true
    return 1
  done
}

# ---- PostgreSQL --------------------------------------------------------------------------------

# Both servers get the same settings (a hot standby needs max_connections at least the
# primary's); a replica whose primary went away tries again every second instead of every 5 s.
ha_pg_ctl_start() { # member port
  local lock="$HA_DIR/$1/data/postmaster.pid"
  # After a crash the lock file stays; its postmaster is gone, so it is only noise for pg_ctl.
  if [ -f "$lock" ] && ! kill -0 "$(head -1 "$lock")" 2>/dev/null; then rm -f "$lock"; fi
  ha_pg "$(ha_pg_bin)/pg_ctl" -D "$HA_DIR/$1/data" -l "$HA_DIR/$1/postgres.log" -w -t 120 start \
    -o "-p $2 -k $HA_DIR/$1 -c listen_addresses=$HA_HOST -c max_connections=300 -c fsync=on \
-c wal_level=replica -c max_wal_senders=10 -c hot_standby=on -c wal_retrieve_retry_interval=1s" \
    >/dev/null || {
    say "$1 did not start; its log:"
    tail -20 "$HA_DIR/$1/postgres.log" >&2 || true
    return 1
  }
}

ha_pg_folder() { # member
  mkdir -p "$HA_DIR/$1"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$HA_DIR/$1"; fi
}

ha_start_pg_primary() {
  ha_listening "$HA_PG_PRIMARY_PORT" && return
  ha_pg_folder postgres-primary
  if [ ! -f "$HA_DIR/postgres-primary/data/PG_VERSION" ]; then
    ha_pg "$(ha_pg_bin)/initdb" -D "$HA_DIR/postgres-primary/data" -U im -A trust -E UTF8 \
      >"$HA_DIR/postgres-primary/initdb.log"
    # initdb trusts the loopback only; the cluster's processes come from the namespaces' subnet.
    printf 'host all all %s/24 trust\nhost replication all %s/24 trust\n' \
      "${HA_HOST%.*}.0" "${HA_HOST%.*}.0" >>"$HA_DIR/postgres-primary/data/pg_hba.conf"
  fi
  ha_pg_ctl_start postgres-primary "$HA_PG_PRIMARY_PORT"
  ha_psql "$HA_PG_PRIMARY_PORT" "CREATE DATABASE im" >/dev/null 2>&1 || true
}

ha_start_pg_replica() {
  ha_listening "$HA_PG_REPLICA_PORT" && return
  ha_pg_folder postgres-replica
  if [ ! -f "$HA_DIR/postgres-replica/data/PG_VERSION" ]; then
    rm -rf "$HA_DIR/postgres-replica/data"
    ha_psql "$HA_PG_PRIMARY_PORT" "SELECT pg_create_physical_replication_slot('$HA_PG_SLOT')
      WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '$HA_PG_SLOT')" >/dev/null
    # -R writes standby.signal and primary_conninfo (and, with -S, primary_slot_name).
    ha_pg "$(ha_pg_bin)/pg_basebackup" -h $HA_HOST -p "$HA_PG_PRIMARY_PORT" -U im \
      -D "$HA_DIR/postgres-replica/data" -R -X stream -S "$HA_PG_SLOT" -c fast
  fi
  ha_pg_ctl_start postgres-replica "$HA_PG_REPLICA_PORT"
}

# Up means the replica streams from the primary.
ha_wait_pg() {
  # A replica whose primary restarted reconnects within seconds, more on a loaded machine.
  for _ in $(seq 1 1200); do
    [ "$(ha_psql "$HA_PG_PRIMARY_PORT" \
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null)" = 1 ] &&
      return 0
    sleep 0.1
  done
  say "the PostgreSQL replica does not stream from the primary after 120 s; its log:"
  tail -20 "$HA_DIR/postgres-replica/postgres.log" >&2 || true
  return 1
}

# ---- Commands ----------------------------------------------------------------------------------

# Starts every member that is not running, on its data (creating the data the first time), and
# waits until each engine works as a cluster.
ha_up() {
  local start=$SECONDS n
  mkdir -p "$HA_DIR" "$CACHE"
  chmod 755 "$HA_DIR"
  install_packages
  fetch_kafka
  bash "$HERE/netns.sh" up >/dev/null
  # Redis and etcd start in the background at once; Kafka's JVMs take longest to start, so
  # they boot while PostgreSQL starts and the Redis Cluster forms.
  for n in 1 2 3 4 5 6; do ha_start_redis "$n"; done
  for n in 1 2 3; do ha_start_etcd "$n"; done
  ha_kafka_format
  for n in 1 2 3; do ha_start_kafka "$n"; done
  ha_start_pg_primary
  ha_start_pg_replica
  ha_redis_create
  ha_wait_redis
  ha_wait_etcd
  ha_wait_pg
  ha_wait_kafka
  say "HA up in $((SECONDS - start)) s: kafka $(ha_kafka_bootstrap)," \
    "redis $HA_HOST:${HA_REDIS_PORTS[0]}..${HA_REDIS_PORTS[5]}," \
    "etcd $(IFS=,; echo "${HA_ETCD_PORTS[*]/#/$HA_HOST:}")," \
    "postgres $HA_HOST:$HA_PG_PRIMARY_PORT (replica :$HA_PG_REPLICA_PORT) (data in $HA_DIR)"
}

# A process that has exited but is not reaped yet (its parent, init here, does that when it
# gets to it) counts as gone: it holds no port and no file any more.
ha_alive() { # pid
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${state:0:1}" != Z ]
}

# Gone means its port is closed too: a killed JVM's main thread is a zombie while its other
# threads still exit, and its sockets close only when the last one has.
ha_wait_gone() { # pid port seconds
  for _ in $(seq 1 $(($3 * 10))); do
    ha_alive "$1" || ha_listening "$2" || return 0
    sleep 0.1
  done
  return 1
}

# kill -9, as a crash would: no shutdown work at all. For PostgreSQL the postmaster and its
# backends, so the next start finds what a power cut leaves (and does crash recovery).
ha_kill() { # member
  local member=${1:-} pid children
  [ -n "$member" ] || { echo "usage: infra.sh kill --ha MEMBER (one of: $(ha_members))" >&2; return 2; }
  ha_port "$member" >/dev/null
  pid=$(ha_pid "$member")
  [ -n "$pid" ] || { say "$member is not running"; return 1; }
  children=$(ps -o pid= --ppid "$pid" || true)
  kill -9 "$pid" $children 2>/dev/null || true
  ha_wait_gone "$pid" "$(ha_port "$member")" 10 || { say "$member (pid $pid) is still there 10 s after kill -9"; return 1; }
  case "$member" in
    postgres-*)
      # A postmaster whose pid still exists, even as a zombie, keeps the next one from starting
      # ("another server might be running"): wait until init has reaped it.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      ;;
  esac
  rm -f "$HA_DIR/$member.pid"
  say "$member killed (kill -9 $pid)"
}

# Stops a member as an operator would: SIGTERM (Kafka moves its leaderships away first, Redis
# and etcd finish what they write), pg_ctl stop -m fast for PostgreSQL.
ha_stop() { # member
  local member=${1:-} pid
  [ -n "$member" ] || { echo "usage: infra.sh stop --ha MEMBER (one of: $(ha_members))" >&2; return 2; }
  ha_port "$member" >/dev/null
  case "$member" in
    postgres-*)
      # Only a running server: after kill --ha its lock file stays, and pg_ctl stop then fails.
      if [ -n "$(ha_pid "$member")" ]; then
        ha_pg "$(ha_pg_bin)/pg_ctl" -D "$HA_DIR/$member/data" -m fast -w stop >/dev/null
      fi
      ;;
    *)
      pid=$(ha_pid "$member")
      if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        ha_wait_gone "$pid" "$(ha_port "$member")" 30 || { say "$member did not stop in 30 s: kill -9"; kill -9 "$pid" 2>/dev/null || true; }
      fi
      rm -f "$HA_DIR/$member.pid"
      ;;
  esac
  say "$member stopped"
}

ha_restart() { # member
  ha_stop "${1:-}"
  # What went wrong, if anything, is what ha_up says last.
  ha_up | tail -5
  [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
  say "$1 restarted"
}

# Everything stops at once: the data goes too, so nothing needs a clean shutdown.
ha_down() {
  local member pid pids=()
  for member in $(ha_members); do
    case "$member" in
      postgres-*)
        [ -f "$HA_DIR/$member/data/postmaster.pid" ] &&
          ha_pg "$(ha_pg_bin)/pg_ctl" -D "$HA_DIR/$member/data" -m immediate -w stop >/dev/null 2>&1 || true
        ;;
      *)
        pid=$(ha_pid "$member")
        [ -n "$pid" ] && pids+=("$pid")
        ;;
    esac
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -9 "${pids[@]}" 2>/dev/null || true
    for pid in "${pids[@]}"; do
      for _ in $(seq 1 100); do ha_alive "$pid" || break; sleep 0.1; done
    done
  fi
  rm -rf "$HA_DIR"
  bash "$HERE/netns.sh" down >/dev/null
  say "HA down"
}

ha_status() {
  local member port role
  for member in $(ha_members); do
    port=$(ha_port "$member")
    if ! ha_listening "$port"; then
      say "$member down"
      continue
    fi
    role=""
    case "$member" in
      redis-*) role=" $(ha_redis_role "$port")" ;;
      postgres-*)
        case "$(ha_psql "$port" "SELECT pg_is_in_recovery()" 2>/dev/null)" in
          t) role=" standby" ;;
          f) role=" primary" ;;
        esac
        ;;
    esac
    say "$member up on $HA_HOST:$port$role"
  done
}

# What the fault tests ask of the cluster's current shape.
#   members --ha redis   the ports of the Redis masters now, one a line
ha_list() { # what
  local port
  case "${1:-}" in
    redis)
      for port in "${HA_REDIS_PORTS[@]}"; do
        [ "$(ha_redis_role "$port")" = master ] && echo "$port"
      done
      return 0
      ;;
    *) echo "usage: infra.sh members --ha redis" >&2; return 2 ;;
  esac
}

ha_main() { # command args…
  local command=${1:-}
  shift || true
  case "$command" in
    up | start) ha_up ;;
    down) ha_down ;;
    status) ha_status ;;
    kill) ha_kill "$@" ;;
    stop) ha_stop "$@" ;;
    restart) ha_restart "$@" ;;
    members) ha_list "$@" ;;
    *)
      echo "usage: infra.sh up|down|status|start --ha; kill|stop|restart --ha MEMBER; members --ha redis" >&2
      return 2
      ;;
  esac
}
