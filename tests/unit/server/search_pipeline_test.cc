// Search pipelines: the body parser (server/es/search_pipeline.h), its application to a hybrid
// query, and the store's file (server/search_pipeline_store.h): persisted whole, loaded again,
// a damaged file reported and not half-loaded, a failed write changing nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/es/search_pipeline.h"
#include "server/search_pipeline_store.h"

namespace lookalike::server {
namespace {

namespace fs = std::filesystem;

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Retriever Hybrid(size_t queries) {
  Retriever r;
  r.kind = Retriever::Kind::kLinear;
  r.children.resize(queries);
  return r;
}

TEST(SearchPipelineTest, ParsesBothProcessorsAndAppliesThem) {
  auto norm = es::ParseSearchPipelineJson(R"({"description":"x","phase_results_processors":[
      {"normalization-processor":{"tag":"t","normalization":{"technique":"l2"},
       "combination":{"technique":"geometric_mean","parameters":{"weights":[0.25,0.75]}}}}]})");
  ASSERT_TRUE(norm.ok()) << norm.status().ToString();
  Retriever hybrid = Hybrid(2);
  ASSERT_TRUE(es::ApplySearchPipeline(*norm, &hybrid).ok());
  EXPECT_EQ(hybrid.kind, Retriever::Kind::kLinear);
  EXPECT_EQ(hybrid.combination, Retriever::Combination::kGeometricMean);
  EXPECT_EQ(hybrid.normalizers, std::vector<ScoreNormalizer>(2, ScoreNormalizer::kL2Norm));
  EXPECT_EQ(hybrid.weights, (std::vector<float>{0.25f, 0.75f}));
  Retriever three = Hybrid(3);
  EXPECT_EQ(es::ApplySearchPipeline(*norm, &three).code(), StatusCode::kInvalidArgument);

  auto rrf = es::ParseSearchPipelineJson(R"({"phase_results_processors":[
      {"score-ranker-processor":{"combination":{"technique":"rrf","rank_constant":7}}}]})");
  ASSERT_TRUE(rrf.ok()) << rrf.status().ToString();
  ASSERT_TRUE(es::ApplySearchPipeline(*rrf, &three).ok());
  EXPECT_EQ(three.kind, Retriever::Kind::kRrf);
  EXPECT_EQ(three.rank_constant, 7);

  auto defaults = es::ParseSearchPipelineJson("{}");  // the processor's defaults
  ASSERT_TRUE(defaults.ok());
  Retriever plain = Hybrid(2);
  ASSERT_TRUE(es::ApplySearchPipeline(*defaults, &plain).ok());
  EXPECT_EQ(plain.combination, Retriever::Combination::kArithmeticMean);
  EXPECT_EQ(plain.normalizers, std::vector<ScoreNormalizer>(2, ScoreNormalizer::kMinMax));
  EXPECT_EQ(plain.weights, std::vector<float>(2, 1.0f));
}

TEST(SearchPipelineTest, RefusesWhatItWouldNotRun) {
  const char* bad[] = {
      R"([])",
      R"({"request_processors":[{"filter_query":{"query":{"match_all":{}}}}]})",
      R"({"response_processors":[{"rename_field":{"field":"a","target_field":"b"}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"normalization":{"technique":"z_score"}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"combination":{"technique":"max"}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"combination":{"parameters":{"weights":[0.5]}}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"combination":{"parameters":{"weights":[1.5,-0.5]}}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"combination":{"parameters":{"weights":[]}}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"extra":1}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{"ignore_failure":"yes"}}]})",
      R"({"phase_results_processors":[{"score-ranker-processor":{"combination":{"rank_constant":0}}}]})",
      R"({"phase_results_processors":[{"score-ranker-processor":{"combination":{"parameters":{"weights":[0.5,0.5]}}}}]})",
      R"({"phase_results_processors":[{"normalization-processor":{}},{"normalization-processor":{}}]})",
      R"({"phase_results_processors":[{"a":{},"b":{}}]})",
      R"({"phase_results_processors":"normalization-processor"})",
      R"({"description":3})",
      R"({"unknown":[]})",
  };
  for (const char* body : bad) {
    auto parsed = es::ParseSearchPipelineJson(body);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << body;
  }
  auto named = es::ParseSearchPipelineJson(R"({"request_processors":[{"filter_query":{}}]})");
  EXPECT_NE(named.status().message().find("filter_query"), std::string::npos);
}

TEST(SearchPipelineStoreTest, PersistsLoadsAndReportsDamage) {
  const fs::path dir = FreshDir("search_pipelines");
  const std::string path = (dir / "search_pipelines.json").string();
  const std::string body = R"({"phase_results_processors":[{"score-ranker-processor":{}}]})";
  {
    SearchPipelineStore store(path);
    ASSERT_TRUE(store.Load().ok());  // no file yet
    ASSERT_TRUE(store.Put("a", body).ok());
    ASSERT_TRUE(store.Put("b", "{ }").ok());
    EXPECT_EQ(store.Put("c", R"({"processors":[]})").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store.Put("_c", "{}").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store.Put("c", "").code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1) << "a temporary file was left";
  {
    SearchPipelineStore store(path);
    ASSERT_TRUE(store.Load().ok());
    auto all = store.List("*");
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0], std::make_pair(std::string("a"), body));
    EXPECT_EQ((*all)[1], std::make_pair(std::string("b"), std::string("{}")));
    auto a = store.Find("a");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->fusion, es::SearchPipeline::Fusion::kRrf);
    EXPECT_EQ(store.List("a,zz").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(store.List("z*")->size(), 0u);
    ASSERT_TRUE(store.Delete("a").ok());
    EXPECT_EQ(store.Delete("a").code(), StatusCode::kNotFound);
    EXPECT_EQ(store.Find("a").status().code(), StatusCode::kNotFound);
  }
  {
    SearchPipelineStore store(path);
    ASSERT_TRUE(store.Load().ok());
    EXPECT_EQ(store.List("")->size(), 1u) << "the delete was not persisted";
  }
  // A body this version would refuse (hand-edited file) fails the load as a whole.
  std::ofstream(path, std::ios::trunc)
      << R"({"version":1,"pipelines":{"ok":{},"bad":{"processors":[]}}})";
  SearchPipelineStore damaged(path);
  EXPECT_EQ(damaged.Load().code(), StatusCode::kCorruption);
  EXPECT_EQ(damaged.List("*")->size(), 0u);
  std::ofstream(path, std::ios::trunc) << R"({"version":2,"pipelines":{}})";
  EXPECT_EQ(damaged.Load().code(), StatusCode::kCorruption);
  // A write that fails (the directory is gone) changes nothing in memory.
  std::ofstream(path, std::ios::trunc) << R"({"version":1,"pipelines":{"ok":{}}})";
  SearchPipelineStore store(path);
  ASSERT_TRUE(store.Load().ok());
  fs::remove_all(dir);
  EXPECT_FALSE(store.Put("new", "{}").ok());
  EXPECT_EQ(store.Find("new").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store.Delete("ok").ok());
  EXPECT_TRUE(store.Find("ok").ok());
}

}  // namespace
}  // namespace lookalike::server
