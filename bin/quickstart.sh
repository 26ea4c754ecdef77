#!/usr/bin/env bash
# offsync quickstart: everything on this machine, under run/quickstart/ (wiped at each run).
#
#   bin/quickstart.sh [--rows N] [--append N] [--overlap K] [--duration S | --no-wait] [--port-base P] [--timeout S]
#                     [--format parquet|csv|iceberg]
#
# Builds offsync (first run only), starts an embedded ZooKeeper, generates a demo OpenMLDB disk table
# (demo_db.demo_table, 4 partitions: RocksDB snapshot + binlog in the tablet's on-disk layout), starts one
# synctool and one data_collector (bin/synctool, bin/data_collector), creates a mode-2 (full + continuous) sync
# task into run/quickstart/out, shows the rows arriving, appends rows to the demo binlog and shows them arrive
# too, then prints where the files are and how to read them. Then it keeps running until Ctrl-C (or --duration S
# seconds; --no-wait = stop at once) and stops everything cleanly. Deleting the task meanwhile (from another
# terminal) does not stop it: it says so and keeps running.
#
#   --rows N        rows of the demo table (default 200000; 10% of them in the binlog after the snapshot)
#   --append N      rows appended to the binlog while the task runs (default 20000)
#   --overlap K     per partition, binlog entries past the snapshot's MANIFEST.offset that its checkpoint holds
#                   too, as a tablet snapshotting under write load leaves them (default 500; sent once)
#   --duration S    after the demo, keep running S seconds, then stop (default: until Ctrl-C)
#   --no-wait       stop as soon as the demo is done (for CI and scripts)
#   --port-base P   ports P..P+22 are used (default 18800; env OFFSYNC_QUICKSTART_PORT_BASE)
#   --timeout S     give up when rows do not arrive within S seconds (default 600)
#   --format F      output format (default parquet); iceberg = an Iceberg table out/demo_db/demo_table (out is the
#                   Hadoop catalog's warehouse)
#
# Exit code 0 when every written row arrived in the output exactly once, 1 otherwise (or on a start failure).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
home="$offsync_home"

rows=200000; append=20000; overlap=500; duration=-1; timeout=600; format=parquet
port_base="${OFFSYNC_QUICKSTART_PORT_BASE:-18800}"
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --overlap) overlap="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --no-wait) duration=0; shift ;;
    --port-base) port_base="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done

run="$home/run/quickstart"
zk_port=$port_base; st_port=$((port_base + 10)); st_mgmt=$((port_base + 11)); st_cluster=$((port_base + 12))
col_port=$((port_base + 20)); col_cluster=$((port_base + 21)); col_mgmt=$((port_base + 22))
table=demo_db.demo_table
out="$run/out"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

java="$(offsync_java)"
export OFFSYNC_JAVA_OPTS="${OFFSYNC_JAVA_OPTS:--Xmx512m}"

# ---- clean up a previous run ------------------------------------------------------------------------------
stop_all() {
  [ -d "$run" ] || return 0
  [ -f "$run/collector/conf/data_collector.flags" ] && "$home/bin/data_collector" -c "$run/collector/conf" stop || true
  [ -f "$run/synctool/conf/synctool.properties" ] && "$home/bin/synctool" -c "$run/synctool/conf" stop || true
  local pid
  if [ -f "$run/zookeeper/zookeeper.pid" ]; then
    pid="$(cat "$run/zookeeper/zookeeper.pid")"
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q EmbeddedZooKeeperMain; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      echo "zookeeper stopped (pid $pid)"
    fi
    rm -f "$run/zookeeper/zookeeper.pid"
  fi
}
if [ -d "$run" ]; then
  say "Cleaning up the previous quickstart in $run"
  stop_all
  rm -rf "$run"
fi

for p in $zk_port $st_port $st_mgmt $st_cluster $col_port $col_cluster $col_mgmt; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use; choose other ports with --port-base (ports P..P+22 are used)" >&2
    exit 1
  fi
done

# ---- build ------------------------------------------------------------------------------------------------
say "Building offsync (the first run downloads dependencies and takes a few minutes)"
for m in testkit collector-node synctool-node tools; do
  if offsync_stale "$m"; then offsync_build testkit collector-node synctool-node tools; break; fi
done
echo "build ok"
cp_tools="$(offsync_classpath tools)"
mkdir -p "$run"/{zookeeper,tablet/ssd,tablet/hdd,collector/conf,collector/data,synctool/conf,synctool/progress,out}

finished=0
cleanup() {
  trap - EXIT INT TERM
  say "Stopping offsync"
  stop_all
  if [ "$finished" = 1 ]; then echo "stopped; data, logs and output stay in $run"; fi
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

# ---- ZooKeeper --------------------------------------------------------------------------------------------
say "Starting ZooKeeper on 127.0.0.1:$zk_port (embedded, data in run/quickstart/zookeeper)"
(cd "$run/zookeeper" && exec setsid nohup "$java" -Xmx256m -Dlogback.configurationFile="$home/conf/logback.xml" \
   -cp "$cp_tools" io.offsync.testkit.EmbeddedZooKeeperMain "$zk_port" "$run/zookeeper/data" \
   >"$run/zookeeper/zookeeper.log" 2>&1 </dev/null) &
echo $! >"$run/zookeeper/zookeeper.pid"
for _ in $(seq 1 60); do
  grep -q "ZooKeeper listening" "$run/zookeeper/zookeeper.log" 2>/dev/null && break
  kill -0 "$(cat "$run/zookeeper/zookeeper.pid")" 2>/dev/null || { cat "$run/zookeeper/zookeeper.log" >&2; exit 1; }
  sleep 0.5
done
grep "ZooKeeper listening" "$run/zookeeper/zookeeper.log"

# ---- demo table -------------------------------------------------------------------------------------------
say "Generating the demo OpenMLDB table $table: $rows rows, 4 partitions (tablet root run/quickstart/tablet/ssd)"
"$home/bin/demo-tablet" --root "$run/tablet/ssd" --zk "127.0.0.1:$zk_port" --zk-root /openmldb --db demo_db --table demo_table --tid 1 \
  --rows "$rows" --partitions 4 --overlap "$overlap" --endpoint 127.0.0.1:9527 | sed 's/^/  /'

# ---- conf dirs --------------------------------------------------------------------------------------------
cat >"$run/synctool/conf/synctool.properties" <<EOF
# quickstart synctool (every key, its default and unit: conf/synctool.properties)
server.host=127.0.0.1
server.port=$st_port
zookeeper.cluster=127.0.0.1:$zk_port
zookeeper.root_path=/openmldb
sync_task.progress_path=$run/synctool/progress
sync_task.check_period=5
# read by OpenMLDB's synctool_helper.py tool-status; no effect (the original's unused Flink cache)
data.cache_path=
cluster.host=127.0.0.1
cluster.port=$st_cluster
management.port=$st_mgmt
EOF
cat >"$run/collector/conf/data_collector.flags" <<EOF
# quickstart data_collector (every flag, its default and unit: conf/data_collector.flags)
--endpoint=127.0.0.1:$col_port
--zk_cluster=127.0.0.1:$zk_port
--zk_root_path=/openmldb
--collector_datadir=$run/collector/data
--ssd_root_path=$run/tablet/ssd
--hdd_root_path=$run/tablet/hdd
--cluster_port=$col_cluster
--management_port=$col_mgmt
--cluster_seed_nodes=127.0.0.1:$st_cluster
EOF

# ---- processes --------------------------------------------------------------------------------------------
say "Starting the synctool: bin/synctool -c run/quickstart/synctool/conf start"
"$home/bin/synctool" -c "$run/synctool/conf" start
say "Starting the data_collector: bin/data_collector -c run/quickstart/collector/conf start"
"$home/bin/data_collector" -c "$run/collector/conf" start

helper() { "$home/bin/synctool-helper" -s "127.0.0.1:$st_port" "$@"; }

say "Creating a mode-2 sync task (full, then continuous): synctool-helper create -t $table -m 2 -d file://$out --format $format"
helper create -t "$table" -m 2 -d "file://$out" --format "$format" --roll-time 10 --roll-idle 2

# committed rows and subtask states, from the OpenMLDB JSON endpoint (count = rows committed per subtask).
# Never fails: no answer or no task (deleted from another terminal) leaves committed=0 and states empty.
progress() {
  local json
  json="$(curl -sf -m 5 -X POST -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:$st_port/openmldb.datasync.SyncTool/TaskStatus" || true)"
  committed="$({ grep -o '"count": *"\{0,1\}[0-9]*' <<<"$json" || true; } | { grep -o '[0-9]*$' || true; } \
    | awk '{s+=$1} END {print s+0}')"
  states="$({ grep -o '"status": *"[A-Z]*"' <<<"$json" || true; } | { grep -o '[A-Z]*' || true; } | sort | uniq -c \
    | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
  if [ "$format" = iceberg ]; then
    files="$(find "$out" -path '*/data/*' -name 'part-*' 2>/dev/null | wc -l)"
  else
    files="$(find "$out" -maxdepth 1 -name 'part-*' | wc -l)"
  fi
}
# one line of the keep-running loop; says once when the task is gone (deleted) and once when one is back
task_gone=0
keep_running_line() {
  progress
  if [ -z "$states" ]; then
    if [ "$task_gone" = 0 ]; then
      task_gone=1
      echo "  no sync task any more (deleted?). offsync keeps running; committed files stay in $out."
      echo "  create it again: bin/synctool-helper -s 127.0.0.1:$st_port create -t $table -m 2 -d file://$out"
    fi
    printf '  no sync task, %s files\n' "$files"
    return 0
  fi
  if [ "$task_gone" = 1 ]; then echo "  a sync task is back"; task_gone=0; fi
  printf '  committed %s rows, %s files, subtasks: %s\n' "$committed" "$files" "$states"
}
wait_rows() { # wait until $1 rows are committed, printing a progress line every 2 s
  local want="$1" start=$SECONDS last=-1
  while true; do
    progress
    if [ "$committed" != "$last" ] || [ $(((SECONDS - start) % 10)) -eq 0 ]; then
      printf '  [%3ds] committed %s / %s rows, %s files, subtasks: %s\n' $((SECONDS - start)) "$committed" "$want" \
        "$files" "${states:-none yet}"
      last="$committed"
    fi
    [ "$committed" -ge "$want" ] && return 0
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      echo "rows did not arrive within $timeout s; see the logs in $run/*/logs" >&2
      return 1
    fi
    sleep 2
  done
}

say "Live progress (rows committed into $out)"
wait_rows "$rows"
helper status -t "$table" | sed 's/^/  /'

say "Appending $append rows to the demo table's binlog (a tablet writing new rows)"
"$home/bin/demo-tablet" --root "$run/tablet/ssd" --tid 1 --rows "$append" --append --seed 7 | sed 's/^/  /'
total=$((rows + append))
wait_rows "$total"

say "The output: committed $format output in $out (bin/offsync-read file://$out)"
"$home/bin/offsync-read" "file://$out" -n 5
found="$("$home/bin/offsync-read" "file://$out" --count)"
if [ "$found" != "$total" ]; then
  echo "MISMATCH: $found rows in the output, $total rows written" >&2
  exit 1
fi
echo "OK: $found rows in the output = $total rows written (snapshot + binlog + appended)"

cat <<EOF

What is where (all under $run):
$(if [ "$format" = iceberg ]; then
  echo "  output        Iceberg table $out/demo_db/demo_table   (Hadoop catalog, warehouse file://$out)"
  echo "  read it       bin/offsync-read file://$out           (or Spark: spark.sql.catalog.offsync.type=hadoop, .warehouse=file://$out)"
else
  echo "  output        $out/part-<tid>-<pid>-<seq>.$format   (files in progress: out/_tmp/, never read them)"
  echo "  read it       bin/offsync-read file://$out           (or any Parquet/CSV reader: Spark, DuckDB, pandas)"
fi)
  progress      bin/synctool-helper -s 127.0.0.1:$st_port status --watch
  collector     curl http://127.0.0.1:$col_port/status
  synctool      curl http://127.0.0.1:$st_mgmt/ready ; curl http://127.0.0.1:$st_mgmt/cluster/members
  logs          run/quickstart/synctool/logs/synctool.log, run/quickstart/collector/logs/data_collector.log
  more rows     bin/demo-tablet --root $run/tablet/ssd --tid 1 --rows 1000 --append
EOF
finished=1
if [ "$duration" -lt 0 ]; then
  say "offsync keeps syncing (mode 2). Press Ctrl-C to stop everything."
  while true; do sleep 10; keep_running_line; done
elif [ "$duration" -gt 0 ]; then
  say "offsync keeps syncing for $duration s"
  end=$((SECONDS + duration))
  while [ $SECONDS -lt $end ]; do sleep 5; keep_running_line; done
fi
