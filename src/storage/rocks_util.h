// Private to src/storage: what doc_store.cc and doc_store_snapshot.cc share about RocksDB.
#pragma once

#include <string_view>

#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include "lookalike/status.h"

namespace lookalike::storage {

/// The column-family options of every index space (documents, vectors, tombstones).
rocksdb::ColumnFamilyOptions SpaceOptions();

/// A RocksDB status as ours: NotFound, Corruption or IOError, the message prefixed by `what`.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace lookalike::storage
