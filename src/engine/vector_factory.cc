// The one place that chooses the vector index implementation for a field: HNSW when the build
// has it (src/index/hnsw), else the exact flat index (src/index/flat), else a minimal exact
// scan kept here so the engine works before either library lands.
#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "engine/index.h"
#include "index/metric.h"

namespace lookalike::engine {
namespace {

#if !defined(LOOKALIKE_HAVE_HNSW) && !defined(LOOKALIKE_HAVE_FLAT)
// Exact scan over a label → vector map. Not persisted: Save returns Unsupported, so the engine
// rebuilds it from the documents at startup.
class ScanIndex final : public VectorIndex {
 public:
  ScanIndex(size_t dim, Metric metric) : dim_(dim), metric_(metric) {}
  size_t dim() const override { return dim_; }
  Metric metric() const override { return metric_; }
  size_t size() const override {
    std::shared_lock lock(mu_);
    return vecs_.size();
  }
  Status Add(uint64_t label, const float* vec) override {
    LOOKALIKE_RETURN_IF_ERROR(ValidateVector(vec, dim_, dim_, metric_));
    std::vector<float> v(dim_);
    PrepareVector(MetricInfoOf(metric_), vec, v.data(), dim_);
    std::unique_lock lock(mu_);
    vecs_[label] = std::move(v);
    return Status::OK();
  }
  Status AddBatch(size_t n, const uint64_t* labels, const float* vecs, int) override {
    for (size_t i = 0; i < n; ++i) LOOKALIKE_RETURN_IF_ERROR(Add(labels[i], vecs + i * dim_));
    return Status::OK();
  }
  Status Remove(uint64_t label) override {
    std::unique_lock lock(mu_);
    return vecs_.erase(label) ? Status::OK() : Status::NotFound("label");
  }
  bool Contains(uint64_t label) const override {
    std::shared_lock lock(mu_);
    return vecs_.count(label) > 0;
  }
  Status Search(const float* query, const SearchParams& params,
                std::vector<SearchHit>* out) const override {
    out->clear();
    if (params.k == 0 || params.k > 10000) return Status::InvalidArgument("k out of range");
    LOOKALIKE_RETURN_IF_ERROR(ValidateVector(query, dim_, dim_, metric_));
    const MetricInfo& metric = MetricInfoOf(metric_);
    std::vector<float> q(dim_);
    PrepareVector(metric, query, q.data(), dim_);
    std::shared_lock lock(mu_);
    for (const auto& [label, v] : vecs_) {
      if (params.filter && !params.filter->Contains(label)) continue;
      float d = 0;
      if (metric.kernel == DistanceKernel::kSquaredL2) {
        for (size_t i = 0; i < dim_; ++i) d += (q[i] - v[i]) * (q[i] - v[i]);
      } else {
        float dot = 0;
        for (size_t i = 0; i < dim_; ++i) dot += q[i] * v[i];
        d = metric.dot_offset - dot;
      }
      out->push_back({label, d});
    }
    auto cmp = [](const SearchHit& a, const SearchHit& b) {
      return a.distance < b.distance || (a.distance == b.distance && a.label < b.label);
    };
    size_t k = std::min(params.k, out->size());
    std::partial_sort(out->begin(), out->begin() + k, out->end(), cmp);
    out->resize(k);
    return Status::OK();
  }
  Status GetVector(uint64_t label, std::vector<float>* out) const override {
    std::shared_lock lock(mu_);
    auto it = vecs_.find(label);
    if (it == vecs_.end()) return Status::NotFound("label");
    *out = it->second;
    return Status::OK();
  }
  Status Save(const std::string&) const override {
    return Status::Unsupported("scan index is not persisted");
  }
  IndexStats Stats() const override {
    IndexStats s;
    s.kind = "scan";
    s.isa = "scalar";
    s.dim = dim_;
    s.live = size();
    s.vector_bytes = s.live * dim_ * sizeof(float);
    s.memory_bytes = s.vector_bytes;
    return s;
  }

 private:
  size_t dim_;
  Metric metric_;
  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, std::vector<float>> vecs_;
};
#endif

}  // namespace

Result<std::unique_ptr<VectorIndex>> MakeVectorIndex(const VectorSpec& spec, int build_threads) {
#if defined(LOOKALIKE_HAVE_HNSW)
  if (!spec.flat) {
    HnswParams params = spec.hnsw;
    params.build_threads = build_threads;
    return CreateHnswIndex(spec.dim, spec.metric, params);
  }
#endif
#if defined(LOOKALIKE_HAVE_FLAT)
  return CreateFlatIndex(spec.dim, spec.metric);
#elif defined(LOOKALIKE_HAVE_HNSW)
  HnswParams params = spec.hnsw;
  params.build_threads = build_threads;
  return CreateHnswIndex(spec.dim, spec.metric, params);
#else
  return std::unique_ptr<VectorIndex>(std::make_unique<ScanIndex>(spec.dim, spec.metric));
#endif
}

Result<std::unique_ptr<VectorIndex>> LoadVectorIndex(const std::string& path) {
#if defined(LOOKALIKE_HAVE_HNSW) || defined(LOOKALIKE_HAVE_FLAT)
  return LoadIndex(path);
#else
  return Status::Unsupported("this build has no persistent vector index");
#endif
}

}  // namespace lookalike::engine
