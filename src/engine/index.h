// One index: settings, mapping, the in-memory field structures, one vector index per vector
// field, and the write path onto the DocStore.
//
// Thread safety / invariants:
//   write_mu  serialises writers of this index (sequence numbers and document numbers are
//             assigned under it, in order; one RocksDB batch per write call); it also guards
//             free_docnums.
//   data_mu   guards mapping, slots, ids, live, fields and last_visible_seq: shared for
//             searches and reads, exclusive while a write is applied in memory.
//   Vector indices are internally thread-safe for Add/Remove/Search; Save runs only with
//   write_mu held and no insertion pending (NoPendingVectors()).
//   pending_mu_ (private) guards the count of vector work in flight for this index.
//   Lock order: write_mu, then data_mu. Never hold data_mu while waiting for the inserter.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/docnum_pool.h"
#include "engine/field_store.h"
#include "engine/index_metrics.h"
#include "engine/index_settings.h"
#include "engine/mapping.h"
#include "lookalike/vector_index.h"
#include "lookalike/write_ops.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// The slow-log thresholds as the search and write paths read them: without a lock. Each value
/// is an atomic of its own, so a request racing PUT _settings may see some old and some new
/// thresholds; it then logs by either, which is harmless. Written under the index's write_mu.
class LiveSlowLog {
 public:
  void Publish(const IndexSlowLogSettings& settings);
  IndexSlowLogSettings Load() const;
  /// Smallest enabled threshold (nanoseconds) of the search or the indexing log, -1 = off.
  int64_t SearchFloor() const { return search_floor_.load(std::memory_order_relaxed); }
  int64_t IndexingFloor() const { return indexing_floor_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> search_[4] = {-1, -1, -1, -1};
  std::atomic<int64_t> indexing_[4] = {-1, -1, -1, -1};
  std::atomic<int64_t> source_chars_{1000};
  std::atomic<int64_t> search_floor_{-1};
  std::atomic<int64_t> indexing_floor_{-1};
};

/// A vector field with its index.
struct VectorField {
  std::string field;
  std::string file_stem;  // snapshot file name without ".lkv" (see Index::vector_files)
  VectorSpec spec;
  std::unique_ptr<VectorIndex> index;
  /// A vector field below a nested object (FieldMapping::nested_path): its labels are
  /// NestedLabel(docnum, ordinal), and a queued remove of docnum removes all of the document's.
  bool nested = false;
  // Owned by the inserter thread: the seq_no up to which every write of this field has been
  // applied (-1 unknown), and how many vectors were applied since the last snapshot.
  int64_t applied_seq = -1;
  size_t unsaved = 0;
  // How the index came up at open, for _stats: loaded from its snapshot (no rebuild), and how
  // many adds/removes the catch-up from the document log replayed on top of it.
  bool loaded_from_snapshot = false;
  int64_t snapshot_seq_no = -1;
  std::atomic<int64_t> replayed_on_open{0};
};

/// The vector index labels and values of `field` in a prepared or stored document: one label
/// (the document number) for a plain vector field, NestedLabel(docnum, 0..n-1) over the
/// non-empty entries of a nested one. Values are appended row-major to *values.
void CollectFieldVectors(const VectorField& field, uint32_t docnum,
                         const std::vector<storage::StoredVector>& stored,
                         std::vector<uint64_t>* labels, std::vector<float>* values);

/// A document prepared for writing (parsed and validated, not yet applied).
struct PreparedDoc {
  std::string slim_source;                       // source without top-level vector fields
  std::vector<storage::StoredVector> vectors;    // every vector field value
  struct Value {
    const FieldMapping* field;
    std::string text;   // keyword/text/boolean
    double number = 0;  // numeric/date
  };
  std::vector<Value> values;
};

class Index {
 public:
  std::string name;
  std::string uuid;
  int64_t creation_date = 0;
  /// Replaced as a whole by PUT _settings while holding write_mu and data_mu exclusively:
  /// read it holding either.
  IndexSettings settings;
  LiveSlowLog slowlog;  // published from settings.slowlog (see LiveSlowLog)
  storage::IndexSpace* space = nullptr;
  std::string snapshot_dir;  // data_dir/vectors/<uuid>

  std::mutex write_mu;
  mutable std::shared_mutex data_mu;
  Mapping mapping;
  std::vector<DocSlot> slots;
  std::unordered_map<std::string, uint32_t> ids;
  Bitset live;
  std::map<std::string, std::unique_ptr<FieldIndex>> fields;
  std::map<std::string, std::unique_ptr<VectorField>> vectors;
  int64_t last_seq = -1;      // guarded by write_mu
  uint32_t next_doc = 0;      // guarded by write_mu
  // Numbers of deleted documents below next_doc, taken by new documents before next_doc is
  // (guarded by write_mu). deleted_docs counts them (docs.deleted in _stats and _cat).
  DocnumPool free_docnums;
  std::atomic<int64_t> deleted_docs{0};

  std::atomic<bool> dropped{false};
  // True while startup catch-up of the vector indices is incomplete: no snapshot may then
  // claim to cover the latest seq_no.
  std::atomic<bool> recovering{false};
  /// Search and write counters of this index (set before the index is published, then
  /// constant).
  std::shared_ptr<IndexMetrics> metrics;

  /// Metadata JSON stored in RocksDB: {"uuid","creation_date","settings":{...},"mappings":{...},
  /// "vector_files":{...}} (docs/formats/; the mapping in the JSON form of mapping_json.h).
  std::string MetaJson() const;
  /// Parses the stored metadata. Settings a newer version refused are accepted as stored.
  Status LoadMeta(element meta);
  /// Settings and mapping of a new index (PUT /{index}, auto-creation with an empty one).
  Status Define(const IndexDefinition& definition);
  /// The settings GET _settings shows: as given, plus the ones the node manages (index.uuid,
  /// index.creation_date, index.provided_name, index.version.created).
  SettingsMap DescribeSettings() const;

  /// Snapshot file stems recorded in the metadata, vector field → "v<N>". Snapshot names must
  /// not grow with the field name (file names are limited to 255 bytes), so each new vector
  /// field gets an ordinal. Fields of older data directories have no entry and keep their
  /// legacy name, the hex of the field name, unless that is too long to be a file name.
  std::map<std::string, std::string> vector_files;

  /// Creates missing VectorField entries for vector fields of the mapping (after a mapping
  /// change, or at load with `loading`). Needs data_mu exclusive. Sets *files_changed when a
  /// stem was added to vector_files (the metadata must then be stored again).
  Status SyncVectorFields(bool loading = false, bool* files_changed = nullptr);

  /// Parses a source document against the mapping, adding dynamic fields (takes data_mu
  /// exclusively only when the mapping changes; caller holds write_mu). `mapping_changed` is set
  /// when a dynamic field was added. `enforce_limits`: dynamic fields must respect
  /// settings.mapping_limits (writes); false when re-reading stored documents at load.
  /// `extra_vectors` (WriteOp::vectors) are added as if the source held them at top level.
  Status PrepareDocument(element source, PreparedDoc* out, bool* mapping_changed,
                         bool enforce_limits = true,
                         std::span<const FieldVector> extra_vectors = {});

  /// Applies a stored document to the in-memory structures. Needs data_mu exclusive.
  void ApplyDoc(uint32_t docnum, const std::string& id, int64_t version, int64_t seq_no,
                const PreparedDoc& doc);
  /// Marks a document deleted and releases its id; the caller hands the number to
  /// free_docnums. Needs data_mu exclusive.
  void ApplyDelete(uint32_t docnum);
  /// At load, after every stored document was applied: every number below next_doc without a
  /// live document becomes free, reusable once `token` expired (see DocnumPool). Sets
  /// deleted_docs. Needs write_mu (or exclusive ownership).
  void RebuildFreeDocnums(const DocnumPool::Token& token);

  /// Full _source: the slim source with top-level vectors re-inserted.
  static std::string RebuildSource(const std::string& slim,
                                   const std::vector<storage::StoredVector>& vectors);

  /// Path of the snapshot file of a vector field.
  std::string SnapshotPath(const VectorField& field) const;

  // Vector work queued or running for this index: one unit per queued task (the inserter
  // releases a coalesced batch's units at once) and one per recovery job in progress.
  // Thread-safe (pending_mu_); never wait holding data_mu.
  void AddPendingVectors(int64_t units);
  /// Releases `units` and wakes WaitNoPendingVectors.
  void DonePendingVectors(int64_t units);
  void WaitNoPendingVectors();
  bool NoPendingVectors() const;

 private:
  mutable std::mutex pending_mu_;
  std::condition_variable pending_cv_;  // signalled when pending_vectors_ drops
  int64_t pending_vectors_ = 0;         // guarded by pending_mu_
};

/// The single place that picks the vector index implementation for a field.
Result<std::unique_ptr<VectorIndex>> MakeVectorIndex(const VectorSpec& spec, int build_threads);
/// Loads a snapshot written by VectorIndex::Save (Unsupported when the build lacks loaders).
Result<std::unique_ptr<VectorIndex>> LoadVectorIndex(const std::string& path);

}  // namespace lookalike::engine
