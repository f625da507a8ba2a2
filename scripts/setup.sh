#!/usr/bin/env bash
# Installs Tidemark's build dependencies and the real peers its tests start (Debian bookworm).
# Idempotent: when every package is already installed it does nothing and touches no network.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libleveldb-dev libsnappy-dev libzstd-dev libre2-dev zlib1g-dev
  libmosquitto-dev librdkafka-dev
  nlohmann-json3-dev prometheus-cpp-dev libyaml-cpp-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
)
TEST_PEERS=(
  curl python3 mosquitto mosquitto-clients kcat prometheus prometheus-alertmanager
)

missing=()
for pkg in "${BUILD_PACKAGES[@]}" "${TEST_PEERS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start system-wide daemons; tests run their own on free ports instead.
for svc in mosquitto prometheus prometheus-alertmanager prometheus-node-exporter; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then $SUDO service "$svc" stop >/dev/null 2>&1 || true; fi
done
echo "setup: done" >&2
