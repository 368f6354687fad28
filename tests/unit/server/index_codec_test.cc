// The index-management codec: request bodies parse into typed definitions with the error types
// and texts clients see, and typed results render as the responses of before.
#include "server/es/index_codec.h"
#include "server/error_mapping.h"

#include <gtest/gtest.h>

#include <string>

namespace lookalike::es {
namespace {

// A create body as the integration tests send it (knn with method and encoder, dense_vector,
// a multi-field, an object, a parameter the engine does not act on).
constexpr char kCreateBody[] =
    R"({"settings":{"index":{"knn":true,"number_of_replicas":0},"index.refresh_interval":"5s"},)"
    R"("mappings":{"properties":{)"
    R"("fvec":{"type":"knn_vector","dimension":4,"method":{"name":"hnsw",)"
    R"("space_type":"cosinesimil","parameters":{"m":12,"ef_construction":64,"encoder":"1bit"}}},)"
    R"("dv":{"type":"dense_vector","dims":3,"similarity":"dot_product",)"
    R"("index_options":{"type":"bbq_flat"}},)"
    R"("title":{"type":"text","analyzer":"english","fields":{"raw":{"type":"keyword"}}},)"
    R"("user":{"properties":{"name":{"type":"keyword","ignore_above":8}}}}},"aliases":{}})";

TEST(IndexCodec, CreateBodyParsesIntoTypedValues) {
  auto parsed = ParseCreateIndexBody(kCreateBody);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->settings,
            (SettingsMap{{"index.knn", "true"},
                         {"index.number_of_replicas", "0"},
                         {"index.refresh_interval", "5s"}}));
  const MappingDefinition& m = parsed->mapping;
  EXPECT_FALSE(m.dynamic.has_value());
  const FieldDefinition* fvec = m.Find("fvec");
  ASSERT_NE(fvec, nullptr);
  EXPECT_EQ(fvec->type, FieldType::kKnnVector);
  EXPECT_EQ(fvec->vector.dims, 4u);
  EXPECT_EQ(fvec->vector.similarity, "cosinesimil");
  EXPECT_EQ(fvec->vector.hnsw.m, 12);
  EXPECT_EQ(fvec->vector.hnsw.ef_construction, 64);
  EXPECT_EQ(fvec->vector.hnsw.code, CodeType::kBinary);
  const FieldDefinition* dv = m.Find("dv");
  ASSERT_NE(dv, nullptr);
  EXPECT_EQ(dv->vector.similarity, "dot_product");
  EXPECT_TRUE(dv->vector.flat);
  const FieldDefinition* title = m.Find("title");
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->subfields, std::vector<std::string>{"title.raw"});
  ASSERT_NE(m.Find("title.raw"), nullptr);
  EXPECT_TRUE(m.Find("title.raw")->is_subfield);
  EXPECT_EQ(m.Find("user")->type, FieldType::kObject);
  EXPECT_EQ(m.Find("user.name")->ignore_above, 8);
  EXPECT_TRUE(ParseCreateIndexBody("").ok());
  EXPECT_TRUE(ParseCreateIndexBody(" \n").value().mapping.fields.empty());
}

// Parse → render gives GET _mapping as before: parameters as given, objects nested, keys in
// name order.
TEST(IndexCodec, MappingRoundTripRendersAsGiven) {
  auto parsed = ParseCreateIndexBody(kCreateBody);
  ASSERT_TRUE(parsed.ok());
  IndexDescription d;
  d.name = "i";
  d.mapping = parsed->mapping;
  EXPECT_EQ(RenderMappings({d}),
            R"({"i":{"mappings":{"properties":{)"
            R"("dv":{"type":"dense_vector","dims":3,"similarity":"dot_product",)"
            R"("index_options":{"type":"bbq_flat"}},)"
            R"("fvec":{"type":"knn_vector","dimension":4,"method":{"name":"hnsw",)"
            R"("space_type":"cosinesimil","parameters":{"m":12,"ef_construction":64,)"
            R"("encoder":"1bit"}}},)"
            R"("title":{"type":"text","analyzer":"english","fields":{"raw":{"type":"keyword"}}},)"
            R"("user":{"properties":{"name":{"type":"keyword","ignore_above":8}}}}}}})");
  auto strict = ParsePutMappingBody(R"({"dynamic":"strict","properties":{}})");
  ASSERT_TRUE(strict.ok());
  d.mapping = *strict;
  EXPECT_EQ(RenderMappings({d}), R"({"i":{"mappings":{"dynamic":"strict","properties":{}}}})");
}

void ExpectError(const Status& s, std::string_view type, std::string_view reason) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(server::ErrorTypeFor(s), type) << s.ToString();
  EXPECT_NE(s.message().find(reason), std::string::npos) << s.ToString();
}

TEST(IndexCodec, MalformedBodiesKeepTheirErrors) {
  ExpectError(ParseCreateIndexBody("{not json").status(), "parsing_exception", "");
  ExpectError(ParseCreateIndexBody("[1]").status(), "parsing_exception",
              "request body must be a JSON object");
  ExpectError(ParseCreateIndexBody(R"({"mapping":{}})").status(), "parsing_exception",
              "unknown key [mapping] for create index");
  ExpectError(ParseCreateIndexBody(R"({"settings":3})").status(), "parsing_exception",
              "[settings] must be an object");
  ExpectError(ParsePutMappingBody(R"({"properties":{"a":{}}})").status(),
              "mapper_parsing_exception", "No type specified for field [a]");
  ExpectError(ParsePutMappingBody(R"({"properties":{"a":{"type":"geo_shape"}}})").status(),
              "mapper_parsing_exception", "No handler for type [geo_shape] declared on field [a]");
  ExpectError(ParsePutMappingBody(R"({"properties":{"v":{"type":"knn_vector"}}})").status(),
              "mapper_parsing_exception", "Dimension value missing for vector: v");
  ExpectError(
      ParsePutMappingBody(R"({"properties":{"v":{"type":"knn_vector","dimension":2,)"
                          R"("space_type":"hamming2"}}})")
          .status(),
      "mapper_parsing_exception", "Unsupported space type: hamming2");
  ExpectError(ParsePutMappingBody(R"({"dynamic":"maybe"})").status(), "mapper_parsing_exception",
              "Could not convert [dynamic] to boolean");
  ExpectError(ParseSettingsUpdateBody("").status(), "action_request_validation_exception",
              "no settings to update");
  ExpectError(ParseSettingsUpdateBody(R"({"index":{}})").status(),
              "action_request_validation_exception", "no settings to update");
  ExpectError(ParseSettingsUpdateBody("[]").status(), "parsing_exception",
              "the settings body must be a JSON object");
}

TEST(IndexCodec, SettingsUpdateNullsResetAndWrappersUnwrap) {
  auto update = ParseSettingsUpdateBody(
      R"({"settings":{"index":{"number_of_replicas":2,"refresh_interval":null}}})");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(*update, (SettingsUpdate{{"index.number_of_replicas", "2"},
                                     {"index.refresh_interval", std::nullopt}}));
  auto flat = ParseSettingsUpdateBody(R"({"max_result_window":"50"})");
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(*flat, (SettingsUpdate{{"index.max_result_window", "50"}}));
}

TEST(IndexCodec, ResultsRenderAsBefore) {
  EXPECT_EQ(RenderCreatedIndex({"x"}),
            R"({"acknowledged":true,"shards_acknowledged":true,"index":"x"})");
  EXPECT_EQ(RenderAcknowledged({}), R"({"acknowledged":true})");
  EXPECT_EQ(RenderShards({}), R"({"_shards":{"total":1,"successful":1,"failed":0}})");
  IndexDescription d;
  d.name = "i";
  d.settings = {{"index.knn", "true"}, {"index.number_of_shards", "1"}};
  d.defaults = {{"index.max_result_window", "10000"}};
  EXPECT_EQ(RenderSettings({d}, false, false),
            R"({"i":{"settings":{"index":{"knn":"true","number_of_shards":"1"}}}})");
  EXPECT_EQ(RenderSettings({d}, true, true),
            R"({"i":{"settings":{"index.knn":"true","index.number_of_shards":"1"},)"
            R"("defaults":{"index.max_result_window":"10000"}}})");
  IndexStatistics s;
  s.name = "i";
  s.uuid = "u";
  s.docs_count = 3;
  s.vector_fields.push_back({"v", "hnsw", 3, 0, 100, true, 7, 1});
  s.knn_memory_bytes = 100;
  EXPECT_EQ(RenderStats({s}),
            R"({"_shards":{"total":1,"successful":1,"failed":0},"_all":{"primaries":{"docs":)"
            R"({"count":3,"deleted":0},"store":{"size_in_bytes":0},"knn":{"memory_bytes":100}},)"
            R"("total":{"docs":{"count":3,"deleted":0},"store":{"size_in_bytes":0},"knn":)"
            R"({"memory_bytes":100}}},"indices":{"i":{"uuid":"u","primaries":{"docs":{"count":3,)"
            R"("deleted":0},"store":{"size_in_bytes":0},"knn":{"memory_bytes":100}},"total":)"
            R"({"docs":{"count":3,"deleted":0},"store":{"size_in_bytes":0},"knn":)"
            R"({"memory_bytes":100}},"knn":{"fields":{"v":{"kind":"hnsw","vectors":3,)"
            R"("deleted":0,"memory_bytes":100,"loaded_from_snapshot":true,"snapshot_seq_no":7,)"
            R"("replayed_on_open":1}}}}}})");
  ClusterHealthReport h;
  h.status = "red";
  h.active_primary_shards = 1;
  h.active_shards = 1;
  h.unassigned_shards = 1;
  h.active_shards_percent = 50;
  std::string health = RenderClusterHealth(h);
  EXPECT_NE(health.find(R"("status":"red")"), std::string::npos) << health;
  EXPECT_NE(health.find(R"("unassigned_shards":1,)"), std::string::npos) << health;
  EXPECT_NE(health.find(R"("active_shards_percent_as_number":50)"), std::string::npos) << health;
}

// Cluster mode keeps the definition as JSON in etcd; PUT _mapping / _settings compute the new
// JSON here with the single node's validation.
TEST(IndexCodec, StoredMappingMergesAndRefusesChangedFields) {
  const std::string settings = R"({"index":{"knn":true}})";
  const std::string mappings = R"({"properties":{"v":{"type":"knn_vector","dimension":4}}})";
  auto update = ParsePutMappingBody(R"({"properties":{"tag":{"type":"keyword"}}})");
  ASSERT_TRUE(update.ok());
  auto merged = MergeStoredMapping(settings, mappings, *update);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  auto reparsed = ParseCreateIndexBody("{\"settings\":" + settings + ",\"mappings\":" + *merged +
                                       "}");
  ASSERT_TRUE(reparsed.ok()) << *merged;
  EXPECT_NE(merged->find("\"tag\":{\"type\":\"keyword\"}"), std::string::npos) << *merged;
  EXPECT_NE(merged->find("\"dimension\":4"), std::string::npos) << *merged;
  auto changed = ParsePutMappingBody(R"({"properties":{"v":{"type":"knn_vector","dimension":8}}})");
  ASSERT_TRUE(changed.ok());
  auto refused = MergeStoredMapping(settings, *merged, *changed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(server::HttpStatusFor(refused.status()), 400);
}

TEST(IndexCodec, StoredSettingsUpdateValidatesLikeOneNode) {
  const std::string settings = R"({"index":{"knn":true,"refresh_interval":"1s"}})";
  int replicas = 1;
  auto update = ParseSettingsUpdateBody(
      R"({"index":{"number_of_replicas":2,"max_result_window":500}})");
  ASSERT_TRUE(update.ok());
  auto next = ApplyStoredSettingsUpdate(settings, 3, &replicas, *update, "docs/u1");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(replicas, 2);
  auto reparsed = ParseCreateIndexBody("{\"settings\":" + *next + "}");
  ASSERT_TRUE(reparsed.ok()) << *next;
  EXPECT_EQ(reparsed->settings.at("index.max_result_window"), "500");
  EXPECT_EQ(reparsed->settings.at("index.knn"), "true");
  EXPECT_EQ(reparsed->settings.at("index.number_of_shards"), "3");
  for (const char* body : {R"({"index.number_of_shards":4})", R"({"index.no_such_thing":1})",
                           R"({"index.max_result_window":"lots"})"}) {
    auto bad = ParseSettingsUpdateBody(body);
    ASSERT_TRUE(bad.ok()) << body;
    int unchanged = 2;
    auto refused = ApplyStoredSettingsUpdate(*next, 3, &unchanged, *bad, "docs/u1");
    EXPECT_FALSE(refused.ok()) << body;
    EXPECT_EQ(server::HttpStatusFor(refused.status()), 400) << body;
    EXPECT_EQ(unchanged, 2) << body;
  }
}

}  // namespace
}  // namespace lookalike::es
