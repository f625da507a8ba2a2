// One entry point for every payload format a message-oriented source (MQTT, Kafka) carries:
// the source's configured format and mapping, plus what the transport knows (labels and a
// metric name from the topic), turn a payload into samples and rejections. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/ingest/decode.h"
#include "server/ingest/json_mapping.h"
#include "server/ingest/line_protocol.h"

namespace tidemark::server::ingest {

enum class PayloadFormat { kInflux, kJson, kPlain, kPrometheus };

struct PayloadSpec {
  PayloadFormat format = PayloadFormat::kInflux;
  Precision precision = Precision::kNanoseconds;  // line protocol timestamps
  std::string metric;                             // for plain values and JSON's default name
  JsonMapping json;
  std::vector<storage::Label> labels;  // constant labels for every series
};

// What the transport adds to a payload: topic-segment labels and a metric name.
struct TransportContext {
  std::vector<storage::Label> labels;
  std::string metric;  // overrides spec.metric when set
};

// Decodes `payload` into `out`. Labels from the transport and the spec are added to every
// series; a label the payload itself carries (a line-protocol tag, say) keeps the payload's
// value. `resolver` may be null; it is only used when no labels are added (its keys are the
// payload's own text).
void DecodePayload(const PayloadSpec& spec, std::string_view payload,
                   const TransportContext& transport, int64_t now_ms, const DecodeLimits& limits,
                   DecodeOutput* out, SeriesResolver* resolver = nullptr);

}  // namespace tidemark::server::ingest
