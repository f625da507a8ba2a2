// Maps a configured payload (config::PayloadConfig: format, precision, metric, labels, JSON
// mapping) onto the decoders' ingest::PayloadSpec, shared by the MQTT and Kafka sources. Pure.
#pragma once

#include "config/config.h"
#include "server/ingest/payload.h"
#include "storage/base/status.h"

namespace tidemark::server {

// Fails only on values the config loader cannot check alone (none today besides precision).
base::Result<ingest::PayloadSpec> MakePayloadSpec(const config::PayloadConfig& config);

}  // namespace tidemark::server
