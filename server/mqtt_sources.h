// Builds the MQTT sources of a Config (one per ingest.mqtt subscription) and their metrics
// collector. Assembly only: the behaviour lives in ingest::MqttSource.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <vector>

#include "config/config.h"
#include "server/ingest/mqtt_source.h"

namespace tidemark::server {

// The decode limits every source applies, from ingest.limits and the HTTP line limit.
ingest::DecodeLimits DecodeLimitsOf(const config::Config& config);

// Fails, naming the subscription, on a broker URL, topic template or TLS file that cannot work.
base::Result<std::vector<std::unique_ptr<ingest::MqttSource>>> MakeMqttSources(
    const config::Config& config, ingest::IngestSink* sink, base::Clock* clock);

// tidemark_mqtt_* metrics per subscription. The sources must outlive the collector.
std::shared_ptr<prometheus::Collectable> MakeMqttCollector(
    std::vector<const ingest::MqttSource*> sources);

}  // namespace tidemark::server
