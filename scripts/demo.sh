#!/usr/bin/env bash
# The demo in one command: builds Tidemark and the fleet simulator, starts a local mosquitto
# broker, Tidemark with config/demo.yaml, and the simulated building fleet publishing to the
# broker. Ctrl-C stops all three. Ports: MQTT_PORT (default 1883), TIDEMARK_LISTEN (default
# 127.0.0.1:9201); data in TIDEMARK_DATA_DIR (default ./demo-data).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTIDEMARK_BUILD_TESTS=OFF -DTIDEMARK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target tidemark tidemark-fleet

export MQTT_PORT=${MQTT_PORT:-1883}
export TIDEMARK_LISTEN=${TIDEMARK_LISTEN:-127.0.0.1:9201}
export TIDEMARK_DATA_DIR=${TIDEMARK_DATA_DIR:-./demo-data}
RUN_DIR=$(mktemp -d /tmp/tidemark-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

cat >"$RUN_DIR/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $RUN_DIR/
user root
max_queued_messages 0
log_dest file $RUN_DIR/mosquitto.log
CONF
/usr/sbin/mosquitto -c "$RUN_DIR/mosquitto.conf" &
pids+=($!)
for _ in $(seq 1 50); do
  mosquitto_pub -p "$MQTT_PORT" -t demo/ping -m x 2>/dev/null && break
  sleep 0.1
done

"$BUILD_DIR/server/tidemark" --config config/demo.yaml &
pids+=($!)
url="http://$TIDEMARK_LISTEN"
for _ in $(seq 1 100); do curl -fsS "$url/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done

"$BUILD_DIR/tools/fleet/tidemark-fleet" --broker "mqtt://127.0.0.1:$MQTT_PORT" --interval 5 &
pids+=($!)

cat <<TEXT

Tidemark demo running: mosquitto on 127.0.0.1:$MQTT_PORT, Tidemark on $url.
Series appear within seconds. Look at them:
  curl -s '$url/api/v1/label/__name__/values'
  curl -s '$url/api/v1/query?query=temperature_celsius'
  curl -s '$url/api/v1/query?query=sum%20by%20(site)%20(power_watts)'
  curl -s '$url/api/v1/query?query=count_over_time(motion_detected%5B3d%5D)'   # events days late
  curl -s '$url/metrics' | grep tidemark_mqtt_
Grafana: add a Prometheus data source with URL $url (README, "Grafana").
Ctrl-C stops the demo; its data stays in $TIDEMARK_DATA_DIR.
TEXT
wait "${pids[@]}"
