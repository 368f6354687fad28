// Tests for the ANN harness: file readers, the synthetic generator, exact ground truth and its
// cache, recall and the interpolation behind the "QPS at recall" summary, and the forked runner.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "dataset.h"
#include "ground_truth.h"
#include "peer.h"
#include "report.h"
#include "runner.h"
#include "synthetic.h"
#include "util.h"

namespace lookalike::bench {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/bench_ann_" + std::to_string(getpid()) + "_" + name;
}

Matrix RandomMatrix(size_t rows, size_t dim, uint64_t seed) {
  Matrix m;
  m.rows = rows;
  m.dim = dim;
  m.data.resize(rows * dim);
  Rng rng(seed);
  for (auto& v : m.data) v = static_cast<float>(rng.Normal());
  return m;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

TEST(Readers, RoundTripEveryFormat) {
  Matrix m = RandomMatrix(37, 5, 1);
  for (const char* ext : {".fvecs", ".fbin", ".npy", ".bin"}) {
    std::string path = TempPath(std::string("rt") + ext);
    ASSERT_TRUE(WriteVectors(path, m).ok()) << ext;
    size_t dim_arg = std::string(ext) == ".bin" ? 5 : 0;
    auto r = ReadVectors(path, dim_arg);
    ASSERT_TRUE(r.ok()) << ext << ": " << r.status().ToString();
    EXPECT_EQ(r->rows, 37u) << ext;
    EXPECT_EQ(r->dim, 5u) << ext;
    EXPECT_EQ(r->data, m.data) << ext;
    // A window of rows.
    auto w = ReadVectors(path, dim_arg, 4, 30);
    ASSERT_TRUE(w.ok()) << ext;
    ASSERT_EQ(w->rows, 4u);
    EXPECT_EQ(w->data[0], m.Row(30)[0]) << ext;
    EXPECT_EQ(w->data.back(), m.Row(33)[4]) << ext;
    size_t rows = 0, dim = 0;
    ASSERT_TRUE(ProbeVectors(path, dim_arg, &rows, &dim).ok());
    EXPECT_EQ(rows, 37u);
    EXPECT_EQ(dim, 5u);
    std::remove(path.c_str());
  }
}

TEST(Readers, NpyWrittenByNumpyLayout) {
  // The exact header numpy 1.x writes for np.zeros((2,3), np.float32).
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  dict.append(118 - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(dict.size()));
  bytes.push_back(0);
  bytes += dict;
  float vals[6] = {1, 2, 3, 4, 5, 6};
  bytes.append(reinterpret_cast<const char*>(vals), sizeof(vals));
  std::string path = TempPath("numpy.npy");
  WriteBytes(path, bytes);
  auto r = ReadVectors(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2u);
  EXPECT_EQ(r->dim, 3u);
  EXPECT_EQ(r->Row(1)[2], 6.0f);
  std::remove(path.c_str());
}

TEST(Readers, RejectsBadFiles) {
  Matrix m = RandomMatrix(4, 3, 2);
  std::string fbin = TempPath("bad.fbin");
  ASSERT_TRUE(WriteVectors(fbin, m).ok());
  truncate(fbin.c_str(), 8 + 4 * 3 * 4 - 1);  // header promises more than the file holds
  EXPECT_TRUE(ReadVectors(fbin).status().IsCorruption());

  std::string raw = TempPath("bad.bin");
  ASSERT_TRUE(WriteVectors(raw, m).ok());
  EXPECT_TRUE(ReadVectors(raw).status().IsInvalidArgument());     // no --dim
  EXPECT_TRUE(ReadVectors(raw, 5).status().IsInvalidArgument());  // 48 bytes % 20 != 0
  EXPECT_TRUE(ReadVectors(raw, 3).ok());

  std::string fvecs = TempPath("bad.fvecs");
  ASSERT_TRUE(WriteVectors(fvecs, m).ok());
  EXPECT_TRUE(ReadVectors(fvecs, 4).status().IsInvalidArgument());  // dim mismatch

  std::string npy = TempPath("bad.npy");
  WriteBytes(npy, std::string("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}", 26));
  EXPECT_FALSE(ReadVectors(npy).ok());
  EXPECT_TRUE(ReadVectors(TempPath("missing.fbin")).status().code() == StatusCode::kIOError);
  for (const auto& p : {fbin, raw, fvecs, npy}) std::remove(p.c_str());
}

TEST(Synthetic, NonNegativeUnitNormAndDeterministic) {
  auto p = SyntheticPreset("hard");
  ASSERT_TRUE(p.ok());
  p->dim = 96;
  p->rank = 16;
  p->clusters = 10;
  auto a = GenerateSynthetic(*p, kBaseStream, 0, 3000, 2);
  auto b = GenerateSynthetic(*p, kBaseStream, 0, 3000, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->data, b->data) << "thread count changed the data";
  size_t zeros = 0;
  for (size_t i = 0; i < a->rows; ++i) {
    double ss = 0;
    for (size_t j = 0; j < a->dim; ++j) {
      float v = a->Row(i)[j];
      ASSERT_GE(v, 0.0f);
      zeros += v == 0.0f;
      ss += v * v;
    }
    ASSERT_NEAR(ss, 1.0, 1e-4) << "row " << i;
  }
  // ReLU makes the vectors sparse, as CNN activations are.
  EXPECT_GT(zeros, a->data.size() / 10);
  // Rows depend only on their index: a later window equals the same rows of the full set.
  auto tail = GenerateSynthetic(*p, kBaseStream, 2500, 500, 2);
  ASSERT_TRUE(tail.ok());
  for (size_t j = 0; j < a->dim; ++j) EXPECT_NEAR(tail->Row(0)[j], a->Row(2500)[j], 1e-6);
  // Another seed, another set; queries are a separate stream.
  p->seed = 2;
  auto c = GenerateSynthetic(*p, kBaseStream, 0, 10, 2);
  auto q = GenerateSynthetic(*p, kQueryStream, 0, 10, 2);
  ASSERT_TRUE(c.ok() && q.ok());
  EXPECT_NE(c->data, std::vector<float>(a->data.begin(), a->data.begin() + 10 * a->dim));
  EXPECT_NE(c->data, q->data);
}

TEST(Synthetic, PresetsAndOverrides) {
  EXPECT_TRUE(SyntheticPreset("easy").ok());
  EXPECT_TRUE(SyntheticPreset("medium").status().IsInvalidArgument());
  auto p = SyntheticPreset("easy");
  ASSERT_TRUE(ApplySyntheticOverrides("noise=0.3,rank=12,seed=9", &*p).ok());
  EXPECT_EQ(p->rank, 12u);
  EXPECT_DOUBLE_EQ(p->noise, 0.3);
  EXPECT_EQ(p->seed, 9u);
  EXPECT_EQ(p->preset, "custom");
  EXPECT_NE(DescribeSynthetic(*p).find("rank=12"), std::string::npos);
  EXPECT_TRUE(ApplySyntheticOverrides("bogus=1", &*p).IsInvalidArgument());
  EXPECT_TRUE(ApplySyntheticOverrides("rank=0", &*p).IsInvalidArgument());
  EXPECT_TRUE(ApplySyntheticOverrides("noise", &*p).IsInvalidArgument());
  EXPECT_TRUE(ApplySyntheticOverrides("noise=-1", &*p).IsInvalidArgument());
}

// Brute force without BLAS, the oracle for the sgemm path.
std::vector<uint32_t> NaiveTopK(const Matrix& base, const float* q, Metric metric, size_t k) {
  std::vector<std::pair<double, uint32_t>> all;
  for (size_t i = 0; i < base.rows; ++i) {
    double ip = 0, l2 = 0;
    for (size_t j = 0; j < base.dim; ++j) {
      ip += static_cast<double>(q[j]) * base.Row(i)[j];
      l2 += (q[j] - base.Row(i)[j]) * static_cast<double>(q[j] - base.Row(i)[j]);
    }
    all.emplace_back(metric == Metric::kL2 ? l2 : -ip, static_cast<uint32_t>(i));
  }
  std::partial_sort(all.begin(), all.begin() + k, all.end());
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < k; ++i) ids.push_back(all[i].second);
  return ids;
}

TEST(GroundTruth, MatchesNaiveForEveryMetric) {
  // 9000 rows crosses the 8192-row sgemm block boundary.
  Matrix base = RandomMatrix(9000, 17, 3);
  Matrix queries = RandomMatrix(20, 17, 4);
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    Matrix b = base, q = queries;
    if (metric == Metric::kCosine) {
      NormalizeRows(&b, 2);
      NormalizeRows(&q, 2);
    }
    auto gt = ComputeGroundTruth(b, q, metric, 10, 2);
    ASSERT_TRUE(gt.ok());
    for (size_t i = 0; i < q.rows; ++i) {
      auto want = NaiveTopK(b, q.Row(i), metric, 10);
      std::vector<uint32_t> got(gt->Ids(i), gt->Ids(i) + 10);
      // Float rounding may swap near-ties; the sets must agree.
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "metric " << MetricName(metric) << " query " << i;
      for (size_t j = 1; j < 10; ++j) {
        EXPECT_LE(gt->distances[i * 10 + j - 1], gt->distances[i * 10 + j] + 1e-6);
      }
    }
    if (metric == Metric::kL2) {
      // Distances are true squared L2, not shifted.
      const float* x = b.Row(gt->Ids(0)[0]);
      double l2 = 0;
      for (size_t j = 0; j < b.dim; ++j) l2 += (q.Row(0)[j] - x[j]) * (q.Row(0)[j] - x[j]);
      EXPECT_NEAR(gt->distances[0], l2, 1e-3);
    }
  }
  EXPECT_FALSE(ComputeGroundTruth(base, RandomMatrix(2, 3, 5), Metric::kL2, 10, 1).ok());
}

TEST(GroundTruth, CacheRoundTripAndCorruption) {
  Matrix base = RandomMatrix(500, 8, 6);
  Matrix queries = RandomMatrix(7, 8, 7);
  std::string dir = TempPath("cache");
  bool cached = true;
  std::string note;
  auto first = CachedGroundTruth(dir, base, queries, Metric::kL2, 20, 2, &cached, &note);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(cached);
  auto second = CachedGroundTruth(dir, base, queries, Metric::kL2, 20, 2, &cached, &note);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(cached);
  EXPECT_EQ(second->ids, first->ids);
  // Flip one byte of the payload: the checksum rejects the file and it is recomputed.
  {
    std::fstream f(note, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    char c;
    f.read(&c, 1);
    c ^= 0x40;
    f.seekp(60);
    f.write(&c, 1);
  }
  auto third = CachedGroundTruth(dir, base, queries, Metric::kL2, 20, 2, &cached, &note);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(cached);
  EXPECT_EQ(third->ids, first->ids);
  // Different data, different key.
  base.data[0] += 1.0f;
  EXPECT_NE(GroundTruthKey(base, queries, Metric::kL2, 20),
            GroundTruthKey(RandomMatrix(500, 8, 6), queries, Metric::kL2, 20));
}

TEST(Recall, CountsEachTrueNeighbourOnce) {
  GroundTruth gt;
  gt.queries = 2;
  gt.k = 3;
  gt.ids = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> found = {3, 1, 9, 4, 4, 4};  // query 2 repeats one right answer
  EXPECT_DOUBLE_EQ(RecallAt(gt, found.data(), 3, 3), 3.0 / 6.0);
  EXPECT_DOUBLE_EQ(RecallAt(gt, found.data(), 3, 1), 1.0 / 2.0);
}

TEST(Report, InterpolatesAlongTheSweep) {
  std::vector<SweepPoint> sweep(3);
  sweep[0] = {16, 0.90, 0.90, 0.1, 0.2, 0.1, 1000, 0.1};
  sweep[1] = {32, 0.96, 0.96, 0.2, 0.4, 0.2, 600, 0.2};
  sweep[2] = {64, 0.98, 0.98, 0.4, 0.8, 0.4, 300, 0.4};
  AtRecall a = AtTargetRecall(sweep, 0.95);
  EXPECT_TRUE(a.reached);
  EXPECT_FALSE(a.lower_bound);
  EXPECT_NEAR(a.qps, 1000 - (0.05 / 0.06) * 400, 1e-6);
  EXPECT_NEAR(a.cpu_ms, 0.1 + (0.05 / 0.06) * 0.1, 1e-9);
  EXPECT_FALSE(AtTargetRecall(sweep, 0.99).reached);
  AtRecall low = AtTargetRecall(sweep, 0.5);
  EXPECT_TRUE(low.lower_bound);
  EXPECT_DOUBLE_EQ(low.qps, 1000);

  PeerResult ours, theirs;
  ours.ok = theirs.ok = true;
  ours.config.library = "lookalike";
  theirs.config.library = "hnswlib";
  ours.sweep = sweep;
  theirs.sweep = sweep;
  for (auto& p : theirs.sweep) {
    p.qps /= 2;
    p.cpu_ms *= 3;
  }
  ours.build_seconds = 10;
  theirs.build_seconds = 25;
  ours.build_cpu_seconds = 20;
  theirs.build_cpu_seconds = 70;
  RunInfo info;
  std::string text = RenderReport(info, {ours, theirs});
  EXPECT_NE(text.find("2.00×"), std::string::npos) << text;
  EXPECT_NE(text.find("2.50×"), std::string::npos) << text;
  EXPECT_NE(text.find("3.00×"), std::string::npos) << text;
  EXPECT_NE(text.find("3.50×"), std::string::npos) << text;
  EXPECT_NE(text.find("not reached"), std::string::npos) << text;
}

TEST(Peers, ParsesLibraryList) {
  auto list = ParsePeerList("lookalike:16,hnswlib,faiss:48");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].m, 16);
  EXPECT_EQ((*list)[2].m, 48);
  EXPECT_TRUE(ParsePeerList("annoy:16").status().IsInvalidArgument());
  EXPECT_TRUE(ParsePeerList("faiss:1").status().IsInvalidArgument());
  EXPECT_TRUE(ParsePeerList("").status().IsInvalidArgument());
}

#ifdef LOOKALIKE_BENCH_HAVE_HNSWLIB
// Small easy synthetic data (dim 32, 50 queries) with its cosine ground truth.
struct SmallSet {
  Matrix base, queries;
  GroundTruth gt;
};
SmallSet MakeSmallSet(size_t n) {
  SmallSet s;
  auto p = SyntheticPreset("easy");
  p->dim = 32;
  s.base = GenerateSynthetic(*p, kBaseStream, 0, n, 2).value();
  s.queries = GenerateSynthetic(*p, kQueryStream, 0, 50, 2).value();
  s.gt = ComputeGroundTruth(s.base, s.queries, Metric::kCosine, 10, 2).value();
  return s;
}

TEST(Runner, ForkedRunMeasuresRecallAndMemory) {
  SmallSet set = MakeSmallSet(2000);
  const Matrix* base = &set.base;
  const Matrix* queries = &set.queries;
  const GroundTruth* gt = &set.gt;
  PeerConfig config;
  config.library = "hnswlib";
  config.build_threads = 2;
  RunOptions opt;
  opt.ef_values = {10, 200};
  opt.verbose = false;
  opt.min_qps_seconds = 0.0;
  PeerResult r = RunPeer(config, *base, *queries, *gt, opt);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.sweep.size(), 2u);
  EXPECT_GT(r.sweep[1].recall, 0.95);
  EXPECT_GE(r.sweep[1].recall, r.sweep[0].recall);
  EXPECT_NEAR(r.sweep[1].recall, r.sweep[1].recall_parallel, 0.02);
  EXPECT_GT(r.index_bytes, 2000u * 32 * 4);
  EXPECT_GT(r.peak_rss, 0u);
  EXPECT_GT(r.sweep[1].qps, 0.0);
  EXPECT_TRUE(r.warnings.empty());
}
#endif

#ifdef LOOKALIKE_BENCH_HAVE_FAISS
TEST(Runner, FaissInProcess) {
  Matrix base = RandomMatrix(1000, 16, 8);
  Matrix queries = RandomMatrix(20, 16, 9);
  auto gt = ComputeGroundTruth(base, queries, Metric::kL2, 10, 2);
  ASSERT_TRUE(gt.ok());
  PeerConfig config;
  config.library = "faiss";
  config.metric = Metric::kL2;
  config.build_threads = 1;
  RunOptions opt;
  opt.ef_values = {256};
  opt.verbose = false;
  opt.fork_per_library = false;
  opt.min_qps_seconds = 0.0;
  PeerResult r = RunPeer(config, base, queries, *gt, opt);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.sweep[0].recall, 0.9);
}
#endif

#if defined(LOOKALIKE_BENCH_HAVE_LOOKALIKE_HNSW) && defined(LOOKALIKE_BENCH_HAVE_HNSWLIB)
// --mmap searches a reloaded index with mapped vectors: same answers as the built one, and
// Faiss over hnswlib's graph finds what hnswlib finds.
TEST(Runner, MmapReloadAndImportedGraphKeepRecall) {
  SmallSet set = MakeSmallSet(3000);
  const Matrix* base = &set.base;
  const Matrix* queries = &set.queries;
  const GroundTruth* gt = &set.gt;
  RunOptions opt;
  opt.ef_values = {200};
  opt.verbose = false;
  opt.fork_per_library = false;
  opt.min_qps_seconds = 0.0;
  PeerConfig config;
  config.library = "lookalike";
  config.build_threads = 2;
  PeerResult built = RunPeer(config, *base, *queries, *gt, opt);
  config.mmap_dir = testing::TempDir();
  PeerResult mapped = RunPeer(config, *base, *queries, *gt, opt);
  ASSERT_TRUE(built.ok && mapped.ok) << built.error << mapped.error;
  EXPECT_GT(mapped.sweep[0].recall, 0.95);
  EXPECT_NEAR(mapped.sweep[0].recall, built.sweep[0].recall, 0.02);
  EXPECT_NE(mapped.notes.find("mmap"), std::string::npos) << mapped.notes;
  EXPECT_NE(config.Label().find("mmap"), std::string::npos);
#ifdef LOOKALIKE_BENCH_HAVE_FAISS
  PeerConfig graph;
  graph.library = "faiss-hnswlib-graph";
  graph.build_threads = 2;
  PeerResult imported = RunPeer(graph, *base, *queries, *gt, opt);
  ASSERT_TRUE(imported.ok) << imported.error;
  EXPECT_GT(imported.sweep[0].recall, 0.95);
#endif
}
#endif

TEST(Runner, ChildCrashBecomesAnError) {
  auto ok = RunInChild([] { return std::string("hello\n"); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "hello\n");
  auto crashed = RunInChild([]() -> std::string {
    std::raise(SIGKILL);
    return "unreachable";
  });
  ASSERT_FALSE(crashed.ok());
  EXPECT_NE(crashed.status().message().find("signal 9"), std::string::npos)
      << crashed.status().ToString();
}

TEST(Runner, ReportsUnavailableLibrary) {
#ifndef LOOKALIKE_BENCH_HAVE_LOOKALIKE_HNSW
  Matrix base = RandomMatrix(10, 4, 1);
  GroundTruth gt;
  PeerConfig config;
  config.library = "lookalike";
  RunOptions opt;
  opt.verbose = false;
  PeerResult r = RunPeer(config, base, base, gt, opt);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("unsupported"), std::string::npos) << r.error;
#else
  GTEST_SKIP() << "Lookalike HNSW is built in";
#endif
}

}  // namespace
}  // namespace lookalike::bench
