// Administrative routes:
//   POST /internal/force_flush   seals everything in the head into partitions now and compacts,
//                                so on-disk size and cold reads can be measured without waiting
//                                for the background maintenance (the name VictoriaMetrics uses).
// Protected by the server's authentication like every non-probe route. Thread-safe.
#pragma once

#include "storage/base/clock.h"
#include "storage/storage.h"
#include "web/router.h"

namespace tidemark::server {

void RegisterAdminRoutes(web::Router& router, storage::Storage* storage, base::Clock* clock);

}  // namespace tidemark::server
