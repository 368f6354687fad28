// The engine's metrics: the query kind read from typed requests, per-index search and write
// series, the collected vector sizes, and the removal of a deleted index's series.
#include "lookalike/metrics.h"

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

SearchKind KindOf(std::string_view body) {
  es::SearchParseOptions options;
  auto request = es::ParseSearchRequest(body, {}, options);
  EXPECT_TRUE(request.ok()) << body;
  return request.ok() ? SearchKindOf(*request) : SearchKind::kMatchAll;
}

TEST(SearchKindOf, ReadsTheKindFromTheTypedRequest) {
  EXPECT_EQ(KindOf(""), SearchKind::kMatchAll);
  EXPECT_EQ(KindOf(R"({"query":{"match_all":{}}})"), SearchKind::kMatchAll);
  EXPECT_EQ(KindOf(R"({"query":{"term":{"t":"x"}}})"), SearchKind::kText);
  EXPECT_EQ(KindOf(R"({"query":{"knn":{"v":{"vector":[1,2],"k":3}}}})"), SearchKind::kKnn);
  EXPECT_EQ(KindOf(R"({"knn":{"field":"v","query_vector":[1,2],"k":3,"num_candidates":5}})"),
            SearchKind::kKnn);
  EXPECT_EQ(KindOf(R"({"query":{"knn":{"v":{"vector":[1,2],"k":3,
                        "filter":{"term":{"t":"x"}}}}}})"),
            SearchKind::kFilteredKnn);
  EXPECT_EQ(KindOf(R"({"query":{"bool":{"must":[{"knn":{"v":{"vector":[1,2],"k":3}}}],
                        "filter":[{"term":{"t":"x"}}]}}})"),
            SearchKind::kFilteredKnn);
  EXPECT_EQ(KindOf(R"({"query":{"knn":{"v":{"vector":[1,2],"k":3}}},
                      "post_filter":{"term":{"t":"x"}}})"),
            SearchKind::kFilteredKnn);
  EXPECT_EQ(KindOf(R"({"knn":{"field":"v","query_vector":[1,2],"k":3,"num_candidates":5},
                      "query":{"term":{"t":"x"}}})"),
            SearchKind::kFilteredKnn);
  SearchRequest neural;
  NeuralNode image;
  image.field = "v";
  image.image = {1, 2, 3};
  neural.query.emplace().node = image;
  EXPECT_EQ(SearchKindOf(neural), SearchKind::kImage);
  EXPECT_EQ(SearchKindName(SearchKind::kFilteredKnn), "filtered_knn");
  EXPECT_EQ(SearchKindName(SearchKind::kImage), "image");
}

const MetricSample* Find(const std::vector<MetricFamily>& families, std::string_view name,
                         const MetricLabels& labels) {
  for (const MetricFamily& f : families) {
    if (f.name != name) continue;
    for (const MetricSample& s : f.samples) {
      if (s.labels == labels) return &s;
    }
  }
  return nullptr;
}

TEST(EngineMetrics, SearchesWritesAndSizesAreRecorded) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine->metrics(), nullptr);
  ASSERT_TRUE(es::CreateIndexJson(*engine, "m", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":2},"t":{"type":"keyword"}}}})").ok());
  std::vector<WriteOp> ops;
  for (int i = 0; i < 5; ++i) {
    WriteOp op;
    op.kind = WriteKind::kIndex;
    op.index = "m";
    op.id = std::to_string(i);
    op.source = R"({"v":[)" + std::to_string(i) + R"(,1],"t":"x"})";
    ops.push_back(std::move(op));
  }
  WriteOp del;
  del.kind = WriteKind::kDelete;
  del.index = "m";
  del.id = "4";
  ops.push_back(std::move(del));
  ASSERT_TRUE(engine->Write(std::move(ops), RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(SearchTyped(*engine, "m", R"({"query":{"knn":{"v":{"vector":[1,1],"k":2}}}})").ok());
  ASSERT_TRUE(SearchTyped(*engine, "m", R"({"query":{"term":{"t":"x"}}})").ok());
  ASSERT_TRUE(SearchTyped(*engine, "m", R"({"query":{"term":{"t":"x"}}})").ok());
  SearchRequest image;
  SearchOptions as_image;
  as_image.kind = SearchKind::kImage;
  ASSERT_TRUE(engine->Search("m", image, as_image).ok());
  // A failing search still counts, and counts as a failure.
  SearchRequest bad;
  bad.size = -1;
  EXPECT_FALSE(engine->Search("m", bad).ok());

  auto families = engine->metrics()->Collect();
  auto value = [&](std::string_view name, const MetricLabels& labels) {
    const MetricSample* s = Find(families, name, labels);
    return s == nullptr ? -1.0 : s->value;
  };
  EXPECT_EQ(value("lookalike_searches_total", {{"index", "m"}, {"kind", "knn"}}), 1);
  EXPECT_EQ(value("lookalike_searches_total", {{"index", "m"}, {"kind", "text"}}), 2);
  EXPECT_EQ(value("lookalike_searches_total", {{"index", "m"}, {"kind", "image"}}), 1);
  const MetricSample* text =
      Find(families, "lookalike_search_duration_seconds", {{"index", "m"}, {"kind", "text"}});
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->histogram.count, 2u);
  EXPECT_EQ(value("lookalike_docs_indexed_total", {{"index", "m"}}), 5);
  EXPECT_EQ(value("lookalike_docs_deleted_total", {{"index", "m"}}), 1);
  MetricLabels field = {{"index", "m"}, {"field", "v"}, {"code", "int8"}};
  EXPECT_EQ(value("lookalike_vector_index_vectors", field), 4);
  EXPECT_GT(value("lookalike_vector_index_memory_bytes", field), 0);
  EXPECT_EQ(value("lookalike_vector_queue_vectors", {}), 0);
  EXPECT_GE(value("lookalike_rocksdb_wal_syncs_total", {}), 1);

  ASSERT_TRUE(engine->DeleteIndex("m").ok());
  for (const MetricFamily& f : engine->metrics()->Collect()) {
    for (const MetricSample& s : f.samples) {
      for (const auto& [k, v] : s.labels) EXPECT_FALSE(k == "index" && v == "m") << f.name;
    }
  }
}

}  // namespace
}  // namespace lookalike::testing
