// Nested vector fields (many vectors per document): the mapping's accept/refuse rules, knn
// recall against brute force over every vector (k documents, each by its best vector) on the
// flat and the HNSW index, filters on the parent document, update/delete replacing a
// document's vectors, reopening, and malformed documents refused with nothing stored.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDim = 8;
constexpr const char* kMapping = R"({"mappings":{"properties":{
    "crops":{"type":"nested","properties":{
      "emb":{"type":"knn_vector","dimension":8,"space_type":"l2","method":{"name":"flat"}},
      "hnsw":{"type":"knn_vector","dimension":8,"space_type":"l2",
              "method":{"name":"hnsw","parameters":{"m":16,"ef_construction":100}}},
      "name":{"type":"keyword"}}},
    "cat":{"type":"keyword"}}}})";

using Vec = std::vector<float>;

Vec RandomVec(std::mt19937& rng) {
  std::normal_distribution<float> g;
  Vec v(kDim);
  for (auto& x : v) x = g(rng);
  return v;
}

double L2(const Vec& a, const Vec& b) {
  double s = 0;
  for (int i = 0; i < kDim; ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

std::string DocJson(const std::vector<Vec>& crops, int cat) {
  std::string s = "{\"cat\":\"c" + std::to_string(cat) + "\",\"crops\":[";
  for (size_t i = 0; i < crops.size(); ++i) {
    if (i) s += ",";
    s += "{\"emb\":" + VectorJson(crops[i]) + ",\"hnsw\":" + VectorJson(crops[i]) + "}";
  }
  return s + "]}";
}

class NestedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    auto created = es::CreateIndexJson(*engine_, "n", kMapping);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  void Fill(int docs, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string bulk;
    for (int d = 0; d < docs; ++d) {
      std::vector<Vec> crops(1 + rng() % 5);
      for (auto& c : crops) c = RandomVec(rng);
      docs_[std::to_string(d)] = crops;
      cats_[std::to_string(d)] = d % 3;
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(d) + "\"}}\n" + DocJson(crops, d % 3) + "\n";
    }
    auto r = Bulk(*engine_, "n", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->find("\"errors\":true"), std::string::npos) << *r;
  }

  // Ids of the k documents closest by their best vector (cat filter when >= 0; only `ids`
  // when not empty).
  std::vector<std::string> Truth(const Vec& q, size_t k, int cat = -1,
                                 const std::set<std::string>& ids = {}) {
    std::vector<std::pair<double, std::string>> best;
    for (const auto& [id, crops] : docs_) {
      if (cat >= 0 && cats_[id] != cat) continue;
      if (!ids.empty() && !ids.count(id)) continue;
      double d = 1e300;
      for (const Vec& c : crops) d = std::min(d, L2(q, c));
      best.emplace_back(d, id);
    }
    std::sort(best.begin(), best.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < k && i < best.size(); ++i) out.push_back(best[i].second);
    return out;
  }

  std::vector<std::string> KnnIds(const std::string& field, const Vec& q, int k,
                                  const std::string& filter = "") {
    auto r = SearchJson(*engine_, "n",
                        "{\"size\":100,\"_source\":false,\"knn\":{\"field\":\"" + field +
                            "\",\"query_vector\":" + VectorJson(q) + ",\"k\":" +
                            std::to_string(k) + ",\"num_candidates\":100" + filter + "}}");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? HitIds(*r) : std::vector<std::string>{};
  }

  int64_t FieldVectors(const std::string& field) {
    auto stats = es::StatsJson(*engine_, "n");
    EXPECT_TRUE(stats.ok());
    Json st(*stats);
    return st.Int(("/indices/n/knn/fields/" + field + "/vectors").c_str());
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, std::vector<Vec>> docs_;
  std::map<std::string, int> cats_;
};

TEST_F(NestedTest, MappingShowsNestedAndRefusesWhatIsNotServed) {
  auto m = es::GetMappingJson(*engine_, "n");
  ASSERT_TRUE(m.ok());
  Json j(*m);
  EXPECT_EQ(j.Str("/n/mappings/properties/crops/type"), "nested");
  EXPECT_EQ(j.Int("/n/mappings/properties/crops/properties/emb/dimension"), 8);
  // Vectors under two nested levels.
  auto two = es::CreateIndexJson(*engine_, "two", R"({"mappings":{"properties":{"a":{
      "type":"nested","properties":{"b":{"type":"nested","properties":{
        "v":{"type":"knn_vector","dimension":2}}}}}}}})");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("more than one nested object"), std::string::npos);
  // Index-time embedding under nested.
  auto emb = es::CreateIndexJson(*engine_, "emb", R"({"mappings":{"properties":{"a":{
      "type":"nested","properties":{"img":{"type":"keyword"},
        "v":{"type":"knn_vector","dimension":2,"source_field":"a.img"}}}}}})");
  ASSERT_FALSE(emb.ok());
  EXPECT_NE(emb.status().message().find("source_field"), std::string::npos);
  // A model alone under nested only records what made the vectors (ingest-images --crops).
  auto model = es::CreateIndexJson(*engine_, "model", R"({"mappings":{"properties":{"a":{
      "type":"nested","properties":{"v":{"type":"knn_vector","dimension":2,"model":"m1"}}}}}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto shown = es::GetMappingJson(*engine_, "model");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(Json(*shown).Str("/model/mappings/properties/a/properties/v/model"), "m1");
  // Object ↔ nested.
  auto change = es::PutMappingJson(*engine_, "n", R"({"properties":{"crops":{
      "properties":{"name":{"type":"keyword"}}}}})");
  ASSERT_FALSE(change.ok());
  EXPECT_NE(change.status().message().find("nested to non-nested"), std::string::npos);
  // A nested object without vectors keeps today's flattened behaviour.
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "plain", R"({"mappings":{"properties":{"t":{
      "type":"nested","properties":{"k":{"type":"keyword"}}}}}})").ok());
  ASSERT_TRUE(engine_->IndexDocument("plain", "1", R"({"t":[{"k":"x"},{"k":"y"}]})",
                                     OpType::kIndex, RefreshPolicy::kTrue).ok());
  auto c = CountJson(*engine_, "plain", R"({"query":{"term":{"t.k":"y"}}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Json(*c).Int("/count"), 1);
}

TEST_F(NestedTest, KnnCountsDocumentsByTheirBestVector) {
  Fill(400, 7);
  EXPECT_GT(FieldVectors("crops.emb"), 400);
  std::mt19937 rng(99);
  size_t found = 0, total = 0;
  for (int t = 0; t < 10; ++t) {
    Vec q = RandomVec(rng);
    for (int k : {1, 10, 30}) {
      auto truth = Truth(q, k);
      auto ids = KnnIds("crops.emb", q, k);
      EXPECT_EQ(ids, truth) << "flat, k=" << k;  // exact: the same documents in order
      std::set<std::string> unique(ids.begin(), ids.end());
      EXPECT_EQ(unique.size(), ids.size()) << "a document came back twice";
      auto approx = KnnIds("crops.hnsw", q, k);
      EXPECT_EQ(approx.size(), size_t(k));
      std::set<std::string> want(truth.begin(), truth.end());
      for (const auto& id : approx) found += want.count(id);
      total += truth.size();
    }
    // Filters apply to the parent document.
    auto filtered = KnnIds("crops.emb", q, 10, ",\"filter\":{\"term\":{\"cat\":\"c2\"}}");
    EXPECT_EQ(filtered, Truth(q, 10, 2));
    // A selective filter: the HNSW field scans the passing documents' vectors exactly.
    std::set<std::string> few;
    std::string values;
    for (int i = t; i < 400; i += 37) {
      few.insert(std::to_string(i));
      values += (values.empty() ? "\"" : ",\"") + std::to_string(i) + "\"";
    }
    EXPECT_EQ(KnnIds("crops.hnsw", q, 5, ",\"filter\":{\"ids\":{\"values\":[" + values + "]}}"),
              Truth(q, 5, -1, few));
  }
  EXPECT_GE(double(found) / total, 0.9);
}

TEST_F(NestedTest, OpenSearchNestedKnnQueryMatchesTheKnnSection) {
  Fill(100, 3);
  std::mt19937 rng(5);
  Vec q = RandomVec(rng);
  auto r = SearchJson(*engine_, "n",
                      R"({"size":5,"_source":false,"query":{"nested":{"path":"crops",
                          "score_mode":"max","query":{"knn":{"crops.emb":{"vector":)" +
                          VectorJson(q) + R"(,"k":5}}}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(HitIds(*r), Truth(q, 5));
  // The score is the best vector's: 1 / (1 + l2²).
  double best = 1e300;
  for (const Vec& c : docs_[Truth(q, 1)[0]]) best = std::min(best, L2(q, c));
  EXPECT_NEAR(Json(*r).At("/hits/hits/0/_score").get_double().value(), 1 / (1 + best), 1e-4);
  for (const char* bad : {R"("score_mode":"sum",)", R"("inner_hits":[],)"}) {
    auto refused = SearchJson(*engine_, "n",
                              std::string(R"({"query":{"nested":{"path":"crops",)") + bad +
                                  R"("query":{"knn":{"crops.emb":{"vector":)" + VectorJson(q) +
                                  R"(,"k":5}}}}}})");
    EXPECT_FALSE(refused.ok()) << bad;
  }
  auto term = SearchJson(*engine_, "n",
                         R"({"query":{"nested":{"path":"crops","query":{"term":{"crops.name":"x"}}}}})");
  ASSERT_FALSE(term.ok());
  EXPECT_NE(term.status().message().find("supports only a [knn] query"), std::string::npos);
}

TEST_F(NestedTest, UpdateAndDeleteReplaceTheDocumentsVectors) {
  std::mt19937 rng(11);
  std::vector<Vec> three = {RandomVec(rng), RandomVec(rng), RandomVec(rng)};
  Vec other = RandomVec(rng);
  ASSERT_TRUE(engine_->IndexDocument("n", "a", DocJson(three, 0), OpType::kIndex,
                                     RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(engine_->IndexDocument("n", "b", DocJson({other}, 1), OpType::kIndex,
                                     RefreshPolicy::kTrue).ok());
  EXPECT_EQ(FieldVectors("crops.emb"), 4);
  EXPECT_EQ(KnnIds("crops.emb", three[2], 1), std::vector<std::string>{"a"});
  // Rewritten with one vector (other's own): the old three are gone from both indices.
  ASSERT_TRUE(engine_->IndexDocument("n", "a", DocJson({other}, 0), OpType::kIndex,
                                     RefreshPolicy::kTrue).ok());
  EXPECT_EQ(FieldVectors("crops.emb"), 2);
  EXPECT_EQ(FieldVectors("crops.hnsw"), 2);
  auto r = SearchJson(*engine_, "n", "{\"_source\":false,\"knn\":{\"field\":\"crops.emb\","
                                     "\"query_vector\":" + VectorJson(three[2]) + ",\"k\":2}}");
  ASSERT_TRUE(r.ok());
  Json j(*r);
  // Both documents now hold only `other`: equal scores, both below an exact match.
  EXPECT_NEAR(j.At("/hits/hits/0/_score").get_double().value(),
              1 / (1 + L2(three[2], other)), 1e-4);
  ASSERT_TRUE(engine_->DeleteDocument("n", "a", RefreshPolicy::kTrue).ok());
  EXPECT_EQ(FieldVectors("crops.emb"), 1);
  EXPECT_EQ(KnnIds("crops.emb", other, 5), std::vector<std::string>{"b"});
  // Several versions in one bulk: the last one's vectors remain.
  std::string bulk;
  for (int v = 1; v <= 3; ++v) {
    std::vector<Vec> crops(4 - v, three[v - 1]);
    bulk += "{\"index\":{\"_id\":\"c\"}}\n" + DocJson(crops, 0) + "\n";
  }
  ASSERT_TRUE(Bulk(*engine_, "n", bulk, RefreshPolicy::kTrue).ok());
  EXPECT_EQ(FieldVectors("crops.emb"), 2);  // b's one, c's last version's one
}

TEST_F(NestedTest, MalformedDocumentsAreRefusedAndNothingIsStored) {
  std::mt19937 rng(13);
  const std::string good = VectorJson(RandomVec(rng));
  for (const std::string& body :
       {std::string(R"({"crops":5})"), std::string(R"({"crops":[{"emb":)") + good + "},7]}",
        std::string(R"({"crops":[{"emb":)") + good + R"(},{"emb":[1,2,3]}]})",
        std::string(R"({"crops":[{"emb":"x"}]})"), std::string(R"({"crops":{"emb":[]}})")}) {
    auto w = engine_->IndexDocument("n", "bad", body, OpType::kIndex, RefreshPolicy::kTrue);
    EXPECT_FALSE(w.ok() && w->status.ok()) << body;
  }
  auto got = GetDoc(*engine_, "n", "bad");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->http_status, 404);
  EXPECT_EQ(FieldVectors("crops.emb"), 0);
  // index.mapping.nested_objects.limit counts the objects of one document.
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "lim",
                                  std::string(R"({"settings":{"index.mapping.nested_objects.limit":2},)") +
                                      std::string(kMapping).substr(1)).ok());
  auto over = engine_->IndexDocument("lim", "x", DocJson({RandomVec(rng), RandomVec(rng),
                                                          RandomVec(rng)}, 0),
                                     OpType::kIndex, RefreshPolicy::kTrue);
  EXPECT_FALSE(over.ok() && over->status.ok());
  // An object without the vector keeps its place: the source comes back as given.
  const std::string gap = std::string(R"({"crops":[{"name":"no vector"},{"emb":)") + good + "}]}";
  ASSERT_TRUE(engine_->IndexDocument("n", "gap", gap, OpType::kIndex, RefreshPolicy::kTrue).ok());
  EXPECT_EQ(FieldVectors("crops.emb"), 1);
  auto back = GetDoc(*engine_, "n", "gap");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Json(back->body).At("/_source/crops/0/name").get_string().value(), "no vector");
}

TEST_F(NestedTest, NearDuplicateReportRefusesNestedFields) {
  Fill(10, 31);
  for (const char* field : {"crops.emb", "crops.hnsw"}) {
    auto report = engine_->FindNearDuplicates("n", field, 0.9f, {});
    ASSERT_FALSE(report.ok()) << field;
    EXPECT_NE(report.status().message().find("inside a nested object"), std::string::npos);
  }
}

TEST_F(NestedTest, ReopenKeepsNestedVectors) {
  Fill(60, 21);
  std::mt19937 rng(23);
  Vec q = RandomVec(rng);
  auto expected_vectors = [&] {
    int64_t n = 0;
    for (const auto& [id, crops] : docs_) n += static_cast<int64_t>(crops.size());
    return n;
  };
  EXPECT_EQ(FieldVectors("crops.emb"), expected_vectors());
  engine_->Shutdown();  // snapshots both vector indices
  engine_.reset();
  // Round 0 opens on the snapshot and rewrites document 0 with one vector, then stops without
  // a snapshot; round 1 opens on the old snapshot, which still holds document 0's old vectors,
  // and the catch-up from the documents must remove them all.
  for (int round = 0; round < 2; ++round) {
    engine_ = OpenEngine(dir_.path(), /*snapshot_on_shutdown=*/false);
    ASSERT_TRUE(es::RefreshJson(*engine_, "n").ok());
    EXPECT_EQ(FieldVectors("crops.emb"), expected_vectors()) << round;
    EXPECT_EQ(FieldVectors("crops.hnsw"), expected_vectors()) << round;
    EXPECT_EQ(KnnIds("crops.emb", q, 10), Truth(q, 10)) << round;
    EXPECT_EQ(KnnIds("crops.hnsw", q, 1), Truth(q, 1)) << round;
    if (round == 0) {
      Vec far(kDim, 100.0f);
      ASSERT_TRUE(engine_->IndexDocument("n", "0", DocJson({far}, 0), OpType::kIndex,
                                         RefreshPolicy::kTrue).ok());
      docs_["0"] = {far};
      EXPECT_EQ(FieldVectors("crops.emb"), expected_vectors());
    }
    engine_->Shutdown();
    engine_.reset();
  }
}

}  // namespace
}  // namespace lookalike::testing
