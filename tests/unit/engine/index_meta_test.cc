// Stored index metadata written before the typed index-management API (the text main wrote:
// flat settings, the mapping with each field's parameters as given, dynamic fields with their
// generated definitions) opens unchanged, describes itself as typed values and renders GET
// _mapping / GET _settings byte for byte as before.
#include <string>

#include "engine_test_util.h"
#include "server/es/index_codec.h"
#include "storage/doc_store.h"

namespace lookalike::testing {
namespace {

constexpr char kOldMeta[] =
    R"({"uuid":"UUIDUUIDUUIDUUIDUUIDUU","creation_date":1700000000000,)"
    R"("settings":{"index.knn":"true","index.knn.space_type":"innerproduct",)"
    R"("index.number_of_replicas":"0","index.number_of_shards":"1","index.custom.thing":"[1,2]"},)"
    R"("mappings":{"dynamic":"strict","properties":{)"
    R"("emb":{"type":"knn_vector","dimension":3,"model":"m1","source_field":"img",)"
    R"("method":{"name":"hnsw","parameters":{"m":8,"encoder":"fp16"}}},)"
    R"("title":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},)"
    R"("user":{"properties":{"name":{"type":"keyword","ignore_above":10,"doc_values":false}}}}}})";

constexpr char kOldMapping[] =
    R"({"m":{"mappings":{"dynamic":"strict","properties":{)"
    R"("emb":{"type":"knn_vector","dimension":3,"model":"m1","source_field":"img",)"
    R"("method":{"name":"hnsw","parameters":{"m":8,"encoder":"fp16"}}},)"
    R"("title":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},)"
    R"("user":{"properties":{"name":{"type":"keyword","ignore_above":10,"doc_values":false}}}}}}})";

TEST(IndexMeta, MetadataWrittenBeforeTheTypedApiLoadsAndRendersAsBefore) {
  TempDir dir;
  std::string uuid;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "m", "").ok());
    uuid = engine->ListIndices()[0].uuid;
    engine->Shutdown();
  }
  std::string meta = kOldMeta;
  const std::string placeholder = "UUIDUUIDUUIDUUIDUUIDUU";  // the storage space is the uuid's
  meta.replace(meta.find(placeholder), placeholder.size(), uuid);
  {
    auto store = storage::DocStore::Open(dir.path() + "/db", {});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutIndexMeta("m", meta).ok());
  }
  auto engine = OpenEngine(dir.path());
  auto mapping = es::GetMappingJson(*engine, "m");
  ASSERT_TRUE(mapping.ok()) << mapping.status().ToString();
  EXPECT_EQ(*mapping, kOldMapping);

  auto described = engine->DescribeIndices("m");
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->size(), 1u);
  const MappingDefinition& m = (*described)[0].mapping;
  EXPECT_EQ(m.dynamic, DynamicMapping::kStrict);
  const FieldDefinition* emb = m.Find("emb");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, FieldType::kKnnVector);
  EXPECT_EQ(emb->vector.dims, 3u);
  EXPECT_EQ(emb->vector.similarity, "innerproduct");  // index.knn.space_type applied
  EXPECT_EQ(emb->vector.hnsw.m, 8);
  EXPECT_EQ(emb->vector.hnsw.code, CodeType::kFloat16);
  ASSERT_TRUE(emb->embedding.has_value());
  EXPECT_EQ(emb->embedding->source_field, "img");
  EXPECT_EQ(emb->embedding->model, "m1");
  const FieldDefinition* keyword = m.Find("title.keyword");
  ASSERT_NE(keyword, nullptr);
  EXPECT_TRUE(keyword->is_subfield);
  EXPECT_EQ(keyword->ignore_above, 256);
  ASSERT_NE(m.Find("user"), nullptr);
  EXPECT_EQ(m.Find("user")->type, FieldType::kObject);
  EXPECT_EQ(m.Find("user.name")->ignore_above, 10);

  const SettingsMap& settings = (*described)[0].settings;
  EXPECT_EQ(settings.at("index.custom.thing"), "[1,2]");
  EXPECT_EQ(settings.at("index.uuid"), uuid);
  auto flat = es::GetSettingsJson(*engine, "m", /*flat_keys=*/true);
  ASSERT_TRUE(flat.ok());
  std::string expected =
            R"({"m":{"settings":{"index.creation_date":"1700000000000","index.custom.thing":"[1,2]",)"
            R"("index.knn":"true","index.knn.space_type":"innerproduct",)"
            R"("index.number_of_replicas":"0","index.number_of_shards":"1","index.provided_name":"m",)"
            R"("index.uuid":"UUIDUUIDUUIDUUIDUUIDUU","index.version.created":"8110099"}}})";
  expected.replace(expected.find(placeholder), placeholder.size(), uuid);
  EXPECT_EQ(*flat, expected);
}

// Dynamic mapping adds typed fields; they render as the generated definitions did and are
// stored in the same text, so the metadata of an index with dynamic fields is unchanged.
TEST(IndexMeta, DynamicFieldsRenderAsTheGeneratedDefinitions) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(engine
                    ->IndexDocument("d", "1",
                                    R"({"s":"hello","n":3,"f":1.5,"b":true,"day":"2024-01-02",)"
                                    R"("o":{"x":"y"}})",
                                    OpType::kIndex, RefreshPolicy::kFalse)
                    .ok());
    engine->Shutdown();
  }
  constexpr char kExpected[] =
      R"({"d":{"mappings":{"properties":{"b":{"type":"boolean"},"day":{"type":"date"},)"
      R"("f":{"type":"float"},"n":{"type":"long"},"o":{"properties":{"x":{"type":"text",)"
      R"("fields":{"keyword":{"type":"keyword","ignore_above":256}}}}},"s":{"type":"text",)"
      R"("fields":{"keyword":{"type":"keyword","ignore_above":256}}}}}}})";
  auto store = storage::DocStore::Open(dir.path() + "/db", {});
  ASSERT_TRUE(store.ok());
  std::string meta = (*store)->ListIndexMeta()[0].second;
  EXPECT_NE(meta.find(R"("s":{"type":"text","fields":{"keyword":{"type":"keyword",)"
                      R"("ignore_above":256}}})"),
            std::string::npos)
      << meta;
  store->reset();
  auto engine = OpenEngine(dir.path());
  auto mapping = es::GetMappingJson(*engine, "d");
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(*mapping, kExpected);
}

}  // namespace
}  // namespace lookalike::testing
