#include "server/admin_api.h"

#include "storage/base/log.h"
#include "web/api_response.h"

namespace tidemark::server {

nlohmann::json TiersJson(const storage::StorageStats& s) {
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& t : s.tiers) {
    tiers.push_back({{"tier", t.name},
                     {"resolutionSeconds", t.resolution_ms / 1000},
                     {"retentionSeconds", t.retention_ms / 1000},
                     {"partitions", t.partitions},
                     {"series", t.series},
                     {"buckets", t.buckets},
                     {"bytes", t.bytes},
                     {"blockBytes", t.block_bytes},
                     {"blockBytes", t.block_bytes},
                     {"pendingBuckets", t.pending_buckets},
                     {"lagSeconds", static_cast<double>(t.lag_ms) / 1000},
                     {"bucketsBuilt", t.buckets_built},
                     {"compactions", t.compactions},
                     {"compactions", t.compactions},
                     {"partitionsDropped", t.partitions_dropped}});
  }
  nlohmann::json raw = {{"tier", "raw"},
                        {"partitions", s.partitions},
                        {"series", s.series},
                        {"sealedSamples", s.sealed_samples},
                        {"sealedBytes", s.sealed_bytes},
                        {"partitionsDropped", s.partitions_dropped}};
  return {{"raw", raw}, {"tiers", tiers}, {"rollupRounds", s.rollup_rounds}};
}

void RegisterAdminRoutes(web::Router& router, storage::Storage* storage, base::Clock* clock) {
  router.Add({web::Method::kPost, web::Method::kGet}, "/internal/force_flush", "force_flush",
             [storage, clock](const web::Request&) {
               // Samples that arrive later for the flushed range become out-of-order chunks and
               // are merged by compaction, so an early seal costs nothing in correctness.
               base::Status status = storage->Seal(clock->NowMillis() + 1);
               if (status.ok()) status = storage->BuildRollups();
               if (status.ok()) status = storage->Compact(/*final=*/true);
               if (!status.ok()) {
                 TM_LOG(kError) << "force_flush: " << status.ToString();
                 return web::ApiError("internal", status.message());
               }
               return web::Response::Empty(204);
             });
  router.Add(
      {web::Method::kGet}, "/api/v1/status/tiers", "status_tiers",
      [storage](const web::Request&) { return web::ApiSuccess(TiersJson(storage->Stats())); });
}

}  // namespace tidemark::server
