// Administrative routes:
//   POST /internal/force_flush   seals everything in the head into partitions now and compacts,
//                                so on-disk size and cold reads can be measured without waiting
//                                for the background maintenance (the name VictoriaMetrics uses);
//                                also builds the rollup buckets of what it sealed.
//   GET  /api/v1/status/tiers    raw data and every downsampling tier: series, buckets, bytes,
//                                pending buckets and the lag of rollup building (TiersJson).
// Protected by the server's authentication like every non-probe route. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "storage/base/clock.h"
#include "storage/storage.h"
#include "web/router.h"

namespace tidemark::server {

// The status of the raw tier and the rollup tiers, as /api/v1/status/tiers returns it in data.
nlohmann::json TiersJson(const storage::StorageStats& stats);

void RegisterAdminRoutes(web::Router& router, storage::Storage* storage, base::Clock* clock);

}  // namespace tidemark::server
