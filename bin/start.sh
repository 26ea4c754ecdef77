#!/usr/bin/env bash
# Start, stop and inspect offsync processes, the way OpenMLDB's start.sh does for its components.
#
#   bin/start.sh [-c CONF_DIR] start|stop|restart|status data_collector|synctool
#
# CONF_DIR (-c, else env OFFSYNC_CONF_DIR, else <offsync>/conf) holds data_collector.flags and
# synctool.properties. Several instances run side by side with different conf dirs: the pid file and the log go
# to OFFSYNC_LOG_DIR, by default CONF_DIR/../logs (<component>.pid, <component>.log). Works from any directory.
# The first start builds the component with Maven (again whenever sources changed).
#
# start waits until the process is a member (Up) of the cluster and answers its health endpoint: data_collector
# http://<endpoint>/status saying "cluster: Up", synctool http://<management.host>:<management.port>/ready
# (cluster joined, ZooKeeper, journal, HDFS reachable); https:// when the conf sets a key store for them
# (--http_tls_keystore, server.tls.keystore), with the bearer token of the conf's token file
# (--http_auth_token_file; server.auth.read_token_file, else server.auth.token_file), passed to curl on stdin. The
# certificate is checked against OFFSYNC_CACERT (a PEM file) when set, else not (the node's own port);
# at most OFFSYNC_START_TIMEOUT seconds (default 120). stop sends SIGTERM (graceful leave: a collector hands
# its machine to a standby) and waits OFFSYNC_STOP_TIMEOUT seconds (default 60) before SIGKILL.
# JVM options: OFFSYNC_JAVA_OPTS (default -Xmx1g), after offsync_jvm_opts of bin/common.sh (the parallel collector
# unless they choose one, C2 thresholds) and the class-data archive (offsync_cds of bin/common.sh: the first start of
# a build records it, later starts use it; OFFSYNC_CDS=off goes without, OFFSYNC_CDS_DIR moves it).
#
# Exit codes: 0 done (start: running and healthy; stop: not running any more; status: running and healthy);
# 1 start failed / stop had to kill / status: not running; 2 usage or configuration error;
# 3 status: running but the health endpoint does not answer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
home="$offsync_home"

usage() { echo "usage: $0 [-c conf-dir] start|stop|restart|status data_collector|synctool" >&2; exit 2; }
conf="${OFFSYNC_CONF_DIR:-$home/conf}"
while getopts "c:h" opt; do
  case "$opt" in
    c) conf="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
action="$1"; component="$2"
[ -d "$conf" ] || { echo "conf dir $conf does not exist (give it with -c or OFFSYNC_CONF_DIR)" >&2; exit 2; }
conf="$(cd "$conf" && pwd)"
logdir="${OFFSYNC_LOG_DIR:-$(dirname "$conf")/logs}"

# value of the last "--key=value" line of a gflags file, else $3
flag() { local v; v="$(sed -n "s/^[[:space:]]*--$1=\(.*\)$/\1/p" "$2" | tail -1 | sed 's/[[:space:]]*$//')"; echo "${v:-$3}"; }
# value of the last "key=value" line of a properties file, else $3
prop() { local v; v="$(sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*\(.*\)$/\1/p" "$2" | tail -1 | sed 's/[[:space:]]*$//')"; echo "${v:-$3}"; }
local_host() { case "$1" in ""|0.0.0.0|"::") echo 127.0.0.1 ;; *) echo "$1" ;; esac; }

case "$component" in
  data_collector)
    module=collector-node; main=io.offsync.collector.node.CollectorNode; cfg="$conf/data_collector.flags"
    [ -f "$cfg" ] || { echo "missing $cfg" >&2; exit 2; }
    args=("--flagfile=$cfg")
    endpoint="$(flag endpoint "$cfg" 127.0.0.1:8888)"
    # the status page listens on the endpoint's port, on http_bind_host (default the endpoint's host)
    bind="$(flag http_bind_host "$cfg" "")"; [ -n "$bind" ] || bind="${endpoint%:*}"
    scheme=http; [ -z "$(flag http_tls_keystore "$cfg" "")" ] || scheme=https
    token_file="$(flag http_auth_token_file "$cfg" "")"
    health="$scheme://$(local_host "$bind"):${endpoint##*:}/status"
    member_line='^cluster: Up' ;;
  synctool)
    module=synctool-node; main=io.offsync.synctool.SyncToolMain; cfg="$conf/synctool.properties"
    [ -f "$cfg" ] || { echo "missing $cfg" >&2; exit 2; }
    args=("$cfg")
    server_host="$(prop server.host "$cfg" 0.0.0.0)"
    mhost="$(prop management.host "$cfg" "")"
    [ -n "$mhost" ] || mhost="$(prop cluster.host "$cfg" "")"
    [ -n "$mhost" ] || mhost="$server_host"
    scheme=http; [ -z "$(prop server.tls.keystore "$cfg" "")" ] || scheme=https
    token_file="$(prop server.auth.read_token_file "$cfg" "")"
    [ -n "$token_file" ] || token_file="$(prop server.auth.token_file "$cfg" "")"
    health="$scheme://$(local_host "$mhost"):$(prop management.port "$cfg" 8849)/ready"
    member_line='' ;;
  *) usage ;;
esac
pidfile="$logdir/$component.pid"
logfile="$logdir/$component.log"

# running: the pid file names a live process of this component (not a recycled pid)
running() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$main"
}

# a relative token file is relative to the offsync home (the node's working directory)
[ -z "$token_file" ] || [ "${token_file#/}" != "$token_file" ] || token_file="$home/$token_file"
# curl of the health endpoint: TLS and the token as configured (the token on stdin, never on the command line)
hcurl() {
  local opts=(-s -m 5)
  if [ "$scheme" = https ]; then
    if [ -n "${OFFSYNC_CACERT:-}" ]; then opts+=(--cacert "$OFFSYNC_CACERT"); else opts+=(-k); fi
  fi
  if [ -n "$token_file" ] && [ -r "$token_file" ]; then
    printf 'header = "Authorization: Bearer %s"\n' "$(head -n 1 "$token_file" | tr -d '[:space:]')" \
      | curl "${opts[@]}" -K - "$@"
  else
    curl "${opts[@]}" "$@"
  fi
}
healthy() { hcurl -f -o /dev/null "$health"; }
# started: healthy, and for a collector Up in the cluster (its /status answers before it has joined)
member() {
  if [ -z "$member_line" ]; then healthy; else hcurl -f "$health" 2>/dev/null | grep -q "$member_line"; fi
}
# why the health endpoint is not 200 (/ready names the failing dependency in its body), or that it is silent
why_unhealthy() { hcurl "$health" 2>/dev/null | head -c 2000 || true; }

start() {
  if running; then
    echo "$component already running (pid $(cat "$pidfile")), log $logfile"
    return 0
  fi
  rm -f "$pidfile"
  mkdir -p "$logdir"
  local java cp logback
  java="$(offsync_java)"
  cp="$(offsync_classpath "$module")"
  logback="$conf/logback.xml"; [ -f "$logback" ] || logback="$home/conf/logback.xml"
  local opts; opts="$(offsync_jvm_opts ${OFFSYNC_JAVA_OPTS:--Xmx1g}) ${OFFSYNC_JAVA_OPTS:--Xmx1g}"
  offsync_cds "$component" "$cp" "$java" $opts
  echo "---- $(date '+%F %T') starting $component from $conf" >>"$logfile"
  if [ -n "$offsync_cds_note" ]; then echo "$offsync_cds_note"; echo "$offsync_cds_note" >>"$logfile"; fi
  # setsid: the process leaves the caller's session and process group (Ctrl-C in a terminal does not reach it)
  (cd "$home" && OFFSYNC_CONF_DIR="$conf" exec setsid nohup "$java" $offsync_cds_opts $opts \
      -Djava.net.preferIPv4Stack=true -Dpekko.fail-mixed-versions=off -Dlogback.configurationFile="$logback" \
      -cp "$cp" "$main" "${args[@]}" >>"$logfile" 2>&1 </dev/null) &
  local pid=$!
  echo "$pid" >"$pidfile"
  local deadline=$((SECONDS + ${OFFSYNC_START_TIMEOUT:-120}))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$component exited during start; last lines of $logfile:" >&2
      tail -n 20 "$logfile" >&2
      rm -f "$pidfile"
      # a class-data archive it recorded holds only what a failed start loaded: the next start records anew
      [ -z "$offsync_cds_recording" ] || rm -f "$offsync_cds_recording"
      return 1
    fi
    if member; then
      echo "$component started (pid $pid), $health answers${member_line:+ (Up in the cluster)}, log $logfile"
      return 0
    fi
    sleep 1
  done
  echo "$component (pid $pid) did not answer $health within ${OFFSYNC_START_TIMEOUT:-120} s; it keeps running" \
    "(bin/start.sh -c $conf stop $component stops it); see $logfile" >&2
  local why; why="$(why_unhealthy)"
  [ -z "$why" ] || echo "$health says: $why" >&2
  return 1
}

stop() {
  if ! running; then
    echo "$component not running"
    rm -f "$pidfile"
    return 0
  fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + ${OFFSYNC_STOP_TIMEOUT:-60}))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "$component stopped (pid $pid)"
      return 0
    fi
    sleep 0.5
  done
  echo "$component (pid $pid) did not stop within ${OFFSYNC_STOP_TIMEOUT:-60} s; killed it (SIGKILL)" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  return 1
}

status() {
  if ! running; then
    echo "$component not running ($conf)"
    return 1
  fi
  echo "$component running (pid $(cat "$pidfile")), log $logfile"
  local body
  if ! body="$(hcurl -f "$health")"; then
    local why; why="$(why_unhealthy)"
    echo "but $health does not answer${why:+ 200: $why}" >&2
    return 3
  fi
  echo "$health: $body"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  restart) stop || true; start ;;
  status) status ;;
  *) usage ;;
esac
