// FlatIndex: storage, mutation and single-query exact search. Batches: flat_batch.cc;
// Save/Load: flat_format.cc.
#include "index/flat/flat_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "index/flat/flat_internal.h"
#include "index/flat/top_k.h"
#include "index/metric.h"
#include "simd/distance.h"

namespace lookalike {
namespace flat {

Status ValidateSearchParams(const SearchParams& params) {
  if (params.k == 0) return Status::InvalidArgument("k must be at least 1");
  if (params.k > kMaxK) {
    return Status::InvalidArgument("k = " + std::to_string(params.k) +
                                   " exceeds the maximum of " + std::to_string(kMaxK));
  }
  if (params.ef_search < 0) {
    return Status::InvalidArgument("ef_search must not be negative");
  }
  const bool radial = !(std::isinf(params.max_distance) && params.max_distance > 0);
  if (!radial && params.ef_search != 0 && static_cast<size_t>(params.ef_search) < params.k) {
    return Status::InvalidArgument("ef_search = " + std::to_string(params.ef_search) +
                                   " is smaller than k = " + std::to_string(params.k));
  }
  if (!(params.rerank_factor >= 0) || !std::isfinite(params.rerank_factor)) {
    return Status::InvalidArgument("rerank_factor must be a finite number >= 0");
  }
  if (std::isnan(params.max_distance)) {
    return Status::InvalidArgument("max_distance must be a number");
  }
  return Status::OK();
}

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

FlatIndex::FlatIndex(size_t dim, Metric metric) : dim_(dim), metric_(metric) {}
FlatIndex::~FlatIndex() = default;

Result<std::unique_ptr<FlatIndex>> FlatIndex::Create(size_t dim, Metric metric) {
  if (dim == 0 || dim > kMaxDim) {
    return Status::InvalidArgument("dimension must be between 1 and " + std::to_string(kMaxDim) +
                                   ", got " + std::to_string(dim));
  }
  if (!IsKnownMetric(static_cast<uint32_t>(metric))) {
    return Status::InvalidArgument("unknown metric");
  }
  return std::unique_ptr<FlatIndex>(new FlatIndex(dim, metric));  // private constructor
}

size_t FlatIndex::size() const {
  std::shared_lock lock(mu_);
  return slot_of_.size();
}

void FlatIndex::PrepareVector(const float* vec, float* normalised) const {
  lookalike::PrepareVector(MetricInfoOf(metric_), vec, normalised, dim_);
}

float* FlatIndex::MutableSlot(size_t slot) {
  const size_t c = slot / kChunkSlots;
  if (c < mapped_chunks_) return nullptr;
  return owned_[c - mapped_chunks_].data() + (slot % kChunkSlots) * dim_;
}

size_t FlatIndex::AppendSlotLocked() {
  const size_t slot = num_slots_;
  const size_t in_chunk = slot % kChunkSlots;
  if (in_chunk == 0) {
    owned_.emplace_back();
    chunk_data_.push_back(nullptr);
  }
  auto& chunk = owned_.back();
  chunk.resize((in_chunk + 1) * dim_);  // geometric growth, bounded by one chunk
  chunk_data_.back() = chunk.data();
  labels_.push_back(0);
  norms_.push_back(0);
  live_.push_back(0);
  ++num_slots_;
  return slot;
}

void FlatIndex::InsertLocked(uint64_t label, const float* vec) {
  size_t slot;
  auto it = slot_of_.find(label);
  if (it != slot_of_.end() && MutableSlot(it->second) != nullptr) {
    slot = it->second;  // replace in place
  } else {
    if (it != slot_of_.end()) {
      live_[it->second] = 0;  // mapped slot: leave a tombstone
      slot_of_.erase(it);
    }
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = AppendSlotLocked();
    }
  }
  float* dst = MutableSlot(slot);
  std::memcpy(dst, vec, dim_ * sizeof(float));
  labels_[slot] = label;
  norms_[slot] = simd::Kernels().ip_f32(dst, dst, dim_);
  live_[slot] = 1;
  slot_of_[label] = static_cast<uint32_t>(slot);
}

Status FlatIndex::Add(uint64_t label, const float* vec) {
  LOOKALIKE_RETURN_IF_ERROR(ValidateVector(vec, dim_, dim_, metric_));
  std::vector<float> prepared(dim_);
  PrepareVector(vec, prepared.data());
  std::unique_lock lock(mu_);
  if (num_slots_ >= kMaxSlots && free_.empty() && slot_of_.count(label) == 0) {
    return Status::ResourceExhausted("flat index is full (2^32 - 1 slots)");
  }
  InsertLocked(label, prepared.data());
  return Status::OK();
}

Status FlatIndex::AddBatch(size_t n, const uint64_t* labels, const float* vecs, int threads) {
  for (size_t i = 0; i < n; ++i) {
    Status st = ValidateVector(vecs + i * dim_, dim_, dim_, metric_);
    if (!st.ok()) return st.WithContext("vector " + std::to_string(i) + " of the batch");
  }
  std::vector<float> prepared(dim_);
  std::unique_lock lock(mu_);
  if (num_slots_ + n > kMaxSlots) {
    return Status::ResourceExhausted("flat index would exceed 2^32 - 1 slots");
  }
  for (size_t i = 0; i < n; ++i) {
    PrepareVector(vecs + i * dim_, prepared.data());
    InsertLocked(labels[i], prepared.data());
  }
  return Status::OK();
}

Status FlatIndex::Remove(uint64_t label) {
  std::unique_lock lock(mu_);
  auto it = slot_of_.find(label);
  if (it == slot_of_.end()) {
    return Status::NotFound("label " + std::to_string(label) + " is not in the index");
  }
  const uint32_t slot = it->second;
  live_[slot] = 0;
  slot_of_.erase(it);
  if (MutableSlot(slot) != nullptr) free_.push_back(slot);
  return Status::OK();
}

bool FlatIndex::Contains(uint64_t label) const {
  std::shared_lock lock(mu_);
  return slot_of_.count(label) != 0;
}

Status FlatIndex::GetVector(uint64_t label, std::vector<float>* out) const {
  std::shared_lock lock(mu_);
  auto it = slot_of_.find(label);
  if (it == slot_of_.end()) {
    return Status::NotFound("label " + std::to_string(label) + " is not in the index");
  }
  const float* v = SlotData(it->second);
  out->assign(v, v + dim_);
  return Status::OK();
}

// Scans [begin, end) four vectors at a time with the x4 kernels (one query load per four
// vectors); filtered-out and dead slots are skipped before any distance is computed.
void FlatIndex::ScanRange(const float* query, size_t k, float max_distance,
                          const LabelFilter* filter, size_t begin, size_t end,
                          std::vector<SearchHit>* heap) const {
  const simd::KernelTable& kt = simd::Kernels();
  const MetricInfo& metric = MetricInfoOf(metric_);
  const bool l2 = metric.kernel == DistanceKernel::kSquaredL2;
  const float offset = metric.dot_offset;
  const float* batch[4];
  uint64_t batch_labels[4];
  int fill = 0;
  float dist[4];
  auto flush = [&](int count) {
    if (count == 4) {
      if (l2) {
        kt.l2_f32_x4(query, batch, dim_, dist);
      } else {
        kt.ip_f32_x4(query, batch, dim_, dist);
      }
    } else {
      for (int j = 0; j < count; ++j) {
        dist[j] = l2 ? kt.l2_f32(query, batch[j], dim_) : kt.ip_f32(query, batch[j], dim_);
      }
    }
    for (int j = 0; j < count; ++j) {
      const float d = l2 ? dist[j] : offset - dist[j];
      if (d <= max_distance) PushTopK(heap, k, SearchHit{batch_labels[j], d});
    }
  };
  for (size_t slot = begin; slot < end; ++slot) {
    if (!live_[slot]) continue;
    const uint64_t label = labels_[slot];
    if (filter != nullptr && !filter->Contains(label)) continue;
    batch[fill] = SlotData(slot);
    batch_labels[fill] = label;
    if (++fill == 4) {
      flush(4);
      fill = 0;
    }
  }
  if (fill > 0) flush(fill);
}

Status FlatIndex::Search(const float* query, const SearchParams& params,
                         std::vector<SearchHit>* out) const {
  LOOKALIKE_RETURN_IF_ERROR(ValidateSearchParams(params));
  LOOKALIKE_RETURN_IF_ERROR(ValidateVector(query, dim_, dim_, metric_));
  out->clear();
  std::vector<float> q(dim_);
  PrepareVector(query, q.data());
  const size_t k = params.k;
  const float radius = params.max_distance;
  const LabelFilter* filter = params.filter;

  std::shared_lock lock(mu_);
  // Few labels pass the filter: look them up instead of scanning every slot.
  if (filter != nullptr) {
    const int64_t count = filter->Count();
    std::vector<uint64_t> allowed;
    if (count >= 0 && static_cast<size_t>(count) < slot_of_.size() / 8 &&
        filter->Enumerate(&allowed)) {
      // A label listed twice must not fill two places of the top k.
      std::sort(allowed.begin(), allowed.end());
      allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
      const simd::KernelTable& kt = simd::Kernels();
      const MetricInfo& metric = MetricInfoOf(metric_);
      for (uint64_t label : allowed) {
        auto it = slot_of_.find(label);
        if (it == slot_of_.end()) continue;
        const float* x = SlotData(it->second);
        const float d = metric.kernel == DistanceKernel::kSquaredL2
                            ? kt.l2_f32(q.data(), x, dim_)
                            : metric.dot_offset - kt.ip_f32(q.data(), x, dim_);
        if (d <= radius) PushTopK(out, k, SearchHit{label, d});
      }
      SortHeap(out);
      return Status::OK();
    }
  }

  // Split big scans over the cores; small ones are not worth a thread start (~20 us).
  const size_t work = num_slots_ * dim_;
  const int threads =
      work >= kParallelScanFloats ? std::min<int>(ResolveThreads(0), kMaxScanThreads) : 1;
  if (threads <= 1) {
    ScanRange(q.data(), k, radius, filter, 0, num_slots_, out);
    SortHeap(out);
    return Status::OK();
  }
  std::vector<std::vector<SearchHit>> parts(threads);
  std::vector<std::thread> workers;
  const size_t per = (num_slots_ + threads - 1) / threads;
  for (int t = 1; t < threads; ++t) {
    const size_t b = std::min(num_slots_, t * per), e = std::min(num_slots_, (t + 1) * per);
    workers.emplace_back(
        [&, b, e, t] { ScanRange(q.data(), k, radius, filter, b, e, &parts[t]); });
  }
  ScanRange(q.data(), k, radius, filter, 0, std::min(num_slots_, per), &parts[0]);
  for (auto& w : workers) w.join();
  MergeTopK(parts, k, out);
  return Status::OK();
}

IndexStats FlatIndex::Stats() const {
  std::shared_lock lock(mu_);
  IndexStats s;
  s.kind = "flat";
  s.isa = std::string(simd::IsaName(simd::Kernels().isa));
  s.dim = dim_;
  s.live = slot_of_.size();
  s.deleted = num_slots_ - slot_of_.size();
  size_t owned = 0;
  for (const auto& c : owned_) owned += c.capacity() * sizeof(float);
  s.memory_bytes = owned + labels_.capacity() * sizeof(uint64_t) +
                   norms_.capacity() * sizeof(float) + live_.capacity() +
                   free_.capacity() * sizeof(uint32_t) +
                   slot_of_.size() * (sizeof(uint64_t) + sizeof(uint32_t) + 2 * sizeof(void*));
  s.vector_bytes = num_slots_ * dim_ * sizeof(float);
  return s;
}

}  // namespace flat

Result<std::unique_ptr<VectorIndex>> CreateFlatIndex(size_t dim, Metric metric) {
  LOOKALIKE_ASSIGN_OR_RETURN(auto index, flat::FlatIndex::Create(dim, metric));
  return std::unique_ptr<VectorIndex>(std::move(index));
}

}  // namespace lookalike
