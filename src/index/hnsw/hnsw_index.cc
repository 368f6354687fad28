// HnswIndex: creation, storage growth, quantizer training, Add/Remove bookkeeping, Compact, stats.
// The graph algorithms live in hnsw_graph.cc, queries in hnsw_search.cc, files in hnsw_io.cc.
#include "index/hnsw/hnsw_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "common/residency.h"
#include "index/metric.h"

namespace lookalike::hnsw {
namespace {
// Quantizer training: retrain on 2x growth until this many rows have been seen.
constexpr size_t kTrainSample = 20000;
}  // namespace

HnswIndex::HnswIndex(size_t dim, Metric metric, const HnswParams& params)
    : dim_(dim),
      metric_(metric),
      params_(params),
      m0_(2 * params.m),
      slot0_(1 + 2 * size_t(params.m)),
      slot_up_(1 + size_t(params.m)),
      level_mult_(1.0 / std::log(double(std::max(params.m, 2)))),
      k_(simd::Kernels()),
      quant_(quant::MakeQuantizer(params.code, dim, metric)),
      code_size_(quant_->code_size()),
      codes_in_floats_(params.code == CodeType::kFloat32),
      locks_(std::make_unique<std::mutex[]>(kLockStripes)) {}

HnswIndex::~HnswIndex() {
  if (map_addr_ != nullptr) munmap(map_addr_, map_len_);
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Create(size_t dim, Metric metric,
                                                     const HnswParams& params) {
  if (dim == 0 || dim > 65536) {
    return Status::InvalidArgument("dimension must be between 1 and 65536, got " +
                                   std::to_string(dim));
  }
  if (params.m < 2 || params.m > 256) {
    return Status::InvalidArgument("m must be between 2 and 256, got " +
                                   std::to_string(params.m));
  }
  if (params.ef_construction < 1 || params.ef_construction > 100000) {
    return Status::InvalidArgument("ef_construction must be between 1 and 100000");
  }
  if (params.ef_search < 1 || params.ef_search > 100000) {
    return Status::InvalidArgument("ef_search must be between 1 and 100000");
  }
  if (!(params.rerank_factor >= 1.0f && params.rerank_factor <= 1000.0f)) {
    return Status::InvalidArgument("rerank_factor must be between 1 and 1000");
  }
  if (params.build_threads < 0) return Status::InvalidArgument("build_threads must be >= 0");
  if (static_cast<uint8_t>(params.code) > static_cast<uint8_t>(CodeType::kBinary)) {
    return Status::InvalidArgument("unknown code type");
  }
  if (!IsKnownMetric(static_cast<uint32_t>(metric))) {
    return Status::InvalidArgument("unknown metric");
  }
  return std::unique_ptr<HnswIndex>(new HnswIndex(dim, metric, params));
}

float HnswIndex::ExactDistance(const float* q, const float* x) const {
  const MetricInfo& m = MetricInfoOf(metric_);
  if (m.kernel == DistanceKernel::kSquaredL2) return k_.l2_f32(q, x, dim_);
  return m.dot_offset - k_.ip_f32(q, x, dim_);
}

void HnswIndex::Normalize(const float* in, float* out) const {
  PrepareVector(MetricInfoOf(metric_), in, out, dim_);
}

void HnswIndex::GrowLocked(size_t capacity) {
  if (capacity <= capacity_) return;
  auto block = std::make_unique<uint32_t[]>(capacity * slot0_);  // zeroed: empty link lists
  if (level0_ != nullptr) std::memcpy(block.get(), level0_, capacity_ * slot0_ * sizeof(uint32_t));
  level0_owner_ = std::move(block);
  level0_ = level0_owner_.get();
  upper_.resize(capacity);
  if (!codes_in_floats_) codes_.resize(capacity * code_size_);
  levels_.resize(capacity, 0);
  states_.resize(capacity, kFree);
  labels_.resize(capacity, 0);
  if (capacity > mapped_count_) owned_vecs_.resize((capacity - mapped_count_) * dim_);
  capacity_ = capacity;
}

Status HnswIndex::EnsureCapacity(size_t needed) {
  if (needed > size_t{kNone} - 1) {
    return Status::ResourceExhausted("an HNSW index holds at most 4294967294 vectors");
  }
  auto lock = WriteLock();
  // Grow by 1.25x, not 2x: at 1M x 1280 the float32 store alone is 5 GB, and doubling would
  // reserve (and zero) another 5 GB for one extra vector.
  if (needed > capacity_) GrowLocked(std::max({needed, capacity_ + capacity_ / 4, size_t{1024}}));
  return Status::OK();
}

// Takes a slot for `label` (reusing a freed one when possible) and marks it kInserting; a label
// already present is tombstoned (replace). kNone when the arrays are full. Needs resize_mu_ shared.
uint32_t HnswIndex::AllocateSlot(uint64_t label) {
  std::unique_lock lock(label_mu_);
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    uint32_t next = slots_.load(std::memory_order_relaxed);
    if (next >= capacity_) return kNone;
    slot = next;
    slots_.store(next + 1, std::memory_order_release);
  }
  // live_ counts labels (it moves with label_to_node_), so a label whose insert is still running
  // or is removed mid-insert is counted exactly once.
  auto [it, inserted] = label_to_node_.try_emplace(label, slot);
  if (!inserted) {
    MarkDeleted(it->second);
    tombstones_.fetch_add(1, std::memory_order_relaxed);
    it->second = slot;
  } else {
    live_.fetch_add(1, std::memory_order_relaxed);
  }
  labels_[slot] = label;
  SetState(slot, kInserting);
  return slot;
}

// A node whose insert is still running stays recognisable as not fully linked (GreedyDescend and
// LowerLevelEntry must not start a level there); InsertNode turns it into kDeleted when it ends.
void HnswIndex::MarkDeleted(uint32_t node) {
  std::atomic_ref<uint8_t> state(states_[node]);
  uint8_t expected = kInserting;
  if (!state.compare_exchange_strong(expected, kDeletedInserting, std::memory_order_acq_rel)) {
    state.store(kDeleted, std::memory_order_release);
  }
}

void HnswIndex::TrainFrom(const float* rows, size_t n) {
  quant_->Train(rows, n);
  trained_count_ = n;
  next_retrain_.store(n < kTrainSample ? 2 * n : SIZE_MAX, std::memory_order_relaxed);
  if (codes_in_floats_) return;
  uint32_t slots = slots_.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < slots; ++i) {
    if (states_[i] != kFree) quant_->Encode(Vec(i), codes_.data() + size_t{i} * code_size_);
  }
}

// Early quantizer parameters come from few vectors; retrain (and re-encode) on 2x growth until
// kTrainSample vectors have been seen. Cheap: at most ~15 times, each O(n * dim) for n < 40000.
void HnswIndex::MaybeRetrain() {
  if (!quant_->trained() || live_.load(std::memory_order_relaxed) <
                                next_retrain_.load(std::memory_order_relaxed)) {
    return;
  }
  auto lock = WriteLock();
  size_t live = live_.load(std::memory_order_relaxed);
  if (live < next_retrain_.load(std::memory_order_relaxed)) return;
  uint32_t slots = slots_.load(std::memory_order_relaxed);
  std::vector<float> sample;
  size_t stride = std::max<size_t>(1, slots / kTrainSample);
  for (uint32_t i = 0; i < slots; i += stride) {
    if (states_[i] != kLive) continue;
    sample.insert(sample.end(), Vec(i), Vec(i) + dim_);
  }
  if (!sample.empty()) TrainFrom(sample.data(), sample.size() / dim_);
}

SearchContext* HnswIndex::AcquireContext() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      SearchContext* ctx = pool_.back().release();
      pool_.pop_back();
      return ctx;
    }
  }
  auto ctx = std::make_unique<SearchContext>();
  ctx->query.resize(dim_);
  ctx->ids.resize(m0_ + 1);
  ctx->ptrs.resize(m0_ + 1);
  ctx->dists.resize(m0_ + 1);
  return ctx.release();
}

void HnswIndex::ReleaseContext(SearchContext* ctx) const {
  std::lock_guard lock(pool_mu_);
  pool_.emplace_back(ctx);
}

Status HnswIndex::Add(uint64_t label, const float* vec) {
  LOOKALIKE_RETURN_IF_ERROR(ValidateVector(vec, dim_, dim_, metric_));
  std::shared_lock update(update_mu_);
  SearchContext* ctx = AcquireContext();
  Normalize(vec, ctx->query.data());
  if (!quant_->trained()) {
    auto lock = WriteLock();
    if (!quant_->trained()) TrainFrom(ctx->query.data(), 1);
  }
  for (;;) {
    {
      auto lock = ReadLock();
      uint32_t slot = AllocateSlot(label);
      if (slot != kNone) {
        std::memcpy(MutableVec(slot), ctx->query.data(), dim_ * sizeof(float));
        InsertNode(slot, ctx);
        break;
      }
    }
    Status st = EnsureCapacity(slots_.load() + 1);
    if (!st.ok()) {
      ReleaseContext(ctx);
      return st;
    }
  }
  ReleaseContext(ctx);
  MaybeRetrain();
  return MaybeCompact();
}

Status HnswIndex::AddBatch(size_t n, const uint64_t* labels, const float* vecs, int threads) {
  for (size_t i = 0; i < n; ++i) {
    Status st = ValidateVector(vecs + i * dim_, dim_, dim_, metric_);
    if (!st.ok()) return st.WithContext("vector " + std::to_string(i) + " of the batch");
  }
  if (n == 0) return Status::OK();
  std::shared_lock update(update_mu_);
  if (!quant_->trained()) {
    // Train on a strided sample of the batch before any code is written.
    size_t stride = std::max<size_t>(1, n / kTrainSample);
    std::vector<float> sample;
    sample.reserve(std::min(n, kTrainSample + 1) * dim_);
    std::vector<float> row(dim_);
    for (size_t i = 0; i < n; i += stride) {
      Normalize(vecs + i * dim_, row.data());
      sample.insert(sample.end(), row.begin(), row.end());
    }
    auto lock = WriteLock();
    if (!quant_->trained()) TrainFrom(sample.data(), sample.size() / dim_);
  }
  LOOKALIKE_RETURN_IF_ERROR(EnsureCapacity(size_t{slots_.load()} + n));

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mu;
  auto worker = [&] {
    SearchContext* ctx = AcquireContext();
    for (size_t i; !failed.load(std::memory_order_relaxed) &&
                   (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      Normalize(vecs + i * dim_, ctx->query.data());
      for (;;) {
        {
          auto lock = ReadLock();
          uint32_t slot = AllocateSlot(labels[i]);
          if (slot != kNone) {
            std::memcpy(MutableVec(slot), ctx->query.data(), dim_ * sizeof(float));
            InsertNode(slot, ctx);
            break;
          }
        }
        Status st = EnsureCapacity(size_t{slots_.load()} + 1);
        if (!st.ok()) {
          std::lock_guard lock(error_mu);
          first_error = st;
          failed = true;
          break;
        }
      }
    }
    ReleaseContext(ctx);
  };
  int workers = threads > 0 ? threads
                : params_.build_threads > 0 ? params_.build_threads
                                           : int(std::max(1u, std::thread::hardware_concurrency()));
  workers = int(std::min<size_t>(size_t(workers), (n + 63) / 64));
  if (workers <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < workers; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (!first_error.ok()) return first_error;
  MaybeRetrain();
  return MaybeCompact();
}

Status HnswIndex::Remove(uint64_t label) {
  std::shared_lock update(update_mu_);
  {
    std::unique_lock lock(label_mu_);
    auto it = label_to_node_.find(label);
    if (it == label_to_node_.end()) {
      return Status::NotFound("label " + std::to_string(label) + " is not in the index");
    }
    MarkDeleted(it->second);
    label_to_node_.erase(it);
    live_.fetch_sub(1, std::memory_order_relaxed);
    tombstones_.fetch_add(1, std::memory_order_relaxed);
  }
  return MaybeCompact();
}

// Tombstones come from Remove and from replacing a label; compact once they reach 10% of the
// slots (and at least 64, so tiny indexes do not compact on every delete).
Status HnswIndex::MaybeCompact() {
  size_t tomb = tombstones_.load(std::memory_order_relaxed);
  if (tomb >= 64 && tomb * 10 >= slots_.load(std::memory_order_relaxed)) return Compact();
  return Status::OK();
}

bool HnswIndex::Contains(uint64_t label) const {
  std::shared_lock lock(label_mu_);
  return label_to_node_.count(label) != 0;
}

// Lock order as in Stats: the resize lock (Vec's pointers) before label_mu_.
Status HnswIndex::GetVector(uint64_t label, std::vector<float>* out) const {
  auto lock = ReadLock();
  std::shared_lock labels(label_mu_);
  auto it = label_to_node_.find(label);
  if (it == label_to_node_.end() || StateOf(it->second) != kLive) {
    return Status::NotFound("label " + std::to_string(label) + " is not in the index");
  }
  const float* v = Vec(it->second);
  out->assign(v, v + dim_);
  return Status::OK();
}

Status HnswIndex::Compact() {
  std::lock_guard one_at_a_time(compact_mu_);
  auto lock = WriteLock();  // no search or insert runs while links are rewritten
  uint32_t slots = slots_.load(std::memory_order_relaxed);
  SearchContext* ctx = AcquireContext();
  size_t live_nodes = 0, dead_nodes = 0;
  for (uint32_t node = 0; node < slots; ++node) {
    live_nodes += states_[node] == kLive;
    dead_nodes += states_[node] == kDeleted;
  }
  if (dead_nodes > live_nodes) {
    // Mostly tombstones: local repair would leave a thin, possibly disconnected graph. Rebuild
    // the links of the live nodes instead; the cost is one build of a set no larger than the
    // tombstones removed, so it stays amortised O(1) inserts per delete.
    RebuildLocked(ctx);
    ReleaseContext(ctx);
    return Status::OK();
  }
  ctx->NewSearch(capacity_);
  std::vector<uint32_t> keep;
  std::vector<Cand> extra;
  for (uint32_t node = 0; node < slots; ++node) {
    if (states_[node] != kLive) continue;
    for (int level = 0; level <= levels_[node]; ++level) {
      uint32_t* links = Links(node, level);
      uint32_t cnt = links[0];
      bool touched = false;
      for (uint32_t j = 1; j <= cnt; ++j) touched |= states_[links[j]] != kLive;
      if (!touched) continue;
      // Live links stay; the dead links' live neighbours compete for the free places.
      if (++ctx->epoch == 0) {
        std::fill(ctx->visited.begin(), ctx->visited.end(), 0);
        ctx->epoch = 1;
      }
      keep.clear();
      extra.clear();
      ctx->Visit(node);
      for (uint32_t j = 1; j <= cnt; ++j) {
        if (states_[links[j]] == kLive && ctx->Visit(links[j])) keep.push_back(links[j]);
      }
      for (uint32_t j = 1; j <= cnt; ++j) {
        uint32_t dead = links[j];
        if (states_[dead] == kLive || states_[dead] == kFree || levels_[dead] < level) continue;
        const uint32_t* dl = Links(dead, level);
        for (uint32_t t = 1; t <= dl[0]; ++t) {
          if (states_[dl[t]] == kLive && ctx->Visit(dl[t])) extra.push_back({0, dl[t]});
        }
      }
      size_t room = size_t(Cap(level)) - keep.size();
      if (extra.size() > room) {
        const float* v = Vec(node);
        for (auto& c : extra) c.dist = ExactDistance(v, Vec(c.id));
        std::partial_sort(extra.begin(), extra.begin() + room, extra.end(),
                          [](const Cand& a, const Cand& b) { return a.dist < b.dist; });
        extra.resize(room);
      }
      uint32_t out = 0;
      for (uint32_t id : keep) links[1 + out++] = id;
      for (const auto& c : extra) links[1 + out++] = c.id;
      links[0] = out;
    }
  }
  // Tombstones now have no in-links from live nodes: free their slots.
  {
    std::unique_lock labels(label_mu_);
    for (uint32_t node = 0; node < slots; ++node) {
      if (states_[node] != kDeleted) continue;
      states_[node] = kFree;
      Links0(node)[0] = 0;
      upper_[node].reset();
      levels_[node] = 0;
      free_.push_back(node);
    }
  }
  tombstones_.store(0, std::memory_order_relaxed);
  uint64_t e = entry_.load(std::memory_order_relaxed);
  if (e != ~uint64_t{0} && states_[uint32_t(e)] != kLive) {
    uint32_t best = kNone;
    for (uint32_t node = 0; node < slots; ++node) {
      if (states_[node] == kLive && (best == kNone || levels_[node] > levels_[best])) best = node;
    }
    entry_.store(best == kNone ? ~uint64_t{0} : (uint64_t{levels_[best]} << 32) | best,
                 std::memory_order_release);
  }
  ReleaseContext(ctx);
  return Status::OK();
}

void HnswIndex::RebuildLocked(SearchContext* ctx) {
  uint32_t slots = slots_.load(std::memory_order_relaxed);
  std::vector<uint32_t> live;
  {
    std::unique_lock labels(label_mu_);
    for (uint32_t node = 0; node < slots; ++node) {
      if (states_[node] == kFree) continue;
      Links0(node)[0] = 0;
      upper_[node].reset();
      levels_[node] = 0;
      if (states_[node] == kLive) {
        states_[node] = kInserting;
        live.push_back(node);
      } else {
        states_[node] = kFree;
        free_.push_back(node);
      }
    }
  }
  tombstones_.store(0, std::memory_order_relaxed);
  entry_.store(~uint64_t{0}, std::memory_order_release);
  for (uint32_t node : live) InsertNode(node, ctx);
}

size_t HnswIndex::MemoryBytes() const {
  size_t bytes = capacity_ * slot0_ * sizeof(uint32_t) + codes_.capacity() + levels_.capacity() +
                 states_.capacity() + labels_.capacity() * sizeof(uint64_t) +
                 upper_.capacity() * sizeof(upper_[0]) +
                 owned_vecs_.capacity() * sizeof(float);
  uint32_t slots = slots_.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < slots; ++i) bytes += levels_[i] * slot_up_ * sizeof(uint32_t);
  bytes += label_to_node_.size() * (sizeof(uint64_t) + sizeof(uint32_t) + 2 * sizeof(void*));
  return bytes;
}

// The mapping lives from Load to the destructor, so no lock is needed to read it.
size_t HnswIndex::MappedResidentBytes() const {
  return static_cast<size_t>(ResidentBytes(map_addr_, map_len_));
}

IndexStats HnswIndex::Stats() const {
  auto lock = ReadLock();
  std::shared_lock labels(label_mu_);
  IndexStats s;
  s.kind = "hnsw";
  s.isa = std::string(simd::IsaName(k_.isa));
  s.dim = dim_;
  s.live = live_.load(std::memory_order_relaxed);
  s.deleted = tombstones_.load(std::memory_order_relaxed);
  s.memory_bytes = MemoryBytes();
  s.vector_bytes = size_t{slots_.load(std::memory_order_relaxed)} * dim_ * sizeof(float);
  return s;
}

}  // namespace lookalike::hnsw

namespace lookalike {
Result<std::unique_ptr<VectorIndex>> CreateHnswIndex(size_t dim, Metric metric,
                                                     const HnswParams& params) {
  LOOKALIKE_ASSIGN_OR_RETURN(auto index, hnsw::HnswIndex::Create(dim, metric, params));
  return std::unique_ptr<VectorIndex>(std::move(index));
}
}  // namespace lookalike
