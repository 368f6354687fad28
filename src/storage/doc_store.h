// DocStore: the node's durable storage, one RocksDB database for all indices.
//
// RocksDB's write-ahead log is the durable log of the engine (there is no home-made WAL): every
// acknowledged write is one atomic RocksDB WriteBatch; with sync=true it is fsynced before the
// call returns (Elasticsearch translog durability "request"). Layout (docs/formats/storage.md):
//
//   default column family   "index/" + NAME   → index metadata JSON (uuid, settings, mappings)
//   column family "i_"+UUID (one per index; dropping it frees the disk)
//     'd' + be32(docnum)    → DocRecord: version, seq_no, _id, source without top-level vectors
//     'v' + be32(docnum)    → the document's vectors in binary (float32), see EncodeVectors
//     't' + be32(docnum)    → tombstone: seq_no of the delete (for vector-snapshot catch-up)
//     'm' "seq" / 'm' "doc" → last assigned seq_no / next document number
//     's' + FIELD           → seq_no covered by the vector snapshot of FIELD
//
// Failures (issue 7): a write that fails (ENOSPC while appending or syncing the WAL) or a
// background error RocksDB reports (flush, compaction, MANIFEST) makes the store read-only until
// it recovers: writes return IOError at once, without touching RocksDB, and WAL syncs and
// memtable flushes are skipped. RocksDB 7.8 aborts (an assertion in WritableFileWriter) when a
// WAL file that saw a failed append is appended to or synced again, so nothing may reach that
// file until recovery has switched to a new one (RocksDB's diagnostic LOG file had the same
// problem; that log goes to spdlog instead). TryRecover(), called periodically by the disk
// monitor, calls DB::Resume() with exponential backoff (1 s doubling to 10 s; RocksDB's own
// automatic recovery is switched off because it waits for a whole write buffer of free space)
// and re-opens the store for writes once RocksDB has recovered AND the WAL that failed is no
// longer the current one. A marker written without WAL keeps the default column family's
// memtable non-empty, so recovery always has a memtable to flush and therefore always switches
// to a new WAL.
//
// Thread safety: all methods are thread-safe (RocksDB is). Callers serialise the writes of one
// index themselves so counters stay monotonic. wal_mu_ is held shared by writes and exclusively
// by WAL syncs, memtable flushes and recovery, so a sync never races a failing append.
// failure_mu_ guards failure_, poisoned_wal_ and the backoff state.
#pragma once

#include <cstdint>
#include <functional>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace lookalike::storage {

/// One stored document (the 'd' record).
struct DocRecord {
  uint32_t docnum = 0;
  int64_t version = 0;
  int64_t seq_no = 0;
  std::string id;
  std::string source;  // JSON object text; top-level vector fields removed (they live in 'v')
};

/// One vector field of a document.
struct StoredVector {
  std::string field;
  std::vector<float> values;
};

/// Binary form of a document's vectors: u16 count, then per field u16 name length, name,
/// u32 dim, dim little-endian float32.
std::string EncodeVectors(const std::vector<StoredVector>& vectors);
Status DecodeVectors(std::string_view data, std::vector<StoredVector>* out);

/// The storage of one index (its column family).
class IndexSpace {
 public:
  const std::string& uuid() const { return uuid_; }
  rocksdb::ColumnFamilyHandle* handle() const { return cf_; }

 private:
  friend class DocStore;
  std::string uuid_;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
};

/// Writes to several keys of one index, applied atomically by DocStore::Write.
class WriteBatch {
 public:
  explicit WriteBatch(IndexSpace* space);
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  /// Stores (or replaces) a document and its vectors (empty vectors: the 'v' key is removed).
  void PutDoc(const DocRecord& doc, const std::string& encoded_vectors);
  /// Removes a document and records a tombstone with the delete's seq_no.
  void DeleteDoc(uint32_t docnum, int64_t seq_no);
  /// Records the counters after this batch (written with every batch).
  void SetCounters(int64_t last_seq_no, uint32_t next_docnum);
  size_t ByteSize() const;

 private:
  friend class DocStore;
  IndexSpace* space_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

struct DocStoreOptions {
  bool sync = true;  // fsync the WAL on every Write (durability "request")
};

class DocStore {
 public:
  static Result<std::unique_ptr<DocStore>> Open(const std::string& dir,
                                                const DocStoreOptions& options);
  ~DocStore();

  /// Every index's (name, metadata JSON), sorted by name. Opens their spaces (see Space()).
  std::vector<std::pair<std::string, std::string>> ListIndexMeta() const;
  /// The space of an existing index by uuid, or nullptr.
  IndexSpace* Space(const std::string& uuid) const;

  /// Creates the column family of a new index and stores its metadata.
  Result<IndexSpace*> CreateIndex(const std::string& name, const std::string& uuid,
                                  const std::string& meta_json);
  Status PutIndexMeta(const std::string& name, const std::string& meta_json);
  /// Removes the metadata and drops the column family (its files are deleted).
  Status DropIndex(const std::string& name, const std::string& uuid);

  Status Write(WriteBatch* batch);
  /// Syncs the WAL (used by the async durability ticker and by flush).
  Status SyncWal();
  /// Writes a space's memtable to table/blob files (so restart replays less WAL).
  Status FlushSpace(IndexSpace* space);

  /// NotFound when absent.
  Status GetDoc(IndexSpace* space, uint32_t docnum, DocRecord* doc) const;
  /// Empty vector list when the document has none.
  Status GetVectors(IndexSpace* space, uint32_t docnum, std::vector<StoredVector>* out) const;
  /// Calls fn for every document in docnum order; stops at the first non-OK status.
  Status ScanDocs(IndexSpace* space, const std::function<Status(DocRecord&&)>& fn) const;
  /// Calls fn(docnum, seq_no) for every tombstone.
  Status ScanTombstones(IndexSpace* space,
                        const std::function<void(uint32_t, int64_t)>& fn) const;
  /// Removes tombstones with seq_no <= up_to (after a snapshot covers them).
  Status PruneTombstones(IndexSpace* space, int64_t up_to);
  /// Counters of the space (0 / 0 for a fresh one).
  Status GetCounters(IndexSpace* space, int64_t* last_seq_no, uint32_t* next_docnum) const;

  /// Snapshot bookkeeping: the seq_no the vector snapshot of `field` covers (-1 if none).
  int64_t GetSnapshotSeq(IndexSpace* space, const std::string& field) const;
  Status SetSnapshotSeq(IndexSpace* space, const std::string& field, int64_t seq_no);

  // Snapshot and restore (doc_store_snapshot.cc).

  /// Calls fn for every record of the space (key order) as of this call: the iterator is
  /// created here, so it sees exactly the writes completed before. The reader pins that view
  /// until it is destroyed; it must not outlive the store.
  class RecordReader {
   public:
    virtual ~RecordReader() = default;
    virtual Status ForEach(
        const std::function<Status(std::string_view key, std::string_view value)>& fn) = 0;
  };
  std::unique_ptr<RecordReader> NewRecordReader(IndexSpace* space) const;
  /// A column family for a restored index, without metadata: until PutIndexMeta names it, it is
  /// an orphan (dropped by the next Open, or by DropSpace).
  Result<IndexSpace*> CreateSpace(const std::string& uuid);
  /// Raw records into a space (restore), without WAL sync; SyncSpace makes them durable.
  Status PutRecords(IndexSpace* space,
                    const std::vector<std::pair<std::string, std::string>>& records);
  /// Flushes the space's memtable and syncs the WAL.
  Status SyncSpace(IndexSpace* space);
  /// Drops the space of `uuid` (its metadata already gone: a deleted index or a failed
  /// restore); OK when there is none.
  Status DropSpace(const std::string& uuid);

  /// Approximate bytes on disk of a space.
  int64_t ApproximateSize(IndexSpace* space) const;

  /// What the metrics report about RocksDB, summed over every column family. Cheap (in-memory
  /// properties of the DB, no I/O); fields RocksDB cannot tell stay 0.
  struct Stats {
    uint64_t wal_syncs = 0;                  // synced writes and WAL syncs since open
    uint64_t pending_compaction_bytes = 0;   // rocksdb.estimate-pending-compaction-bytes
    uint64_t running_compactions = 0;        // rocksdb.num-running-compactions
    uint64_t live_sst_bytes = 0;             // rocksdb.live-sst-files-size
    uint64_t total_sst_bytes = 0;            // rocksdb.total-sst-files-size (obsolete included)
    uint64_t memtable_bytes = 0;             // rocksdb.cur-size-all-mem-tables
  };
  Stats GetStats() const;

  /// False while the store is read-only after a write or background failure (see the top).
  bool writable() const { return !failed_.load(std::memory_order_relaxed); }
  /// Why the store is read-only ("" when writable), e.g. "IO error: No space left on device...".
  std::string failure() const;
  /// If read-only and the backoff allows an attempt now: DB::Resume(), then re-opens for writes
  /// when the failed WAL is gone. OK when writable afterwards; the last error otherwise.
  /// Called by the disk monitor thread about once a second.
  Status TryRecover();

 private:
  class Listener;
  DocStore() = default;
  /// One RocksDB write (all writes go through here: documents, metadata, bookkeeping).
  Status WriteRocks(rocksdb::WriteBatch* batch, bool sync, std::string_view what);
  void MarkFailed(const std::string& why, bool from_write);
  Status ReadOnlyError() const;
  uint64_t CurrentWalNumber() const;
  /// Keeps the default column family's memtable non-empty without touching the WAL.
  void WriteRecoveryMarker();

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::unique_ptr<IndexSpace>> spaces_;  // guarded by spaces_mu_
  mutable std::mutex spaces_mu_;
  bool sync_ = true;
  std::atomic<uint64_t> wal_syncs_{0};  // synced writes + SyncWal calls that succeeded

  std::shared_ptr<Listener> listener_;
  std::shared_mutex wal_mu_;
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mu_;
  std::string failure_;               // guarded by failure_mu_
  uint64_t poisoned_wal_ = 0;         // WAL number that saw a failed write, 0 = none
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace lookalike::storage
