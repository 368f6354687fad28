#include "ground_truth.h"

#include <cblas.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <utility>

#include "common/crc32c.h"
#include "util.h"

namespace lookalike::bench {
namespace {

constexpr char kMagic[8] = {'L', 'K', 'A', 'N', 'N', 'G', 'T', '\0'};
constexpr uint32_t kVersion = 1;
constexpr size_t kBaseBlock = 8192;   // base rows per sgemm
constexpr size_t kQueryBlock = 1024;  // query rows per sgemm

// Per-query bounded max-heap of (distance, id): the worst kept candidate is on top.
using Candidate = std::pair<float, uint32_t>;

Status CheckShapes(const Matrix& base, const Matrix& queries, size_t k) {
  if (base.dim != queries.dim) return Status::InvalidArgument("base and query dims differ");
  if (base.rows == 0 || queries.rows == 0) return Status::InvalidArgument("empty data set");
  if (k == 0 || k > base.rows) {
    return Status::InvalidArgument("k must be in [1, base rows]");
  }
  if (base.rows > UINT32_MAX) return Status::InvalidArgument("more than 2^32 base rows");
  return Status::OK();
}

std::vector<float> RowNorms(const Matrix& m, int threads) {
  std::vector<float> norms(m.rows);
  ParallelFor(m.rows, threads, 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const float* x = m.Row(i);
      float s = 0.0f;
      for (size_t j = 0; j < m.dim; ++j) s += x[j] * x[j];
      norms[i] = s;
    }
  });
  return norms;
}

}  // namespace

Result<GroundTruth> ComputeGroundTruth(const Matrix& base, const Matrix& queries, Metric metric,
                                       size_t k, int threads) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShapes(base, queries, k));
  std::vector<float> base_norms;
  if (metric == Metric::kL2) base_norms = RowNorms(base, threads);
  GroundTruth gt;
  gt.queries = queries.rows;
  gt.k = k;
  gt.ids.resize(gt.queries * k);
  gt.distances.resize(gt.queries * k);
  std::vector<float> scores(kQueryBlock * kBaseBlock);
  const int d = static_cast<int>(base.dim);
  for (size_t q0 = 0; q0 < queries.rows; q0 += kQueryBlock) {
    size_t nq = std::min(kQueryBlock, queries.rows - q0);
    std::vector<std::priority_queue<Candidate>> heaps(nq);
    for (size_t b0 = 0; b0 < base.rows; b0 += kBaseBlock) {
      size_t nb = std::min(kBaseBlock, base.rows - b0);
      // scores (nq x nb) = Q (nq x d) * B^T (d x nb)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq),
                  static_cast<int>(nb), d, 1.0f, queries.Row(q0), d, base.Row(b0), d, 0.0f,
                  scores.data(), static_cast<int>(nb));
      ParallelFor(nq, threads, 16, [&](size_t begin, size_t end) {
        for (size_t qi = begin; qi < end; ++qi) {
          auto& heap = heaps[qi];
          const float* s = scores.data() + qi * nb;
          for (size_t j = 0; j < nb; ++j) {
            // Distances up to a per-query constant (|q|^2 for L2 is added at the end).
            float dist;
            if (metric == Metric::kL2) {
              dist = base_norms[b0 + j] - 2.0f * s[j];
            } else {
              dist = -s[j];
            }
            if (heap.size() < k) {
              heap.emplace(dist, static_cast<uint32_t>(b0 + j));
            } else if (dist < heap.top().first) {
              heap.pop();
              heap.emplace(dist, static_cast<uint32_t>(b0 + j));
            }
          }
        }
      });
    }
    ParallelFor(nq, threads, 16, [&](size_t begin, size_t end) {
      for (size_t qi = begin; qi < end; ++qi) {
        const float* q = queries.Row(q0 + qi);
        float qn = 0.0f;
        for (size_t j = 0; j < base.dim; ++j) qn += q[j] * q[j];
        auto& heap = heaps[qi];
        size_t row = q0 + qi;
        for (size_t r = heap.size(); r-- > 0;) {
          float dist = heap.top().first;
          if (metric == Metric::kL2) dist = std::max(0.0f, dist + qn);
          if (metric == Metric::kCosine) dist = 1.0f + dist;
          gt.distances[row * k + r] = dist;
          gt.ids[row * k + r] = heap.top().second;
          heap.pop();
        }
      }
    });
  }
  return gt;
}

uint64_t GroundTruthKey(const Matrix& base, const Matrix& queries, Metric metric, size_t k) {
  uint32_t cb = Crc32c(base.data.data(), base.data.size() * sizeof(float));
  uint32_t cq = Crc32c(queries.data.data(), queries.data.size() * sizeof(float));
  uint64_t key = (static_cast<uint64_t>(cb) << 32) | cq;
  key = Mix64(key ^ Mix64(base.rows)) ^ Mix64(queries.rows * 131 + base.dim);
  key = Mix64(key ^ (static_cast<uint64_t>(metric) << 56) ^ k);
  return key;
}

namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t metric;
  uint64_t key;
  uint64_t queries;
  uint64_t k;
};
static_assert(sizeof(Header) == 40);

Result<GroundTruth> LoadCache(const std::string& path, uint64_t key, Metric metric,
                              size_t queries, size_t k) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::NotFound("no cache file");
  Header h;
  if (std::fread(&h, sizeof(h), 1, f.get()) != 1) return Status::Corruption("short header");
  if (std::memcmp(h.magic, kMagic, 8) != 0 || h.version != kVersion ||
      h.metric != static_cast<uint32_t>(metric) || h.key != key || h.queries != queries ||
      h.k != k) {
    return Status::Corruption("header does not match this data");
  }
  GroundTruth gt;
  gt.queries = queries;
  gt.k = k;
  gt.ids.resize(queries * k);
  gt.distances.resize(queries * k);
  uint32_t stored_crc = 0;
  if (std::fread(gt.ids.data(), sizeof(uint32_t), gt.ids.size(), f.get()) != gt.ids.size() ||
      std::fread(gt.distances.data(), sizeof(float), gt.distances.size(), f.get()) !=
          gt.distances.size() ||
      std::fread(&stored_crc, sizeof(stored_crc), 1, f.get()) != 1) {
    return Status::Corruption("truncated");
  }
  uint32_t crc = Crc32c(&h, sizeof(h));
  crc = Crc32cExtend(crc, gt.ids.data(), gt.ids.size() * sizeof(uint32_t));
  crc = Crc32cExtend(crc, gt.distances.data(), gt.distances.size() * sizeof(float));
  if (crc != stored_crc) return Status::Corruption("checksum mismatch");
  return gt;
}

Status StoreCache(const std::string& path, uint64_t key, Metric metric, const GroundTruth& gt) {
  Header h;
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.metric = static_cast<uint32_t>(metric);
  h.key = key;
  h.queries = gt.queries;
  h.k = gt.k;
  uint32_t crc = Crc32c(&h, sizeof(h));
  crc = Crc32cExtend(crc, gt.ids.data(), gt.ids.size() * sizeof(uint32_t));
  crc = Crc32cExtend(crc, gt.distances.data(), gt.distances.size() * sizeof(float));
  std::string tmp = path + ".tmp";
  {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(tmp.c_str(), "wb"));
    if (!f) return Status::IOError("cannot create '" + tmp + "': " + std::strerror(errno));
    bool ok = std::fwrite(&h, sizeof(h), 1, f.get()) == 1 &&
              std::fwrite(gt.ids.data(), sizeof(uint32_t), gt.ids.size(), f.get()) ==
                  gt.ids.size() &&
              std::fwrite(gt.distances.data(), sizeof(float), gt.distances.size(), f.get()) ==
                  gt.distances.size() &&
              std::fwrite(&crc, sizeof(crc), 1, f.get()) == 1 && std::fflush(f.get()) == 0;
    if (!ok) return Status::IOError("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename '" + tmp + "'");
  }
  return Status::OK();
}

}  // namespace

Result<GroundTruth> CachedGroundTruth(const std::string& dir, const Matrix& base,
                                      const Matrix& queries, Metric metric, size_t k,
                                      int threads, bool* cached, std::string* note) {
  uint64_t key = GroundTruthKey(base, queries, metric, k);
  char name[64];
  std::snprintf(name, sizeof(name), "/gt-%016llx.bin", static_cast<unsigned long long>(key));
  std::string path = dir + name;
  *cached = false;
  note->clear();
  if (!dir.empty()) {
    auto loaded = LoadCache(path, key, metric, queries.rows, k);
    if (loaded.ok()) {
      *cached = true;
      *note = path;
      return loaded;
    }
  }
  LOOKALIKE_ASSIGN_OR_RETURN(GroundTruth gt, ComputeGroundTruth(base, queries, metric, k, threads));
  if (!dir.empty()) {
    Status st = MakeDirs(dir);
    if (st.ok()) st = StoreCache(path, key, metric, gt);
    *note = st.ok() ? path : "not cached: " + st.ToString();
  }
  return gt;
}

Difficulty MeasureDifficulty(const GroundTruth& gt, const Matrix& base, const Matrix& queries,
                             Metric metric) {
  Difficulty d;
  if (gt.queries == 0 || gt.k < 2) return d;
  // Euclidean distance from the stored "smaller is closer" value: cosine distance of unit
  // vectors is |q-x|^2 / 2; L2 is already squared; inner product has no metric distance, so
  // recompute |q-x| directly.
  auto euclid = [&](size_t q, uint32_t id, float stored) -> double {
    if (metric == Metric::kCosine) return std::sqrt(std::max(0.0, 2.0 * stored));
    if (metric == Metric::kL2) return std::sqrt(std::max(0.0f, stored));
    const float* a = queries.Row(q);
    const float* b = base.Row(id);
    double s = 0.0;
    for (size_t j = 0; j < base.dim; ++j) s += (a[j] - b[j]) * static_cast<double>(a[j] - b[j]);
    return std::sqrt(s);
  };
  size_t used = 0;
  Rng rng(12345);
  for (size_t q = 0; q < gt.queries; ++q) {
    std::vector<double> r(gt.k);
    for (size_t i = 0; i < gt.k; ++i) {
      r[i] = euclid(q, gt.ids[q * gt.k + i], gt.distances[q * gt.k + i]);
    }
    double rand_sum = 0.0;
    const int kSamples = 16;
    for (int s = 0; s < kSamples; ++s) {
      size_t id = rng.Next() % base.rows;
      const float* a = queries.Row(q);
      const float* b = base.Row(id);
      double acc = 0.0;
      for (size_t j = 0; j < base.dim; ++j) acc += (a[j] - b[j]) * static_cast<double>(a[j] - b[j]);
      rand_sum += std::sqrt(acc);
    }
    double last = r.back();
    if (last <= 0.0 || r[0] <= 0.0) continue;  // duplicates of the query: LID undefined
    double log_sum = 0.0;
    for (size_t i = 0; i + 1 < gt.k; ++i) log_sum += std::log(r[i] / last);
    double lid = log_sum < 0.0 ? -static_cast<double>(gt.k - 1) / log_sum : 0.0;
    d.nn1 += r[0];
    d.nn10 += r[std::min<size_t>(9, gt.k - 1)];
    d.nn_last += last;
    d.random += rand_sum / kSamples;
    d.lid += lid;
    ++used;
  }
  if (used == 0) return d;
  d.nn1 /= used;
  d.nn10 /= used;
  d.nn_last /= used;
  d.random /= used;
  d.lid /= used;
  d.relative_contrast = d.nn10 > 0 ? d.random / d.nn10 : 0.0;
  return d;
}

double RecallAt(const GroundTruth& gt, const int64_t* found, size_t stride, size_t at) {
  if (gt.queries == 0) return 0.0;
  at = std::min(at, gt.k);
  size_t hits = 0;
  size_t seen = std::min(at, stride);
  for (size_t q = 0; q < gt.queries; ++q) {
    const uint32_t* truth = gt.Ids(q);
    const int64_t* got = found + q * stride;
    // Truth-centric so an index that returns one label twice cannot score it twice.
    for (size_t j = 0; j < at; ++j) {
      for (size_t i = 0; i < seen; ++i) {
        if (got[i] == static_cast<int64_t>(truth[j])) {
          ++hits;
          break;
        }
      }
    }
  }
  return static_cast<double>(hits) / static_cast<double>(gt.queries * at);
}

}  // namespace lookalike::bench
