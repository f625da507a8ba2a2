#!/usr/bin/env bash
# Ingest benchmark: loads the IoT fleet dataset (iot_fleet.py; 1,000 devices x 5 sensors every
# 10 s over 24 h = 43.2 M samples) over HTTP line protocol into Tidemark and into VictoriaMetrics
# (Debian's victoria-metrics) on loopback, one after the other in the same run, with the same
# client and concurrency (tools/load: a C++ keep-alive client, so the client is not what caps
# either server; its CPU use is printed). Prints samples/s, server CPU-seconds per million
# samples, peak RSS (after the load, and after the final flush) and on-disk bytes per sample for
# both, and Tidemark/VictoriaMetrics ratios.
#
# Env: DEVICES (1000), HOURS (24), WORKERS (4), LINES_PER_REQUEST (10000), BENCH_DIR (build/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."

DEVICES=${DEVICES:-1000}
HOURS=${HOURS:-24}
WORKERS=${WORKERS:-4}
LINES=${LINES_PER_REQUEST:-10000}
WORK=${BENCH_DIR:-build/bench}
source scripts/bench/common.sh
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# run NAME PID WRITE_URL DATA_DIR FLUSH_URL -> prints "name samples_per_s cpu_per_M rss bytes_per_sample"
measure() {
  local name=$1 pid=$2 url=$3 dir=$4 flush=$5
  local cpu0 cpu1 result lines seconds failures rss load_rss bytes
  cpu0=$(cpu_seconds "$pid")
  # RSS timeline (seconds since start, MiB) for finding where memory peaks.
  (while kill -0 "$pid" 2>/dev/null; do
    awk -v t="$SECONDS" '/VmRSS/ {printf "%d %.1f\n", t, $2 / 1024}' "/proc/$pid/status"
    sleep 1
  done) >"$WORK/$name.rss" 2>/dev/null &
  result=$(build/release/tools/load/tidemark-load-lines "$DATA" "$url" --lines "$LINES" \
    --workers "$WORKERS")
  cpu1=$(cpu_seconds "$pid")
  load_rss=$(peak_rss_mib "$pid")
  echo "$name: $result" >&2
  failures=$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"])')
  [ "$failures" = "0" ] || { echo "$name: write failures: $result" >&2; }
  lines=$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lines"])')
  seconds=$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  # Both servers flush buffered data to their on-disk format before size is measured.
  [ -n "$flush" ] && curl -fsS -XPOST "$flush" >/dev/null 2>&1 || true
  rss=$(peak_rss_mib "$pid")
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  bytes=$(du -sb "$dir" | cut -f1)
  python3 - "$name" "$lines" "$seconds" "$cpu0" "$cpu1" "$rss" "$bytes" "$load_rss" <<'PY'
import sys
name, lines, seconds, cpu0, cpu1, rss, disk, load_rss = sys.argv[1:]
samples = int(lines) * 5
print(f"{name} {samples / float(seconds):.0f} {(float(cpu1) - float(cpu0)) / (samples / 1e6):.3f} "
      f"{float(rss):.1f} {int(disk) / samples:.3f} {samples} {float(load_rss):.1f}")
PY
}

rm -rf "$WORK/vm-data" "$WORK/tidemark-data"
VM_PORT=$(free_port)
victoria-metrics -httpListenAddr="127.0.0.1:$VM_PORT" -storageDataPath="$WORK/vm-data" \
  -retentionPeriod=100y -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
VM_PID=$!
wait_http "http://127.0.0.1:$VM_PORT/health"
vm=$(measure victoriametrics "$VM_PID" "http://127.0.0.1:$VM_PORT/write" "$WORK/vm-data" \
  "http://127.0.0.1:$VM_PORT/internal/force_flush")

TM_PORT=$(free_port)
build/release/server/tidemark --listen "127.0.0.1:$TM_PORT" --data-dir "$WORK/tidemark-data" \
  --log-level warn >"$WORK/tidemark.log" 2>&1 &
TM_PID=$!
wait_http "http://127.0.0.1:$TM_PORT/-/ready"
tm=$(measure tidemark "$TM_PID" "http://127.0.0.1:$TM_PORT/write?db=bench" \
  "$WORK/tidemark-data" "http://127.0.0.1:$TM_PORT/internal/force_flush")

python3 - "$tm" "$vm" <<'PY'
import sys
rows = [r.split() for r in sys.argv[1:]]
print(f"{'server':16} {'samples/s':>12} {'cpu-s/M':>9} {'peak RSS MiB':>13} {'bytes/sample':>13}"
      f"  {'samples':>9} {'RSS@load':>9}")
for r in rows:
    print(f"{r[0]:16} {float(r[1]):12.0f} {float(r[2]):9.3f} {float(r[3]):13.1f} {float(r[4]):13.3f}"
          f"  {r[5]:>9} {float(r[6]):9.1f}")
tm, vm = rows
print(f"{'ratio tm/vm':16} {float(tm[1]) / float(vm[1]):12.2f} {float(tm[2]) / float(vm[2]):9.2f} "
      f"{float(tm[3]) / float(vm[3]):13.2f} {float(tm[4]) / float(vm[4]):13.2f}")
PY
