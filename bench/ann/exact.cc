#include "exact.h"

#include <cstdio>
#include <sstream>

#include "runner.h"
#include "util.h"

#ifdef LOOKALIKE_BENCH_HAVE_LOOKALIKE_FLAT
#include "index/flat/flat_index.h"
#endif

namespace lookalike::bench {
namespace {

#ifdef LOOKALIKE_BENCH_HAVE_LOOKALIKE_FLAT
// Runs in the child: builds Lookalike's flat index and times SearchBatch and one-query Search.
// Output lines: "timing <seconds> <recall> <method>" or "error <message>".
std::string LookalikeFlatChild(const Matrix& base, const Matrix& queries, const GroundTruth& gt,
                               Metric metric, size_t k, int threads) {
  std::ostringstream out;
  out.precision(17);
  auto created = flat::FlatIndex::Create(base.dim, metric);
  if (!created.ok()) return "error " + created.status().ToString() + "\n";
  auto& index = *created;
  std::vector<uint64_t> labels(base.rows);
  for (size_t i = 0; i < base.rows; ++i) labels[i] = i;
  Status st = index->AddBatch(base.rows, labels.data(), base.data.data(), threads);
  if (!st.ok()) return "error AddBatch: " + st.ToString() + "\n";
  SearchParams params;
  params.k = k;
  std::vector<int64_t> found(queries.rows * k, -1);
  auto score = [&] {
    GroundTruth head = gt;
    head.queries = queries.rows;
    return RecallAt(head, found.data(), k, k);
  };

  std::vector<std::vector<SearchHit>> batch;
  double t0 = NowSeconds();
  st = index->SearchBatch(queries.rows, queries.data.data(), params, &batch, threads);
  double batch_s = NowSeconds() - t0;
  if (!st.ok()) return "error SearchBatch: " + st.ToString() + "\n";
  for (size_t q = 0; q < queries.rows && q < batch.size(); ++q) {
    for (size_t i = 0; i < k && i < batch[q].size(); ++i) {
      found[q * k + i] = static_cast<int64_t>(batch[q][i].label);
    }
  }
  out << "timing " << batch_s << " " << score() << " Lookalike flat SearchBatch (" << threads
      << " threads)\n";

  std::fill(found.begin(), found.end(), -1);
  std::vector<SearchHit> hits;
  t0 = NowSeconds();
  for (size_t q = 0; q < queries.rows; ++q) {
    st = index->Search(queries.Row(q), params, &hits);
    if (!st.ok()) return "error Search: " + st.ToString() + "\n";
    for (size_t i = 0; i < k && i < hits.size(); ++i) found[q * k + i] = hits[i].label;
  }
  double single_s = NowSeconds() - t0;
  out << "timing " << single_s << " " << score() << " Lookalike flat Search, one query per call\n";
  return out.str();
}
#endif

}  // namespace

std::vector<ExactTiming> TimeExactSearch(const Matrix& base, const Matrix& queries,
                                         const GroundTruth& gt, Metric metric, size_t k,
                                         int threads, std::vector<std::string>* warnings) {
  std::vector<ExactTiming> out;
  {
    double t0 = NowSeconds();
    auto exact = ComputeGroundTruth(base, queries, metric, k, threads);
    double secs = NowSeconds() - t0;
    if (exact.ok()) {
      std::vector<int64_t> found(exact->ids.begin(), exact->ids.end());
      GroundTruth head = gt;
      head.queries = queries.rows;
      out.push_back({"OpenBLAS sgemm + top-k heap (harness, " + std::to_string(threads) +
                         " threads)",
                     queries.rows, base.rows, secs, RecallAt(head, found.data(), k, k)});
    } else {
      warnings->push_back("harness exact search: " + exact.status().ToString());
    }
  }
#ifdef LOOKALIKE_BENCH_HAVE_LOOKALIKE_FLAT
  auto text = RunInChild([&] { return LookalikeFlatChild(base, queries, gt, metric, k, threads); });
  if (!text.ok()) {
    warnings->push_back("Lookalike flat index: " + text.status().ToString());
    return out;
  }
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "timing") {
      ExactTiming t;
      ls >> t.seconds >> t.recall;
      std::getline(ls >> std::ws, t.method);
      t.queries = queries.rows;
      t.base_rows = base.rows;
      if (t.recall < 0.999) {
        char buf[200];
        std::snprintf(buf, sizeof(buf), "%s: recall@%zu %.4f against the sgemm ground truth",
                      t.method.c_str(), k, t.recall);
        warnings->push_back(buf);
      }
      out.push_back(t);
    } else if (key == "error") {
      warnings->push_back("Lookalike flat index: " + line.substr(6));
    }
  }
#endif
  return out;
}

}  // namespace lookalike::bench
