// FlatIndex::SearchBatch: exact top-k for many queries through BLAS.
//
// Per database chunk (kChunkSlots rows, contiguous), one sgemm computes the dot products of up
// to kQueryGroup queries with every row; a selection pass then offers each surviving row to the
// query's top-k heap, skipping anything worse than the heap's current bound (almost everything
// after the first chunks). Workers take chunks from a shared counter, keep private heaps and are
// merged at the end, so no locks are taken inside the loop.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include "index/flat/flat_index.h"
#include "index/flat/flat_internal.h"
#include "index/flat/top_k.h"
#include "index/metric.h"
#include "simd/distance.h"

namespace lookalike::flat {
namespace {

// Queries per sgemm call: bounds the score buffer (kQueryGroup x kChunkSlots floats = 4 MiB).
constexpr size_t kQueryGroup = 256;

}  // namespace

std::string FlatIndex::BlasDescription() {
#ifdef OPENBLAS_VERSION
  std::string version = OPENBLAS_VERSION;  // " OpenBLAS 0.3.21 "
  version.erase(0, version.find_first_not_of(' '));
  version.erase(version.find_last_not_of(' ') + 1);
  return version + " core=" + openblas_get_corename() +
         " threads=" + std::to_string(openblas_get_num_threads());
#else
  return "CBLAS";
#endif
}

Status FlatIndex::SearchBatch(size_t nq, const float* queries, const SearchParams& params,
                              std::vector<std::vector<SearchHit>>* out, int threads) const {
  LOOKALIKE_RETURN_IF_ERROR(ValidateSearchParams(params));
  for (size_t i = 0; i < nq; ++i) {
    Status st = ValidateVector(queries + i * dim_, dim_, dim_, metric_);
    if (!st.ok()) return st.WithContext("query " + std::to_string(i));
  }
  out->assign(nq, {});
  if (nq == 0) return Status::OK();

  const simd::KernelTable& kt = simd::Kernels();
  const MetricInfo& metric = MetricInfoOf(metric_);
  const bool l2 = metric.kernel == DistanceKernel::kSquaredL2;
  std::vector<float> q(nq * dim_);
  std::vector<float> qnorm(nq);
  for (size_t i = 0; i < nq; ++i) {
    PrepareVector(queries + i * dim_, q.data() + i * dim_);
    qnorm[i] = kt.ip_f32(q.data() + i * dim_, q.data() + i * dim_, dim_);
  }
  const size_t k = params.k;
  const LabelFilter* filter = params.filter;

  std::shared_lock lock(mu_);
  const size_t num_chunks = chunk_data_.size();
  const int num_workers =
      static_cast<int>(std::max<size_t>(1, std::min<size_t>(ResolveThreads(threads), num_chunks)));
  std::vector<std::vector<std::vector<SearchHit>>> heaps(
      num_workers, std::vector<std::vector<SearchHit>>(nq));
  std::atomic<size_t> next_chunk{0};

  auto work = [&](int w) {
    std::vector<std::vector<SearchHit>>& my_heaps = heaps[w];
    std::vector<float> scores(std::min(nq, kQueryGroup) * kChunkSlots);
    std::vector<uint8_t> pass(kChunkSlots);
    for (;;) {
      const size_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= num_chunks) break;
      const size_t first = c * kChunkSlots;
      const size_t rows = std::min(kChunkSlots, num_slots_ - first);
      size_t passing = 0;
      for (size_t j = 0; j < rows; ++j) {
        const size_t slot = first + j;
        pass[j] = live_[slot] && (filter == nullptr || filter->Contains(labels_[slot]));
        passing += pass[j];
      }
      if (passing == 0) continue;
      const float* x = chunk_data_[c];
      const float* xnorm = norms_.data() + first;
      const uint64_t* lab = labels_.data() + first;
      for (size_t g = 0; g < nq; g += kQueryGroup) {
        const size_t m = std::min(kQueryGroup, nq - g);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                    static_cast<int>(rows), static_cast<int>(dim_), 1.0f, q.data() + g * dim_,
                    static_cast<int>(dim_), x, static_cast<int>(dim_), 0.0f, scores.data(),
                    static_cast<int>(rows));
        for (size_t i = 0; i < m; ++i) {
          std::vector<SearchHit>& heap = my_heaps[g + i];
          const float* row = scores.data() + i * rows;
          float bound = HeapBound(heap, k);
          const float qn = qnorm[g + i];
          for (size_t j = 0; j < rows; ++j) {
            // Clamped for l2: the expansion can go slightly negative by rounding.
            const float d = l2 ? std::max(0.0f, DistanceFromDot(metric, row[j], qn, xnorm[j]))
                               : DistanceFromDot(metric, row[j], qn, xnorm[j]);
            if (d > bound || d > params.max_distance || !pass[j]) continue;
            PushTopK(&heap, k, SearchHit{lab[j], d});
            bound = HeapBound(heap, k);
          }
        }
      }
    }
  };

  std::vector<std::thread> pool;
  for (int w = 1; w < num_workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();

  std::vector<std::vector<SearchHit>> parts(num_workers);
  for (size_t i = 0; i < nq; ++i) {
    for (int w = 0; w < num_workers; ++w) parts[w] = std::move(heaps[w][i]);
    MergeTopK(parts, k, &(*out)[i]);
  }
  return Status::OK();
}

}  // namespace lookalike::flat
