// DocStore's part in snapshot and restore (issue 13): reading a space's records through one
// implicit RocksDB snapshot, and filling a fresh space that becomes an index only when its
// metadata is written.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "storage/doc_store.h"
#include "storage/rocks_util.h"

namespace lookalike::storage {

namespace {

class IteratorReader final : public DocStore::RecordReader {
 public:
  explicit IteratorReader(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}
  Status ForEach(const std::function<Status(std::string_view, std::string_view)>& fn) override {
    for (it_->SeekToFirst(); it_->Valid(); it_->Next()) {
      LOOKALIKE_RETURN_IF_ERROR(fn(std::string_view(it_->key().data(), it_->key().size()),
                                   std::string_view(it_->value().data(), it_->value().size())));
    }
    return FromRocks(it_->status(), "reading the index's records");
  }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;  // an iterator is its own consistent snapshot
};

}  // namespace

std::unique_ptr<DocStore::RecordReader> DocStore::NewRecordReader(IndexSpace* space) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  return std::make_unique<IteratorReader>(
      std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, space->cf_)));
}

Result<IndexSpace*> DocStore::CreateSpace(const std::string& uuid) {
  if (!writable()) return ReadOnlyError();
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  rocksdb::Status s = db_->CreateColumnFamily(SpaceOptions(), "i_" + uuid, &cf);
  if (!s.ok()) return FromRocks(s, "creating the column family i_" + uuid);
  auto space = std::make_unique<IndexSpace>();
  space->uuid_ = uuid;
  space->cf_ = cf;
  IndexSpace* out = space.get();
  std::lock_guard<std::mutex> lock(spaces_mu_);
  spaces_.push_back(std::move(space));
  return out;
}

Status DocStore::PutRecords(IndexSpace* space,
                            const std::vector<std::pair<std::string, std::string>>& records) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : records) batch.Put(space->cf_, key, value);
  return WriteRocks(&batch, /*sync=*/false, "writing restored records");
}

Status DocStore::SyncSpace(IndexSpace* space) {
  LOOKALIKE_RETURN_IF_ERROR(FlushSpace(space));
  return SyncWal();
}

Status DocStore::DropSpace(const std::string& uuid) {
  std::unique_ptr<IndexSpace> space;
  {
    std::lock_guard<std::mutex> lock(spaces_mu_);
    for (auto it = spaces_.begin(); it != spaces_.end(); ++it) {
      if ((*it)->uuid_ == uuid) {
        space = std::move(*it);
        spaces_.erase(it);
        break;
      }
    }
  }
  if (!space) return Status::OK();
  rocksdb::Status s = db_->DropColumnFamily(space->cf_);
  db_->DestroyColumnFamilyHandle(space->cf_);
  return FromRocks(s, "dropping the column family " + uuid);
}

}  // namespace lookalike::storage
