// Mapping parsing: vector field parameters, scalar types, dynamic mapping, errors.
#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

TEST(Mapping, VectorFieldsAndTypes) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  auto r = es::CreateIndexJson(*engine, "m", R"({"settings":{"index.knn":true},"mappings":{"properties":{
      "a":{"type":"knn_vector","dimension":4,"method":{"name":"hnsw","space_type":"cosinesimil",
           "engine":"nmslib","parameters":{"m":48,"ef_construction":128,"encoder":"fp16"}}},
      "b":{"type":"dense_vector","dims":4,"similarity":"dot_product",
           "index_options":{"type":"int8_hnsw","m":8,"ef_construction":64}},
      "c":{"type":"knn_vector","dimension":4,"method":{"name":"hnsw","engine":"faiss",
           "parameters":{"encoder":{"name":"sq","parameters":{"type":"fp16"}}}}},
      "k":{"type":"keyword"},"t":{"type":"text","fields":{"raw":{"type":"keyword"}}},
      "o":{"properties":{"x":{"type":"long"},"y":{"type":"date"}}},
      "f":{"type":"float"},"s":{"type":"short"},"by":{"type":"byte"},"bo":{"type":"boolean"}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto m = es::GetMappingJson(*engine, "m");
  ASSERT_TRUE(m.ok());
  Json j(*m);
  EXPECT_EQ(j.Str("/m/mappings/properties/a/type"), "knn_vector");
  EXPECT_EQ(j.Int("/m/mappings/properties/a/method/parameters/m"), 48);
  EXPECT_EQ(j.Str("/m/mappings/properties/o/properties/x/type"), "long");
  EXPECT_EQ(j.Str("/m/mappings/properties/t/fields/raw/type"), "keyword");

  auto doc = engine->IndexDocument("m", "1", R"({"t":"Some Text","o":{"x":5,"y":"2020-02-02"},
      "a":[1,0,0,0],"b":[0.5,0.5,0.5,0.5],"s":7})", OpType::kIndex, RefreshPolicy::kTrue);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto s1 = SearchJson(*engine, "m", R"({"query":{"term":{"t.raw":"Some Text"}}})");
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(HitIds(*s1).size(), 1u);
  auto s2 = SearchJson(*engine, "m", R"({"query":{"range":{"o.y":{"gte":"2020-01-01"}}}})");
  EXPECT_EQ(HitIds(*s2).size(), 1u);
  auto s3 = SearchJson(*engine, "m", R"({"query":{"term":{"o.x":5}}})");
  EXPECT_EQ(HitIds(*s3).size(), 1u);

  auto too_big = engine->IndexDocument("m", "2", R"({"s":70000})", OpType::kIndex,
                                       RefreshPolicy::kFalse);
  EXPECT_FALSE(too_big.ok());
  auto scalar_object = engine->IndexDocument("m", "3", R"({"o":5})", OpType::kIndex,
                                             RefreshPolicy::kFalse);
  EXPECT_FALSE(scalar_object.ok());
}

TEST(Mapping, Errors) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  auto expect = [&](const char* body) {
    auto r = es::CreateIndexJson(*engine, "e", body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_FALSE(engine->IndexExists("e"));
  };
  expect(R"({"mappings":{"properties":{"v":{"type":"knn_vector"}}}})");
  expect(R"({"mappings":{"properties":{"v":{"type":"knn_vector","dimension":0}}}})");
  expect(R"({"mappings":{"properties":{"v":{"type":"knn_vector","dimension":3,
            "method":{"name":"hnsw","space_type":"hamming2"}}}}})");
  expect(R"({"mappings":{"properties":{"v":{"type":"dense_vector","dims":3,
            "similarity":"nope"}}}})");
  expect(R"({"mappings":{"properties":{"v":{"type":"nope"}}}})");
  expect(R"({"settings":{"number_of_shards":0}})");
  expect(R"({"settings":{"index":{"knn":"maybe"}}})");
  expect(R"({"bogus":{}})");
}

TEST(Mapping, DynamicAndPutMapping) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(engine->IndexDocument("d", "1", R"({"s":"Hello World","i":3,"f":1.5,"b":true,
      "when":"2024-05-01T10:00:00Z","obj":{"inner":"x"},"arr":[1,2]})", OpType::kIndex,
                                    RefreshPolicy::kTrue).ok());
  Json m(es::GetMappingJson(*engine, "d").value());
  EXPECT_EQ(m.Str("/d/mappings/properties/s/type"), "text");
  EXPECT_EQ(m.Str("/d/mappings/properties/s/fields/keyword/type"), "keyword");
  EXPECT_EQ(m.Str("/d/mappings/properties/i/type"), "long");
  EXPECT_EQ(m.Str("/d/mappings/properties/f/type"), "float");
  EXPECT_EQ(m.Str("/d/mappings/properties/b/type"), "boolean");
  EXPECT_EQ(m.Str("/d/mappings/properties/when/type"), "date");
  EXPECT_EQ(m.Str("/d/mappings/properties/obj/properties/inner/type"), "text");
  EXPECT_EQ(HitIds(SearchJson(*engine, "d", R"({"query":{"term":{"s.keyword":"Hello World"}}})").value()).size(),
            1u);
  EXPECT_EQ(HitIds(SearchJson(*engine, "d", R"({"query":{"match":{"s":"world"}}})").value()).size(), 1u);

  ASSERT_TRUE(es::PutMappingJson(*engine, "d", R"({"properties":{"v":{"type":"knn_vector","dimension":2}}})")
                  .ok());
  auto conflict = es::PutMappingJson(*engine, "d", R"({"properties":{"i":{"type":"keyword"}}})");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().type(), "illegal_argument_exception");
  ASSERT_TRUE(engine->IndexDocument("d", "2", R"({"v":[1,2]})", OpType::kIndex,
                                    RefreshPolicy::kTrue).ok());
  EXPECT_EQ(HitIds(SearchJson(*engine, "d", R"({"query":{"knn":{"v":{"vector":[1,2],"k":1}}}})").value()),
            std::vector<std::string>{"2"});

  ASSERT_TRUE(es::CreateIndexJson(*engine, "strict", R"({"mappings":{"dynamic":"strict",
      "properties":{"a":{"type":"keyword"}}}})").ok());
  auto strict = engine->IndexDocument("strict", "1", R"({"b":1})", OpType::kIndex,
                                      RefreshPolicy::kFalse);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().type(), "strict_dynamic_mapping_exception");
}

}  // namespace
}  // namespace lookalike::testing
