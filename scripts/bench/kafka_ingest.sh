#!/usr/bin/env bash
# Kafka ingest benchmark: loads the IoT fleet dataset (iot_fleet.py, 5 samples per line) into a
# topic of librdkafka's mock cluster (a real Kafka protocol server, in memory) as records of
# LINES_PER_RECORD lines, keyed by series into PARTITIONS partitions, then starts a Release
# Tidemark consuming the topic and measures samples/s from its first stored sample until
# tidemark_kafka_samples_total reaches the dataset's count. In the same run, kcat reads the same
# topic to /dev/null as the peer (the rate of a bare librdkafka consumer that decodes nothing).
#
# The mock cluster keeps ~5 MB per partition (it trims older data silently), so the records are
# compressed (zstd) and the partitions many enough to hold the whole topic; the script checks that
# the topic still holds every record before it measures.
#
# Env: DEVICES (1000), HOURS (3), LINES_PER_RECORD (1000), PARTITIONS (16), BENCH_DIR (build/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."

DEVICES=${DEVICES:-1000}
HOURS=${HOURS:-3}
LINES_PER_RECORD=${LINES_PER_RECORD:-1000}
PARTITIONS=${PARTITIONS:-16}
WORK=${BENCH_DIR:-build/bench}
source scripts/bench/common.sh
cmake --build build/release --target kafka_mock_cluster kafka_produce >/dev/null

TOPIC=fleet
RUN="$WORK/kafka"
rm -rf "$RUN" && mkdir -p "$RUN"
pids=()
# Newest first: Tidemark commits and leaves the group while the cluster is still up.
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    while kill -0 "${pids[i]}" 2>/dev/null; do sleep 0.1; done
  done
}
trap cleanup EXIT

build/release/tests/kafka_mock_cluster "$TOPIC:$PARTITIONS" >"$RUN/cluster.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^bootstrap=' "$RUN/cluster.log" && break; sleep 0.1; done
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$RUN/cluster.log")
[ -n "$BOOTSTRAP" ] || { echo "mock cluster did not start" >&2; exit 1; }

echo "producing $DATA to $TOPIC ($PARTITIONS partitions, $LINES_PER_RECORD lines per record) ..." >&2
produced=$(build/release/tests/kafka_produce "$BOOTSTRAP" "$TOPIC" "$DATA" "$LINES_PER_RECORD" \
  "$PARTITIONS" compression.codec=zstd batch.size=1000000)
echo "$produced" >&2
RECORDS=$(echo "$produced" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
LINES=$(echo "$produced" | sed -n 's/.*lines=\([0-9]*\).*/\1/p')
SAMPLES=$((LINES * 5))

# The peer, and the check that the mock cluster kept every record: kcat reads the whole topic.
kcat_start=$(date +%s.%N)
kept=$(kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -e -q -f '%o\n' | wc -l)
kcat_end=$(date +%s.%N)
if [ "$kept" != "$RECORDS" ]; then
  echo "the mock cluster kept $kept of $RECORDS records: raise PARTITIONS or lower HOURS" >&2
  exit 1
fi

PORT=$(free_port)
cat >"$RUN/tidemark.yaml" <<EOF
server:
  listen: "127.0.0.1:$PORT"
storage:
  data_dir: $RUN/data
ingest:
  kafka:
    brokers: ["$BOOTSTRAP"]
    group_id: bench
    topics:
      - {name: $TOPIC, format: influx}
    properties:
      statistics.interval.ms: "1000"
EOF
samples_stored() {
  curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
    sed -n "s/^tidemark_kafka_samples_total{topic=\"$TOPIC\"} //p" | head -1
}
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

build/release/server/tidemark --config "$RUN/tidemark.yaml" --log-level warn >"$RUN/tidemark.log" 2>&1 &
TM_PID=$!
pids+=($TM_PID)
wait_http "http://127.0.0.1:$PORT/-/ready"
launched=$(date +%s.%N)
first=""
while :; do
  stored=$(samples_stored)
  stored=${stored:-0}
  now=$(date +%s.%N)
  if [ -z "$first" ] && [ "${stored%.*}" -gt 0 ]; then first=$now; cpu0=$(cpu_seconds "$TM_PID"); fi
  [ "${stored%.*}" -ge "$SAMPLES" ] && break
  if python3 -c "import sys; sys.exit(0 if $now - $launched > 600 else 1)"; then
    echo "timed out with $stored of $SAMPLES samples stored" >&2
    exit 1
  fi
  sleep 0.05
done
done_at=$now
cpu1=$(cpu_seconds "$TM_PID")
rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$TM_PID/status")

python3 - "$SAMPLES" "$RECORDS" "$launched" "$first" "$done_at" "$cpu0" "$cpu1" "$rss" \
  "$kcat_start" "$kcat_end" <<'PY'
import sys
samples, records = int(sys.argv[1]), int(sys.argv[2])
launched, first, done, cpu0, cpu1, rss, k0, k1 = map(float, sys.argv[3:])
seconds = done - first
kcat = k1 - k0
print(f"tidemark: {samples} samples in {records} records, {seconds:.2f} s from first stored sample "
      f"-> {samples / seconds:,.0f} samples/s ({records / seconds:,.0f} records/s); "
      f"{done - launched:.2f} s including the group join; "
      f"{(cpu1 - cpu0) / (samples / 1e6):.3f} CPU-s per M samples; peak RSS {rss:.0f} MiB")
print(f"kcat (consume only, to /dev/null): {kcat:.2f} s -> {records / kcat:,.0f} records/s "
      f"= {samples / kcat:,.0f} samples/s equivalent")
print(f"ratio tidemark/kcat: {(samples / seconds) / (samples / kcat):.2f}")
PY
