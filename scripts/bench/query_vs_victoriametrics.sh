#!/usr/bin/env bash
# Query benchmark: loads the IoT fleet dataset (as ingest_vs_victoriametrics.sh does) into
# Tidemark and VictoriaMetrics on loopback, flushes both, then runs the fleet dashboard queries
# (query_latency.py) against each in the same run and prints median and p90 latencies with the
# Tidemark/VictoriaMetrics ratio of medians: once as a dashboard sees them (both result caches
# on), once with nocache=1 on every request (both result caches off: engine and read path only).
#
# Env: DEVICES (1000), HOURS (24), RUNS (15), BENCH_DIR (build/bench), VM_FLAGS (extra flags for
# VictoriaMetrics, e.g. -search.disableCache), TM_FLAGS (extra flags for Tidemark, e.g.
# --no-query-cache), KEEP_DATA (1: reuse the stores a previous run with KEEP_DATA=1 loaded into
# BENCH_DIR instead of deleting and reloading them; for repeated runs while tuning the query path;
# the stores must come from a compatible build).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICES=${DEVICES:-1000}
HOURS=${HOURS:-24}
RUNS=${RUNS:-15}
WORK=${BENCH_DIR:-build/bench}
source scripts/bench/common.sh
# The dataset's last timestamp, in seconds.
END=$(tail -n 1 "$DATA" | awk '{print int($NF / 1000000000)}')


LOADED="$WORK/tmq-data/.loaded-by-query-bench"
if [ "${KEEP_DATA:-0}" != 1 ] || [ ! -f "$LOADED" ]; then
  rm -rf "$WORK/vmq-data" "$WORK/tmq-data"
  LOAD=1
else
  LOAD=0
fi
VM_PORT=$(free_port)
victoria-metrics -httpListenAddr="127.0.0.1:$VM_PORT" -storageDataPath="$WORK/vmq-data" \
  -retentionPeriod=100y -loggerLevel=ERROR -search.latencyOffset=0s ${VM_FLAGS:-} \
  >"$WORK/vmq.log" 2>&1 &
VM_PID=$!
TM_PORT=$(free_port)
build/release/server/tidemark --listen "127.0.0.1:$TM_PORT" --data-dir "$WORK/tmq-data" \
  --log-level warn ${TM_FLAGS:-} >"$WORK/tmq.log" 2>&1 &
TM_PID=$!
trap 'kill $VM_PID $TM_PID 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$VM_PORT/health"
wait_http "http://127.0.0.1:$TM_PORT/-/ready"

if [ "$LOAD" = 1 ]; then
  python3 scripts/bench/load_lines.py "$DATA" "http://127.0.0.1:$VM_PORT/write" >/dev/null
  python3 scripts/bench/load_lines.py "$DATA" "http://127.0.0.1:$TM_PORT/write" >/dev/null
fi
curl -fsS -XPOST "http://127.0.0.1:$VM_PORT/internal/force_flush" >/dev/null
curl -fsS -XPOST "http://127.0.0.1:$TM_PORT/internal/force_flush" >/dev/null
sleep 2  # VictoriaMetrics makes flushed data searchable asynchronously
if [ "$LOAD" = 1 ] && [ "${KEEP_DATA:-0}" = 1 ]; then touch "$LOADED"; fi

report() {  # $1: title, $2: Tidemark JSON, $3: VictoriaMetrics JSON
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
title, tm, vm = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(title)
print(f"{'query':28} {'tidemark ms':>12} {'p90':>8} {'victoria ms':>12} {'p90':>8} {'ratio':>6}  points tm/vm")
for name in tm:
    t, v = tm[name], vm[name]
    print(f"{name:28} {t['median_ms']:12.2f} {t['p90_ms']:8.2f} {v['median_ms']:12.2f} "
          f"{v['p90_ms']:8.2f} {t['median_ms'] / v['median_ms']:6.2f}  {t['points']}/{v['points']}")
PY
}
for mode in "" --nocache; do
  vm=$(python3 scripts/bench/query_latency.py "http://127.0.0.1:$VM_PORT" "$END" --runs "$RUNS" $mode)
  tm=$(python3 scripts/bench/query_latency.py "http://127.0.0.1:$TM_PORT" "$END" --runs "$RUNS" $mode)
  if [ -z "$mode" ]; then
    report "as a dashboard sends them (VM_FLAGS='${VM_FLAGS:-}' TM_FLAGS='${TM_FLAGS:-}')" "$tm" "$vm"
  else
    echo
    report "nocache=1 on every request (result caches off)" "$tm" "$vm"
  fi
done
