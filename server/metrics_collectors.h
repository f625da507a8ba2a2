// Prometheus collectors that read other modules' counters at scrape time, so storage and ingest
// stay free of any metrics library: storage statistics and dead-letter counts. The objects they
// read must outlive them. Thread-safe (the underlying Stats/Counts calls are).
#pragma once

#include <prometheus/collectable.h>

#include <memory>

#include "server/ingest/dead_letters.h"
#include "storage/storage.h"

namespace tidemark::server {

std::shared_ptr<prometheus::Collectable> MakeStorageCollector(const storage::Storage* storage);
std::shared_ptr<prometheus::Collectable> MakeDeadLetterCollector(
    const ingest::DeadLetters* dead_letters);

}  // namespace tidemark::server
