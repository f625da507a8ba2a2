// Maps the `ingest.kafka` configuration onto the Kafka source's options (payload specs, limits,
// back-pressure pause, librdkafka properties). Pure; thread-safe.
#pragma once

#include "config/config.h"
#include "server/ingest/kafka_options.h"
#include "storage/base/status.h"

namespace tidemark::server {

// True when Kafka ingest is configured (at least one broker).
bool KafkaEnabled(const config::Config& config);

// Fails on a topic whose payload settings cannot be mapped, naming the topic.
base::Result<ingest::KafkaSourceOptions> MakeKafkaSourceOptions(const config::Config& config);

}  // namespace tidemark::server
