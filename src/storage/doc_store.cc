// RocksDB-backed DocStore; see doc_store.h for the key layout and docs/formats/storage.md.
#include "storage/doc_store.h"

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include "common/coding.h"
#include "storage/rocks_util.h"

namespace lookalike::storage {
namespace {

constexpr std::string_view kMetaPrefix = "index/";
constexpr uint8_t kDocFormat = 1;
// Written to the default column family without WAL; see doc_store.h (Failures).
constexpr std::string_view kRecoveryMarker = "~recovery-marker";
constexpr std::chrono::milliseconds kMaxBackoff{10000};

// <tag><docnum big-endian>: a column family's documents iterate in docnum order.
std::string DocKey(char tag, uint32_t docnum) {
  std::string key(1, tag);
  PutBigEndian32(&key, docnum);
  return key;
}

// The caller has checked that the key is a 5-byte DocKey.
uint32_t DocnumOf(const rocksdb::Slice& key) {
  return DecodeBigEndian32(AsBytes(std::string_view(key.data(), key.size())), 1);
}

std::string EncodeDoc(const DocRecord& doc) {
  std::string out;
  out.reserve(1 + 8 + 8 + 4 + doc.id.size() + doc.source.size());
  out.push_back(static_cast<char>(kDocFormat));
  PutFixed<int64_t>(&out, doc.version);
  PutFixed<int64_t>(&out, doc.seq_no);
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(doc.id.size()));
  out.append(doc.id);
  out.append(doc.source);
  return out;
}

Status DecodeDoc(std::string_view in, DocRecord* doc) {
  uint32_t id_len = 0;
  if (in.empty() || static_cast<uint8_t>(in[0]) != kDocFormat) {
    return Status::Corruption("document record: unknown format");
  }
  in.remove_prefix(1);
  std::string_view id;
  if (!GetFixed(&in, &doc->version) || !GetFixed(&in, &doc->seq_no) || !GetFixed(&in, &id_len) ||
      !GetBytes(&in, id_len, &id)) {
    return Status::Corruption("document record: truncated");
  }
  doc->id.assign(id);
  doc->source.assign(in.data(), in.size());
  return Status::OK();
}

}  // namespace

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(std::string(what));
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  return Status::IOError(std::string(what) + ": " + s.ToString());
}

rocksdb::ColumnFamilyOptions SpaceOptions() {
  rocksdb::ColumnFamilyOptions cf;
  // Large values (sources) dominate; bigger write buffers mean fewer flushes during bulk loads.
  cf.write_buffer_size = 64 << 20;
  // Vector records (~5 KB of float32 for 1,280 dims) do not compress and would be rewritten by
  // every compaction: keep values >= 1 KB in blob files (integrated BlobDB), which compaction
  // only references, with garbage collection for overwritten/deleted documents.
  cf.compression = rocksdb::kNoCompression;
  cf.enable_blob_files = true;
  cf.min_blob_size = 1024;
  cf.blob_file_size = 256 << 20;
  cf.enable_blob_garbage_collection = true;
  return cf;
}

// RocksDB's diagnostic log goes to the server log instead of a LOG file in the data directory:
// on a full disk that file's writer fails, and RocksDB 7.8 aborts on the next line it appends
// to a writer that saw an error (WritableFileWriter's sync_without_flush_called_ assertion).
class SpdlogLogger : public rocksdb::Logger {
 public:
  SpdlogLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL: spdlog::debug("rocksdb: {}", line); break;
      case rocksdb::InfoLogLevel::INFO_LEVEL: spdlog::info("rocksdb: {}", line); break;
      case rocksdb::InfoLogLevel::WARN_LEVEL: spdlog::warn("rocksdb: {}", line); break;
      default: spdlog::error("rocksdb: {}", line); break;
    }
  }
};

// RocksDB calls these with its DB mutex held: record, log, never call back into the DB.
class DocStore::Listener : public rocksdb::EventListener {
 public:
  void Attach(DocStore* store) { store_.store(store); }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    bool stops_writes = error->severity() >= rocksdb::Status::Severity::kHardError;
    spdlog::error("storage: background error (reason {}, severity {}): {}{}",
                  static_cast<int>(reason), static_cast<int>(error->severity()),
                  error->ToString(), stops_writes ? "; read-only until it recovers" : "");
    DocStore* store = store_.load();
    if (stops_writes && store != nullptr) store->MarkFailed(error->ToString(), false);
  }
  // RocksDB's own recovery from ENOSPC (its SstFileManager) waits until a whole write buffer
  // (64 MiB) is free, which a small or nearly full disk may never offer, and keeps manual
  // Resume() answering Busy meanwhile. TryRecover drives recovery instead.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    if (auto_recovery != nullptr) *auto_recovery = false;
  }
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) {
      spdlog::info("storage: RocksDB recovered from: {}", info.old_bg_error.ToString());
    }
  }

 private:
  std::atomic<DocStore*> store_{nullptr};
};

std::string EncodeVectors(const std::vector<StoredVector>& vectors) {
  std::string out;
  size_t total = 2;
  for (const auto& v : vectors) total += 2 + v.field.size() + 4 + v.values.size() * 4;
  out.reserve(total);
  PutFixed<uint16_t>(&out, static_cast<uint16_t>(vectors.size()));
  for (const auto& v : vectors) {
    PutFixed<uint16_t>(&out, static_cast<uint16_t>(v.field.size()));
    out.append(v.field);
    PutFixed<uint32_t>(&out, static_cast<uint32_t>(v.values.size()));
    out.append(reinterpret_cast<const char*>(v.values.data()), v.values.size() * sizeof(float));
  }
  return out;
}

Status DecodeVectors(std::string_view in, std::vector<StoredVector>* out) {
  out->clear();
  uint16_t n = 0;
  if (!GetFixed(&in, &n)) return Status::Corruption("vector record: truncated");
  for (uint16_t i = 0; i < n; ++i) {
    uint16_t name_len = 0;
    uint32_t dim = 0;
    StoredVector v;
    std::string_view name, values;
    if (!GetFixed(&in, &name_len) || !GetBytes(&in, name_len, &name)) {
      return Status::Corruption("vector record: truncated name");
    }
    v.field.assign(name);
    if (!GetFixed(&in, &dim) || in.size() / sizeof(float) < dim ||
        !GetBytes(&in, size_t{dim} * sizeof(float), &values)) {
      return Status::Corruption("vector record: truncated values");
    }
    v.values.resize(dim);
    if (dim > 0) std::memcpy(v.values.data(), values.data(), values.size());
    out->push_back(std::move(v));
  }
  return Status::OK();
}

WriteBatch::WriteBatch(IndexSpace* space)
    : space_(space), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
WriteBatch::~WriteBatch() = default;

void WriteBatch::PutDoc(const DocRecord& doc, const std::string& encoded_vectors) {
  batch_->Put(space_->handle(), DocKey('d', doc.docnum), EncodeDoc(doc));
  if (encoded_vectors.empty()) {
    batch_->Delete(space_->handle(), DocKey('v', doc.docnum));
  } else {
    batch_->Put(space_->handle(), DocKey('v', doc.docnum), encoded_vectors);
  }
}

void WriteBatch::DeleteDoc(uint32_t docnum, int64_t seq_no) {
  batch_->Delete(space_->handle(), DocKey('d', docnum));
  batch_->Delete(space_->handle(), DocKey('v', docnum));
  std::string v;
  PutFixed<int64_t>(&v, seq_no);
  batch_->Put(space_->handle(), DocKey('t', docnum), v);
}

void WriteBatch::SetCounters(int64_t last_seq_no, uint32_t next_docnum) {
  std::string seq, doc;
  PutFixed<int64_t>(&seq, last_seq_no);
  PutFixed<uint32_t>(&doc, next_docnum);
  batch_->Put(space_->handle(), "mseq", seq);
  batch_->Put(space_->handle(), "mdoc", doc);
}

size_t WriteBatch::ByteSize() const { return batch_->GetDataSize(); }

Result<std::unique_ptr<DocStore>> DocStore::Open(const std::string& dir,
                                                 const DocStoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.max_total_wal_size = 512 << 20;
  // Nothing is written without WAL except the recovery marker: no memtable flush at close.
  db_options.avoid_flush_during_shutdown = true;
  // Recovery from background errors is TryRecover's (see Listener::OnErrorRecoveryBegin).
  db_options.max_bgerror_resume_count = 0;
  db_options.info_log = std::make_shared<SpdlogLogger>();
  auto listener = std::make_shared<DocStore::Listener>();
  db_options.listeners.push_back(listener);

  std::vector<std::string> cf_names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir, &cf_names);
  if (!s.ok()) cf_names = {rocksdb::kDefaultColumnFamilyName};  // a fresh directory
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : cf_names) {
    descriptors.emplace_back(name, name == rocksdb::kDefaultColumnFamilyName
                                       ? rocksdb::ColumnFamilyOptions()
                                       : SpaceOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "opening RocksDB in " + dir);

  std::unique_ptr<DocStore> store(new DocStore());
  store->db_.reset(raw);
  store->sync_ = options.sync;
  store->listener_ = listener;
  listener->Attach(store.get());
  // The default handle is owned by the DB; the others become spaces (orphans — a column family
  // whose metadata write never happened — are dropped).
  std::vector<std::string> live_uuids;
  {
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(std::string(kMetaPrefix)); it->Valid() && it->key().starts_with(
                                                 rocksdb::Slice(kMetaPrefix.data(), kMetaPrefix.size()));
         it->Next()) {
      std::string meta = it->value().ToString();
      size_t p = meta.find("\"uuid\":\"");
      if (p != std::string::npos) {
        size_t e = meta.find('"', p + 8);
        live_uuids.push_back(meta.substr(p + 8, e - p - 8));
      }
    }
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    if (cf_names[i] == rocksdb::kDefaultColumnFamilyName) {
      raw->DestroyColumnFamilyHandle(handles[i]);
      continue;
    }
    std::string uuid = cf_names[i].substr(2);
    if (std::find(live_uuids.begin(), live_uuids.end(), uuid) == live_uuids.end()) {
      (void)raw->DropColumnFamily(handles[i]);
      raw->DestroyColumnFamilyHandle(handles[i]);
      continue;
    }
    auto space = std::make_unique<IndexSpace>();
    space->uuid_ = uuid;
    space->cf_ = handles[i];
    store->spaces_.push_back(std::move(space));
  }
  store->WriteRecoveryMarker();
  return store;
}

DocStore::~DocStore() {
  if (!db_) return;
  listener_->Attach(nullptr);
  // A failed WAL must not be synced (see doc_store.h); what it holds up to the failure was
  // synced by the writes that were acknowledged.
  if (writable()) (void)db_->FlushWAL(true);
  for (auto& space : spaces_) db_->DestroyColumnFamilyHandle(space->cf_);
  spaces_.clear();
  (void)db_->Close();
}

std::vector<std::pair<std::string, std::string>> DocStore::ListIndexMeta() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::Slice prefix(kMetaPrefix.data(), kMetaPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().ToString().substr(kMetaPrefix.size()), it->value().ToString());
  }
  return out;
}

IndexSpace* DocStore::Space(const std::string& uuid) const {
  std::lock_guard<std::mutex> lock(spaces_mu_);
  for (const auto& s : spaces_) {
    if (s->uuid_ == uuid) return s.get();
  }
  return nullptr;
}

Result<IndexSpace*> DocStore::CreateIndex(const std::string& name, const std::string& uuid,
                                          const std::string& meta_json) {
  LOOKALIKE_ASSIGN_OR_RETURN(IndexSpace * space, CreateSpace(uuid));
  LOOKALIKE_RETURN_IF_ERROR(PutIndexMeta(name, meta_json));
  return space;
}

Status DocStore::PutIndexMeta(const std::string& name, const std::string& meta_json) {
  rocksdb::WriteBatch batch;
  batch.Put(std::string(kMetaPrefix) + name, meta_json);
  return WriteRocks(&batch, /*sync=*/true, "storing metadata");  // rare; always durable
}

Status DocStore::DropIndex(const std::string& name, const std::string& uuid) {
  rocksdb::WriteBatch meta;
  meta.Delete(std::string(kMetaPrefix) + name);
  LOOKALIKE_RETURN_IF_ERROR(WriteRocks(&meta, /*sync=*/true, "deleting metadata"));
  return DropSpace(uuid).WithContext("deleting index " + name);
}

Status DocStore::Write(WriteBatch* batch) {
  return WriteRocks(batch->batch_.get(), sync_, "writing documents");
}

Status DocStore::WriteRocks(rocksdb::WriteBatch* batch, bool sync, std::string_view what) {
  if (!writable()) return ReadOnlyError();
  std::shared_lock<std::shared_mutex> wal(wal_mu_);
  if (!writable()) return ReadOnlyError();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch);
  if (s.IsIOError()) MarkFailed(s.ToString(), /*from_write=*/true);
  return FromRocks(s, what);
}

Status DocStore::FlushSpace(IndexSpace* space) {
  if (!writable()) return ReadOnlyError();
  // Exclusive: a flush switches the WAL when the memtable is not empty, which must not meet a
  // write failing on it. The switch happens inside Flush(); the table file is written in the
  // background, waited for below without blocking writers.
  rocksdb::Status s;
  {
    std::unique_lock<std::shared_mutex> wal(wal_mu_);
    if (!writable()) return ReadOnlyError();
    rocksdb::FlushOptions fo;
    fo.wait = false;
    s = db_->Flush(fo, space->cf_);
    if (s.IsIOError()) MarkFailed(s.ToString(), /*from_write=*/true);
  }
  uint64_t immutable = 1;
  while (s.ok() && writable() &&
         db_->GetIntProperty(space->cf_, "rocksdb.num-immutable-mem-table", &immutable) &&
         immutable > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (s.ok() && !writable()) return ReadOnlyError();
  return FromRocks(s, "flushing the memtable");
}

Status DocStore::SyncWal() {
  if (!writable()) return ReadOnlyError();
  std::unique_lock<std::shared_mutex> wal(wal_mu_);
  if (!writable()) return ReadOnlyError();
  rocksdb::Status s = db_->FlushWAL(true);
  if (s.IsIOError()) MarkFailed(s.ToString(), /*from_write=*/true);
  return FromRocks(s, "syncing the WAL");
}

std::string DocStore::failure() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return failure_;
}

Status DocStore::ReadOnlyError() const {
  return Status::IOError("storage is read-only until it recovers from: " + failure());
}

uint64_t DocStore::CurrentWalNumber() const {
  std::unique_ptr<rocksdb::LogFile> wal;
  if (!db_->GetCurrentWalFile(&wal).ok() || !wal) return 0;
  return wal->LogNumber();
}

void DocStore::MarkFailed(const std::string& why, bool from_write) {
  // A failed write may have left a half-appended record in the current WAL (RocksDB names the
  // file: "... 000012.log: No space left on device"); that file is poisoned until recovery has
  // moved to a new one. Called from the listener with RocksDB's mutex held: no DB calls here
  // except from the write path, which does not hold it.
  uint64_t wal = from_write && why.find(".log") != std::string::npos ? CurrentWalNumber() : 0;
  std::lock_guard<std::mutex> lock(failure_mu_);
  if (wal != 0) poisoned_wal_ = wal;
  if (!failed_.exchange(true)) {
    failure_ = why;
    backoff_ = std::chrono::milliseconds(1000);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    spdlog::error("storage: read-only until it recovers: {}", why);
  }
}

void DocStore::WriteRecoveryMarker() {
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  (void)db_->Put(wo, std::string(kRecoveryMarker), "");
}

Status DocStore::TryRecover() {
  if (writable()) return Status::OK();
  {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (std::chrono::steady_clock::now() < next_attempt_) {
      return Status::IOError("storage is read-only until it recovers from: " + failure_);
    }
  }
  std::unique_lock<std::shared_mutex> wal(wal_mu_);
  rocksdb::Status s = db_->Resume();  // OK at once when RocksDB recovered by itself
  std::lock_guard<std::mutex> lock(failure_mu_);
  if (s.ok() && poisoned_wal_ != 0 && CurrentWalNumber() == poisoned_wal_) {
    s = rocksdb::Status::Incomplete("recovery did not move away from the failed WAL");
  }
  if (!s.ok()) {
    // Busy: a recovery is under way already; look again soon. Otherwise back off.
    backoff_ = s.IsBusy() ? std::chrono::milliseconds(1000) : std::min(kMaxBackoff, backoff_ * 2);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    if (!s.IsBusy()) {
      spdlog::warn("storage: recovery attempt failed ({}); next attempt in {} ms", s.ToString(),
                   backoff_.count());
    }
    return Status::IOError("storage recovery: " + s.ToString());
  }
  spdlog::info("storage: recovered from \"{}\"; writes are accepted again", failure_);
  failure_.clear();
  poisoned_wal_ = 0;
  WriteRecoveryMarker();
  failed_.store(false);
  return Status::OK();
}

Status DocStore::GetDoc(IndexSpace* space, uint32_t docnum, DocRecord* doc) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), space->cf_, DocKey('d', docnum), &value);
  LOOKALIKE_RETURN_IF_ERROR(FromRocks(s, "document"));
  doc->docnum = docnum;
  return DecodeDoc(value, doc);
}

Status DocStore::GetVectors(IndexSpace* space, uint32_t docnum,
                            std::vector<StoredVector>* out) const {
  out->clear();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), space->cf_, DocKey('v', docnum), &value);
  if (s.IsNotFound()) return Status::OK();
  LOOKALIKE_RETURN_IF_ERROR(FromRocks(s, "vectors"));
  return DecodeVectors(value, out);
}

Status DocStore::ScanDocs(IndexSpace* space, const std::function<Status(DocRecord&&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, space->cf_));
  for (it->Seek("d"); it->Valid() && it->key().size() == 5 && it->key()[0] == 'd'; it->Next()) {
    DocRecord doc;
    doc.docnum = DocnumOf(it->key());
    LOOKALIKE_RETURN_IF_ERROR(DecodeDoc(std::string_view(it->value().data(), it->value().size()),
                                        &doc));
    LOOKALIKE_RETURN_IF_ERROR(fn(std::move(doc)));
  }
  return FromRocks(it->status(), "scanning documents");
}

Status DocStore::ScanTombstones(IndexSpace* space,
                                const std::function<void(uint32_t, int64_t)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), space->cf_));
  for (it->Seek("t"); it->Valid() && it->key().size() == 5 && it->key()[0] == 't'; it->Next()) {
    std::string_view v(it->value().data(), it->value().size());
    int64_t seq = 0;
    if (!GetFixed(&v, &seq)) return Status::Corruption("tombstone: truncated");
    fn(DocnumOf(it->key()), seq);
  }
  return FromRocks(it->status(), "scanning tombstones");
}

Status DocStore::PruneTombstones(IndexSpace* space, int64_t up_to) {
  rocksdb::WriteBatch batch;
  LOOKALIKE_RETURN_IF_ERROR(ScanTombstones(space, [&](uint32_t docnum, int64_t seq) {
    if (seq <= up_to) batch.Delete(space->cf_, DocKey('t', docnum));
  }));
  if (batch.Count() == 0) return Status::OK();
  return WriteRocks(&batch, sync_, "pruning tombstones");
}

Status DocStore::GetCounters(IndexSpace* space, int64_t* last_seq_no,
                             uint32_t* next_docnum) const {
  *last_seq_no = -1;
  *next_docnum = 0;
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), space->cf_, "mseq", &v);
  if (s.ok()) {
    std::string_view in(v);
    if (!GetFixed(&in, last_seq_no)) return Status::Corruption("counter: truncated");
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading counters");
  }
  s = db_->Get(rocksdb::ReadOptions(), space->cf_, "mdoc", &v);
  if (s.ok()) {
    std::string_view in(v);
    if (!GetFixed(&in, next_docnum)) return Status::Corruption("counter: truncated");
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading counters");
  }
  return Status::OK();
}

int64_t DocStore::GetSnapshotSeq(IndexSpace* space, const std::string& field) const {
  std::string v;
  if (!db_->Get(rocksdb::ReadOptions(), space->cf_, "s" + field, &v).ok()) return -1;
  std::string_view in(v);
  int64_t seq = -1;
  if (!GetFixed(&in, &seq)) return -1;
  return seq;
}

Status DocStore::SetSnapshotSeq(IndexSpace* space, const std::string& field, int64_t seq_no) {
  std::string v;
  PutFixed<int64_t>(&v, seq_no);
  rocksdb::WriteBatch batch;
  batch.Put(space->cf_, "s" + field, v);
  return WriteRocks(&batch, /*sync=*/true, "storing snapshot seq");
}

int64_t DocStore::ApproximateSize(IndexSpace* space) const {
  uint64_t live = 0, blobs = 0, mem = 0;
  db_->GetIntProperty(space->cf_, "rocksdb.live-sst-files-size", &live);
  db_->GetIntProperty(space->cf_, "rocksdb.live-blob-file-size", &blobs);
  db_->GetIntProperty(space->cf_, "rocksdb.cur-size-all-mem-tables", &mem);
  return static_cast<int64_t>(live + blobs + mem);
}

}  // namespace lookalike::storage
