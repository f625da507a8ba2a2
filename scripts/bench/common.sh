# Shared by the benchmark scripts (sourced, from the repository root): installs VictoriaMetrics if
# missing, builds the Release server and the load client, makes the IoT fleet dataset, and small helpers.
# Reads DEVICES, HOURS and WORK; sets DATA to the dataset path.

bash scripts/setup.sh
if ! command -v victoria-metrics >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq victoria-metrics >/dev/null
  systemctl disable --now victoria-metrics >/dev/null 2>&1 || true
fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIDEMARK_BUILD_TESTS=OFF \
  -DTIDEMARK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target tidemark tidemark-load-lines >/dev/null

mkdir -p "$WORK"
DATA="$WORK/iot_fleet_${DEVICES}x${HOURS}h.lp"
# Samples end at generation time; regenerate well before the 30-day default retention bites.
if [ ! -f "$DATA" ] || [ -n "$(find "$DATA" -mtime +20)" ]; then
  echo "generating $DATA ..." >&2
  python3 scripts/bench/iot_fleet.py "$DATA" --devices "$DEVICES" --hours "$HOURS"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {
  for _ in $(seq 1 300); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
