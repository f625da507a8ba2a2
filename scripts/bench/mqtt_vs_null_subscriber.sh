#!/usr/bin/env bash
# MQTT ingest rate: Tidemark against a mosquitto_sub writing to /dev/null, both subscribed to the
# same local broker during the same burst of N QoS-1 line-protocol messages (3 samples each)
# from tools/fleet's load generator. The aim is that Tidemark is not the bottleneck: its rate at
# least 0.9 of the null subscriber's.
#
#   scripts/bench/mqtt_vs_null_subscriber.sh [MESSAGES] [WAL_SYNC]
# MESSAGES defaults to 200000; WAL_SYNC (interval | every_batch) to interval.
set -euo pipefail
cd "$(dirname "$0")/../.."
MESSAGES=${1:-200000}
WAL_SYNC=${2:-interval}

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIDEMARK_BUILD_TESTS=OFF \
  -DTIDEMARK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target tidemark tidemark-fleet >/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
WORK=$(mktemp -d /tmp/tidemark-mqtt-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

MQTT_PORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' \
  "$MQTT_PORT" >"$WORK/mosquitto.conf"
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" 2>"$WORK/mosquitto.log" &
pids+=($!)
for _ in $(seq 1 50); do mosquitto_pub -p "$MQTT_PORT" -t ping -m x 2>/dev/null && break; sleep 0.1; done

HTTP_PORT=$(free_port)
cat >"$WORK/tidemark.yaml" <<YAML
server: {listen: "127.0.0.1:$HTTP_PORT"}
storage: {data_dir: "$WORK/data", wal_sync: $WAL_SYNC}
ingest:
  mqtt:
    subscriptions:
      - {name: bench, broker: "mqtt://127.0.0.1:$MQTT_PORT", topic: "bench/#", qos: 1, precision: ms}
YAML
build/release/server/tidemark --config "$WORK/tidemark.yaml" 2>"$WORK/tidemark.log" &
pids+=($!)
metric() {
  curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null |
    awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $NF} END {print s + 0}'
}
for _ in $(seq 1 100); do [ "$(metric tidemark_mqtt_connected)" = 1 ] && break; sleep 0.1; done

mosquitto_sub -p "$MQTT_PORT" -q 1 -t 'bench/#' -C "$MESSAGES" -i null-subscriber >/dev/null &
null_pid=$!
sleep 0.5

start=$(now)
build/release/tools/fleet/tidemark-fleet --broker "mqtt://127.0.0.1:$MQTT_PORT" \
  --bench-messages "$MESSAGES" --qos 1 >"$WORK/fleet.log" &
pids+=($!)
null_end=""
tm_end=""
while [ -z "$null_end" ] || [ -z "$tm_end" ]; do
  if [ -z "$null_end" ] && ! kill -0 "$null_pid" 2>/dev/null; then null_end=$(now); fi
  if [ -z "$tm_end" ] && [ "$(metric tidemark_mqtt_messages_total)" -ge "$MESSAGES" ]; then
    tm_end=$(now)
  fi
  sleep 0.05
done
cat "$WORK/fleet.log"
samples=$(metric tidemark_mqtt_samples_total)
python3 - "$MESSAGES" "$start" "$null_end" "$tm_end" "$samples" "$WAL_SYNC" <<'PY'
import sys
n, start, null_end, tm_end, samples, sync = int(sys.argv[1]), *map(float, sys.argv[2:6]), sys.argv[6]
null_rate, tm_rate = n / (null_end - start), n / (tm_end - start)
print(f"messages={n} wal_sync={sync}")
print(f"mosquitto_sub >/dev/null: {null_rate:,.0f} msg/s")
print(f"tidemark:                 {tm_rate:,.0f} msg/s, {samples / (tm_end - start):,.0f} samples/s "
      f"({int(samples)} samples stored)")
print(f"ratio tidemark / null subscriber: {tm_rate / null_rate:.2f}")
PY
