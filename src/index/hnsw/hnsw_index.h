// HNSW graph over compressed traversal codes with exact float32 rerank.
//
// Three pieces, kept apart (STYLE.md §4):
//   graph      level-0 links in one contiguous block of fixed-size slots [count | 2M ids], upper
//              levels in small per-node arrays [count | M ids] x level;
//   stores     traversal codes (quant::Quantizer code_size() bytes per node, in RAM) and float32
//              vectors (owned, or a private copy-on-write mmap of a snapshot's vector section);
//   distance   quant::Quantizer prepares the query once and ranks codes; the best
//              k * rerank_factor candidates are re-scored against float32 vectors.
//
// Node states: kLive, kDeleted (tombstone: still routes searches, never returned), kInserting
// (slot taken, not yet searchable, links still being written), kDeletedInserting (removed or
// replaced while still being inserted: a tombstone whose links are still being written; becomes
// kDeleted when its insert ends), kFree (links removed by Compact, slot reusable). Searches never
// start a level at a node whose links are still being written (FullyLinked).
// Compact() runs automatically once tombstones exceed 10% of the nodes: every live node's links to
// tombstones are replaced by the tombstones' own live neighbours (closest first), then tombstoned
// slots become free and are reused by later inserts, so recall holds after heavy delete/insert.
// When tombstones outnumber live nodes, Compact rebuilds the live nodes' links instead.
//
// Thread safety / invariants:
//   resize_mu_  shared by Search and inserts; exclusive while arrays grow, the quantizer is
//               retrained, or Compact rewrites links. Array *pointers* change only under it.
//               Taken through ReadLock()/WriteLock() so writers cannot starve.
//   update_mu_  shared by Add/AddBatch/Remove; exclusive in Save (a consistent snapshot while
//               searches continue).
//   label_mu_   guards label_to_node_, free_ and slot allocation.
//   entry_mu_   serialises inserts that raise the top level; entry_ is read atomically.
//   node locks  (striped) guard writes to one node's link lists. Readers do not lock: they read
//               counts with acquire and ids with relaxed atomics; every id ever written names a
//               node whose code was stored before it was linked.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/file_env.h"
#include "index/hnsw/search_context.h"
#include "index/quant/quantizer.h"
#include "lookalike/vector_index.h"
#include "simd/distance.h"

namespace lookalike::hnsw {

class HnswIndex final : public VectorIndex {
 public:
  static Result<std::unique_ptr<HnswIndex>> Create(size_t dim, Metric metric,
                                                   const HnswParams& params);
  /// Loads a snapshot written by Save (docs/formats/hnsw-index.md).
  static Result<std::unique_ptr<VectorIndex>> Load(const std::string& path,
                                                   const LoadOptions& options);
  ~HnswIndex() override;

  size_t dim() const override { return dim_; }
  Metric metric() const override { return metric_; }
  size_t size() const override { return live_.load(std::memory_order_relaxed); }

  Status Add(uint64_t label, const float* vec) override;
  Status AddBatch(size_t n, const uint64_t* labels, const float* vecs, int threads = 0) override;
  Status Remove(uint64_t label) override;
  bool Contains(uint64_t label) const override;
  Status Search(const float* query, const SearchParams& params,
                std::vector<SearchHit>* out) const override;
  Status GetVector(uint64_t label, std::vector<float>* out) const override;
  Status Save(const std::string& path) const override;
  /// Save through `env` (tests inject failures there); Save uses FileEnv::Default().
  Status SaveTo(FileEnv& env, const std::string& path) const;
  IndexStats Stats() const override;
  size_t MappedResidentBytes() const override;
  size_t MappedBytes() const override { return map_len_; }

  /// Unlinks tombstones and frees their slots (see the file comment). Safe to call any time.
  Status Compact();

  const HnswParams& params() const { return params_; }

 private:
  friend class HnswFile;
  friend class HnswIndexTestPeer;  // tests/unit/hnsw: puts a node in a mid-insert state
  enum State : uint8_t {
    kLive = 0,
    kDeleted = 1,
    kInserting = 2,
    kFree = 3,
    kDeletedInserting = 4  // never saved: only exists while an insert runs (Save excludes those)
  };
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr int kMaxLevel = 31;
  static constexpr size_t kLockStripes = 4096;

  HnswIndex(size_t dim, Metric metric, const HnswParams& params);

  // --- storage helpers (hnsw_index.cc) ---
  uint32_t* Links0(uint32_t node) const { return level0_ + size_t{node} * slot0_; }
  uint32_t* Links(uint32_t node, int level) const {
    return level == 0 ? Links0(node) : upper_[node].get() + size_t(level - 1) * slot_up_;
  }
  int Cap(int level) const { return level == 0 ? m0_ : params_.m; }
  const uint8_t* Code(uint32_t node) const {
    return codes_in_floats_ ? reinterpret_cast<const uint8_t*>(Vec(node))
                            : codes_.data() + size_t{node} * code_size_;
  }
  const float* Vec(uint32_t node) const {
    return node < mapped_count_ ? mapped_vecs_ + size_t{node} * dim_
                                : owned_vecs_.data() + size_t(node - mapped_count_) * dim_;
  }
  float* MutableVec(uint32_t node) {
    return node < mapped_count_ ? mapped_vecs_ + size_t{node} * dim_
                                : owned_vecs_.data() + size_t(node - mapped_count_) * dim_;
  }
  uint8_t StateOf(uint32_t node) const {
    return std::atomic_ref<uint8_t>(const_cast<uint8_t&>(states_[node]))
        .load(std::memory_order_acquire);
  }
  void SetState(uint32_t node, uint8_t s) {
    std::atomic_ref<uint8_t>(states_[node]).store(s, std::memory_order_release);
  }
  static bool FullyLinked(uint8_t state) {
    return state != kInserting && state != kDeletedInserting;
  }
  // Tombstones `node` (Remove, replace); needs label_mu_ exclusive.
  void MarkDeleted(uint32_t node);
  std::mutex& NodeLock(uint32_t node) const { return locks_[node % kLockStripes]; }
  float ExactDistance(const float* q, const float* x) const;
  void Normalize(const float* in, float* out) const;  // copy; unit length if the metric says
  void GrowLocked(size_t capacity);                    // needs resize_mu_ exclusive
  Status EnsureCapacity(size_t needed);
  uint32_t AllocateSlot(uint64_t label);
  void MaybeRetrain();
  Status MaybeCompact();
  void TrainFrom(const float* rows, size_t n);  // needs resize_mu_ exclusive (or no readers)
  std::shared_lock<std::shared_mutex> ReadLock() const {
    { std::lock_guard gate(gate_mu_); }
    return std::shared_lock(resize_mu_);
  }
  std::unique_lock<std::shared_mutex> WriteLock() const {
    std::lock_guard gate(gate_mu_);
    return std::unique_lock(resize_mu_);
  }
  SearchContext* AcquireContext() const;
  void ReleaseContext(SearchContext* ctx) const;
  size_t MemoryBytes() const;

  // --- graph (hnsw_graph.cc) ---
  void InsertNode(uint32_t node, SearchContext* ctx);  // needs resize_mu_ shared
  void RebuildLocked(SearchContext* ctx);               // needs resize_mu_ exclusive
  int RandomLevel(uint32_t node) const;
  // Greedy walk from `ep` down to `to_level`, never onto a node that is not FullyLinked.
  uint32_t GreedyDescend(SearchContext* ctx, uint32_t ep, int from_level, int to_level) const;
  uint32_t LowerLevelEntry(const std::vector<Cand>& sorted) const;
  // Beam search on one level from the entries in ctx->cand; fills ctx->top (max-heap, size <= ef)
  // with nodes that pass `admit` (tombstones route but are never admitted).
  template <typename Admit>
  void SearchLevel(SearchContext* ctx, uint32_t ep, int level, size_t ef, Admit admit) const;
  void SelectNeighbors(std::vector<Cand>* cands, int cap, std::vector<Cand>* out,
                       SearchContext* ctx) const;
  void Connect(uint32_t node, int level, const std::vector<Cand>& neighbors,
               SearchContext* ctx);
  void AddBackLink(uint32_t target, uint32_t node, float dist, int level, SearchContext* ctx);

  // --- search (hnsw_search.cc) ---
  // What one query asks of the graph: result count, beam width, rerank (0 = no float32 rerank:
  // code distances), the filter and the radius (+inf: plain top-k).
  struct GraphQuery {
    size_t k;
    size_t ef;
    float rerank;
    const LabelFilter* filter;
    float radius;
    double ef_scale;  // > 1: a filter passes few nodes, beams are widened by this factor
  };
  Status SearchGraph(SearchContext* ctx, const GraphQuery& q, std::vector<SearchHit>* out) const;
  // Radial search over the graph: SearchGraph with a growing k until the radius is exhausted.
  Status SearchRadius(SearchContext* ctx, GraphQuery q, std::vector<SearchHit>* out) const;
  Status SearchExact(SearchContext* ctx, size_t k, float radius,
                     const std::vector<uint64_t>& labels, std::vector<SearchHit>* out) const;

  // Configuration.
  size_t dim_;
  Metric metric_;
  HnswParams params_;
  int m0_;
  size_t slot0_, slot_up_;  // uint32 words per level-0 slot / per upper-level slot
  double level_mult_;
  const simd::KernelTable& k_;
  std::unique_ptr<quant::Quantizer> quant_;
  size_t code_size_;
  bool codes_in_floats_;  // float32 codes: traverse the float store directly

  // Storage (pointers change only under resize_mu_ exclusive).
  size_t capacity_ = 0;
  std::atomic<uint32_t> slots_{0};  // slots handed out so far (high-water mark)
  std::unique_ptr<uint32_t[]> level0_owner_;
  uint32_t* level0_ = nullptr;
  std::vector<std::unique_ptr<uint32_t[]>> upper_;
  std::vector<uint8_t> codes_;
  std::vector<uint8_t> levels_;
  std::vector<uint8_t> states_;
  std::vector<uint64_t> labels_;
  float* mapped_vecs_ = nullptr;  // private (copy-on-write) mapping of a snapshot's vectors
  size_t mapped_count_ = 0;
  void* map_addr_ = nullptr;
  size_t map_len_ = 0;
  std::vector<float> owned_vecs_;  // vectors of nodes >= mapped_count_

  std::unordered_map<uint64_t, uint32_t> label_to_node_;  // guarded by label_mu_
  std::vector<uint32_t> free_;                            // guarded by label_mu_

  std::atomic<uint64_t> entry_{~uint64_t{0}};  // (max_level << 32) | node, all ones when empty
  std::atomic<size_t> live_{0};
  std::atomic<size_t> tombstones_{0};
  size_t trained_count_ = 0;  // rows the quantizer was trained on (guarded by resize_mu_)
  std::atomic<size_t> next_retrain_{0};
  mutable std::atomic<uint64_t> level_draws_{0};

  mutable std::shared_mutex resize_mu_;
  // glibc's rwlock prefers readers, so under steady search load an exclusive request could wait
  // forever. Exclusive requests hold gate_mu_ while they wait; new shared requests pass the gate
  // first, so they queue behind a waiting writer while the current readers drain.
  mutable std::mutex gate_mu_;
  mutable std::shared_mutex update_mu_;
  mutable std::shared_mutex label_mu_;
  std::mutex entry_mu_;
  std::mutex compact_mu_;
  mutable std::unique_ptr<std::mutex[]> locks_;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<SearchContext>> pool_;
};

/// True when the first bytes of a file are the HNSW snapshot magic (8 bytes).
bool IsHnswIndexMagic(const void* data, size_t n);

}  // namespace lookalike::hnsw
