# Tidemark container: one process for MQTT/Kafka/HTTP ingest, storage, PromQL and alerting.
# Build:  podman build -t tidemark .      (or docker build)
# Run:    podman run -p 9201:9201 -v tidemark-data:/data tidemark
# Own config: mount it over /etc/tidemark/tidemark.yaml.

FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git \
      libboost1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev \
      libleveldb-dev libsnappy-dev libzstd-dev libre2-dev libmosquitto-dev librdkafka-dev \
      nlohmann-json3-dev prometheus-cpp-dev libyaml-cpp-dev libprotobuf-dev protobuf-compiler \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTIDEMARK_BUILD_TESTS=OFF -DTIDEMARK_BUILD_BENCHMARKS=OFF \
    && cmake --build /build --target tidemark \
    && strip /build/server/tidemark

FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libboost-program-options1.81.0 libboost-url1.81.0 libleveldb1d libsnappy1v5 libzstd1 \
      libre2-9 libmosquitto1 librdkafka1 libprometheus-cpp-core1.0 libyaml-cpp0.7 libprotobuf32 \
      curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tidemark \
    && mkdir -p /data /etc/tidemark && chown tidemark:tidemark /data
COPY --from=build /build/server/tidemark /usr/local/bin/tidemark
COPY config/tidemark.yaml /etc/tidemark/tidemark.yaml
USER tidemark
VOLUME /data
EXPOSE 9201
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
  CMD curl -fsS http://127.0.0.1:9201/-/healthy || exit 1
ENTRYPOINT ["/usr/local/bin/tidemark"]
CMD ["--config", "/etc/tidemark/tidemark.yaml", "--data-dir", "/data"]
