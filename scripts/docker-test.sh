#!/usr/bin/env bash
# Builds the container image with podman (no Docker engine is needed) and checks it: starts it on
# a free loopback port, waits for /-/healthy, reads /metrics and /api/v1/status/buildinfo, writes a
# sample and reads it back, runs the image's HEALTHCHECK, checks it runs as non-root, then stops
# it with SIGTERM and requires a clean exit.
# Run it whenever the Dockerfile or the build changes. Needs root (or rootless podman set up).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(podman buildah debootstrap uidmap slirp4netns fuse-overlayfs runc curl)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

PODMAN=(podman --runtime runc)
# No registry is reachable: build the Debian base image locally once.
if ! "${PODMAN[@]}" image exists localhost/debian:bookworm; then
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" >/dev/null
  tar -C "$rootfs" -c . | "${PODMAN[@]}" import - localhost/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  "${PODMAN[@]}" tag localhost/debian:bookworm docker.io/library/debian:bookworm
fi

IMAGE=localhost/tidemark:test
"${PODMAN[@]}" build --format docker --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 -t "$IMAGE" .

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NAME=tidemark-test-$$
"${PODMAN[@]}" run -d --name "$NAME" --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
  -p "127.0.0.1:$PORT:9201" "$IMAGE" >/dev/null
cleanup() { "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/-/healthy" >/dev/null 2>&1 && break
  sleep 0.2
done
fail() { echo "docker-test: FAIL: $*" >&2; "${PODMAN[@]}" logs "$NAME" >&2 || true; exit 1; }
curl -fsS "http://127.0.0.1:$PORT/-/healthy" | grep -q Healthy || fail "/-/healthy"
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -q '^process_resident_memory_bytes' || fail "/metrics"
curl -fsS "http://127.0.0.1:$PORT/api/v1/status/buildinfo" | grep -q '"status":"success"' || fail "buildinfo"
code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$PORT/write?precision=s" \
  --data-binary "docker_test,source=container value=42 $(date +%s)")
[ "$code" = "204" ] || fail "write answered $code"
curl -fsS "http://127.0.0.1:$PORT/api/v1/export?match[]=docker_test_value" | grep -q '"values":\[42' ||
  fail "written sample not read back"
"${PODMAN[@]}" healthcheck run "$NAME" >/dev/null || fail "HEALTHCHECK"
user=$("${PODMAN[@]}" exec "$NAME" id -u)
[ "$user" != "0" ] || fail "runs as root"

"${PODMAN[@]}" stop -t 20 "$NAME" >/dev/null
code=$("${PODMAN[@]}" inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$code" = "0" ] || fail "exit code $code after SIGTERM"
"${PODMAN[@]}" logs "$NAME" 2>&1 | grep -q 'stopped cleanly' || fail "no clean stop in logs"
echo "docker-test: ok (image $IMAGE, port $PORT, write+read, non-root uid $user, clean SIGTERM exit)"
