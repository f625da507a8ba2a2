#include "server/admin_api.h"

#include "storage/base/log.h"
#include "web/api_response.h"

namespace tidemark::server {

void RegisterAdminRoutes(web::Router& router, storage::Storage* storage, base::Clock* clock) {
  router.Add({web::Method::kPost, web::Method::kGet}, "/internal/force_flush", "force_flush",
             [storage, clock](const web::Request&) {
               // Samples that arrive later for the flushed range become out-of-order chunks and
               // are merged by compaction, so an early seal costs nothing in correctness.
               base::Status status = storage->Seal(clock->NowMillis() + 1);
               if (status.ok()) status = storage->Compact();
               if (!status.ok()) {
                 TM_LOG(kError) << "force_flush: " << status.ToString();
                 return web::ApiError("internal", status.message());
               }
               return web::Response::Empty(204);
             });
}

}  // namespace tidemark::server
