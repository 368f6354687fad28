// _score of knn hits for every OpenSearch space type and Elasticsearch similarity, against the
// documented formulas computed here from the raw vectors.
#include <cmath>
#include <functional>
#include <map>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

using Vec4 = std::array<double, 4>;

Vec4 Unit(Vec4 v) {
  double n = 0;
  for (double x : v) n += x * x;
  for (double& x : v) x /= std::sqrt(n);
  return v;
}
double Dot(const Vec4& a, const Vec4& b) {
  double s = 0;
  for (int i = 0; i < 4; ++i) s += a[i] * b[i];
  return s;
}
double SquaredL2(const Vec4& a, const Vec4& b) {
  double s = 0;
  for (int i = 0; i < 4; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}
double Cos(const Vec4& a, const Vec4& b) {
  return Dot(a, b) / std::sqrt(Dot(a, a) * Dot(b, b));
}
std::string JsonOf(const Vec4& v) {
  char buf[160];
  snprintf(buf, sizeof(buf), "[%.9g,%.9g,%.9g,%.9g]", v[0], v[1], v[2], v[3]);
  return buf;
}

TEST(KnnScores, EverySpaceTypeAndSimilarityFollowsItsFormula) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  auto created = es::CreateIndexJson(*engine, "s", R"({"mappings":{"properties":{
      "os_l2":{"type":"knn_vector","dimension":4,"space_type":"l2"},
      "os_cos":{"type":"knn_vector","dimension":4,"space_type":"cosinesimil"},
      "os_ip":{"type":"knn_vector","dimension":4,"space_type":"innerproduct"},
      "es_l2":{"type":"dense_vector","dims":4,"similarity":"l2_norm"},
      "es_cos":{"type":"dense_vector","dims":4,"similarity":"cosine"},
      "es_dot":{"type":"dense_vector","dims":4,"similarity":"dot_product"},
      "es_mip":{"type":"dense_vector","dims":4,"similarity":"max_inner_product"}}}})");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  // Unit vectors (dot_product requires them), spread so that inner products take both signs.
  std::vector<Vec4> docs = {Unit({1, 0, 0, 0}), Unit({0.6, 0.8, 0, 0}), Unit({-1, 0.5, 0.2, 0.1}),
                            Unit({-0.2, -0.9, 0.3, 0.1})};
  std::string bulk;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string v = JsonOf(docs[i]);
    bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n{";
    const char* sep = "";
    for (const char* f : {"os_l2", "os_cos", "os_ip", "es_l2", "es_cos", "es_dot", "es_mip"}) {
      bulk += std::string(sep) + "\"" + f + "\":" + v;
      sep = ",";
    }
    bulk += "}\n";
  }
  auto written = Bulk(*engine, "s", bulk, RefreshPolicy::kTrue);
  ASSERT_TRUE(written.ok());
  ASSERT_FALSE(Json(*written).At("/errors").get_bool().value());

  const Vec4 q = Unit({0.8, 0.6, 0.1, 0});
  const std::map<std::string, std::function<double(const Vec4&)>> formula = {
      {"os_l2", [&](const Vec4& x) { return 1 / (1 + SquaredL2(q, x)); }},
      {"os_cos", [&](const Vec4& x) { return (2 - (1 - Cos(q, x))) / 2; }},
      {"os_ip",
       [&](const Vec4& x) {
         double d = -Dot(q, x);
         return d >= 0 ? 1 / (1 + d) : -d + 1;
       }},
      {"es_l2", [&](const Vec4& x) { return 1 / (1 + SquaredL2(q, x)); }},
      {"es_cos", [&](const Vec4& x) { return (1 + Cos(q, x)) / 2; }},
      {"es_dot", [&](const Vec4& x) { return (1 + Dot(q, x)) / 2; }},
      {"es_mip",
       [&](const Vec4& x) {
         double dot = Dot(q, x);
         return dot < 0 ? 1 / (1 - dot) : dot + 1;
       }},
  };
  for (const auto& [field, score] : formula) {
    bool opensearch = field.rfind("os_", 0) == 0;
    std::string body =
        opensearch ? "{\"query\":{\"knn\":{\"" + field + "\":{\"vector\":" + JsonOf(q) +
                         ",\"k\":4}}},\"_source\":false}"
                   : "{\"knn\":{\"field\":\"" + field + "\",\"query_vector\":" + JsonOf(q) +
                         ",\"k\":4,\"num_candidates\":10},\"_source\":false}";
    auto r = SearchJson(*engine, "s", body);
    ASSERT_TRUE(r.ok()) << field << ": " << r.status().ToString();
    Json j(*r);
    ASSERT_EQ(j.Int("/hits/total/value"), 4) << field;
    double previous = INFINITY;
    for (int h = 0; h < 4; ++h) {
      std::string at = "/hits/hits/" + std::to_string(h);
      int id = std::stoi(j.Str((at + "/_id").c_str()));
      double got = j.At((at + "/_score").c_str()).get_double().value();
      EXPECT_NEAR(got, score(docs[id]), 1e-5) << field << " doc " << id;
      EXPECT_LE(got, previous) << field << ": hits sorted by score";
      previous = got;
    }
  }
}

}  // namespace
}  // namespace lookalike::testing
