// Write-time limits (mapping size and depth, request nesting, bool clauses, UTF-8) and the
// promise behind them: whatever was accepted loads again after a restart, and an index that
// cannot be loaded does not take the node down.
#include <filesystem>

#include "engine_test_util.h"
#include "common/json_writer.h"
#include "storage/doc_store.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

std::string Nested(int levels, const std::string& leaf) {
  std::string doc;
  for (int i = 0; i < levels; ++i) doc += "{\"a\":";
  doc += leaf;
  for (int i = 0; i < levels; ++i) doc += "}";
  return doc;
}

std::string ManyFields(int n) {
  std::string doc = "{";
  for (int i = 0; i < n; ++i) doc += (i ? ",\"f" : "\"f") + std::to_string(i) + "\":1";
  return doc + "}";
}

Status IndexDoc(Engine& engine, const std::string& index, const std::string& id,
                const std::string& source) {
  return engine.IndexDocument(index, id, source, OpType::kIndex, RefreshPolicy::kFalse).status();
}

TEST(Limits, DeepDocumentIsRefusedAndTheNodeRestarts) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    // Deeper than any request may nest: refused before mapping is even considered.
    Status deep = IndexDoc(*engine, "s", "1", Nested(515, "1"));
    EXPECT_TRUE(deep.IsInvalidArgument()) << deep.ToString();
    EXPECT_NE(deep.message().find("nesting depth"), std::string::npos) << deep.message();
    // Within the request cap but deeper than index.mapping.depth.limit (20).
    Status mapped = IndexDoc(*engine, "s", "2", Nested(30, "1"));
    EXPECT_EQ(mapped.type(), "illegal_argument_exception");
    EXPECT_NE(mapped.message().find("Limit of mapping depth [20] has been exceeded due to "
                                    "object field [a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a]"),
              std::string::npos)
        << mapped.message();
    EXPECT_TRUE(IndexDoc(*engine, "s", "3", "{\"b\":" + Nested(18, "1") + "}").ok());
    // The refused document mapped nothing beyond the limit.
    auto mapping = es::GetMappingJson(*engine, "s");
    ASSERT_TRUE(mapping.ok());
    EXPECT_EQ(mapping->find("\"mappings\":{\"properties\":{\"a\""), std::string::npos)
        << *mapping;
    EXPECT_NE(mapping->find("\"mappings\":{\"properties\":{\"b\""), std::string::npos)
        << *mapping;
    engine->Shutdown();
  }
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  auto info = engine->ListIndices();
  ASSERT_EQ(info.size(), 1u);
  EXPECT_NE(info[0].health, "red");
  EXPECT_EQ(info[0].docs_count, 1);
}

TEST(Limits, DepthLimitIsASetting) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "d", R"({"settings":{"index.mapping.depth.limit":2}})").ok());
  EXPECT_TRUE(IndexDoc(*engine, "d", "1", R"({"a":{"b":{"c":1}}})").ok());
  Status s = IndexDoc(*engine, "d", "2", R"({"e":{"f":{"g":{"h":1}}}})");
  EXPECT_NE(s.message().find("Limit of mapping depth [2] has been exceeded due to object field "
                             "[e.f.g]"),
            std::string::npos)
      << s.ToString();
  // Dotted names create implicit parent objects, which count too.
  EXPECT_FALSE(IndexDoc(*engine, "d", "3", R"({"x.y.z.w":1})").ok());
  Status put = es::PutMappingJson(*engine, 
                           "d", R"({"properties":{"p":{"properties":{"q":{"properties":{
                                  "s":{"properties":{"r":{"type":"keyword"}}}}}}}}})")
                   .status();
  EXPECT_EQ(put.type(), "illegal_argument_exception") << put.ToString();
  Status create = es::CreateIndexJson(*engine, "d2", R"({"settings":{"index.mapping.depth.limit":1},
      "mappings":{"properties":{"o":{"properties":{"i":{"properties":{"k":{"type":"long"}}}}}}}})")
                      .status();
  EXPECT_NE(create.message().find("Limit of mapping depth [1]"), std::string::npos)
      << create.ToString();
  EXPECT_FALSE(engine->IndexExists("d2"));
  EXPECT_FALSE(es::CreateIndexJson(*engine, "d3", R"({"settings":{"index.mapping.depth.limit":0}})").ok());
}

TEST(Limits, TotalFieldsLimit) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    Status s = IndexDoc(*engine, "t", "1", ManyFields(1001));
    EXPECT_EQ(s.type(), "illegal_argument_exception");
    EXPECT_NE(s.message().find("Limit of total fields [1000] has been exceeded"), std::string::npos)
        << s.message();
    // All or nothing: the refused document mapped none of its 1001 fields.
    EXPECT_EQ(es::GetMappingJson(*engine, "t").value().find("\"f0\""), std::string::npos);
    EXPECT_TRUE(IndexDoc(*engine, "t", "2", ManyFields(1000)).ok());
    // A dynamic string maps to text plus a keyword sub-field: two fields.
    EXPECT_FALSE(IndexDoc(*engine, "t", "3", R"({"new_text":"x"})").ok());
    auto mapping = es::GetMappingJson(*engine, "t");
    ASSERT_TRUE(mapping.ok());
    EXPECT_EQ(mapping->find("new_text"), std::string::npos) << "refused field was mapped";

    ASSERT_TRUE(es::CreateIndexJson(*engine, "big", R"({"settings":{"index":{"mapping":{
        "total_fields":{"limit":2000}}}}})").ok());
    EXPECT_TRUE(IndexDoc(*engine, "big", "1", ManyFields(1500)).ok());

    std::string props = "{\"properties\":{";
    for (int i = 0; i < 1001; ++i) {
      props += (i ? ",\"p" : "\"p") + std::to_string(i) + "\":{\"type\":\"keyword\"}";
    }
    props += "}}";
    EXPECT_FALSE(es::PutMappingJson(*engine, "big2-missing", props).ok());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "pm", "").ok());
    Status put = es::PutMappingJson(*engine, "pm", props).status();
    EXPECT_NE(put.message().find("Limit of total fields [1000]"), std::string::npos)
        << put.ToString();
    EXPECT_EQ(es::GetMappingJson(*engine, "pm").value().find("p1000"), std::string::npos);
    Status create = es::CreateIndexJson(*engine, "cm", "{\"mappings\":" + props + "}").status();
    EXPECT_EQ(create.type(), "illegal_argument_exception") << create.ToString();
    engine->Shutdown();
  }
  // Settings survive the restart and still apply.
  auto engine = OpenEngine(dir.path());
  EXPECT_TRUE(IndexDoc(*engine, "big", "2", ManyFields(1990)).ok());
  EXPECT_FALSE(IndexDoc(*engine, "t", "4", ManyFields(1001)).ok());
}

TEST(Limits, FieldNameLength) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  std::string long_name(256, 'n');
  Status s = IndexDoc(*engine, "f", "1", "{\"" + long_name + "\":1}");
  EXPECT_NE(s.message().find("is longer than the limit of [255] characters"), std::string::npos)
      << s.ToString();
  EXPECT_TRUE(IndexDoc(*engine, "f", "2", "{\"" + std::string(255, 'n') + "\":1}").ok());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "g", R"({"settings":{
      "index.mapping.field_name_length.limit":5,"index.mapping.nested_objects.limit":7}})").ok());
  EXPECT_TRUE(IndexDoc(*engine, "g", "1", R"({"short":{"fives":1}})").ok());
  EXPECT_FALSE(IndexDoc(*engine, "g", "2", R"({"toolong":1})").ok());
  EXPECT_FALSE(
      es::CreateIndexJson(*engine, "h", R"({"settings":{"index.mapping.nested_objects.limit":"x"}})").ok());
}

TEST(Limits, StoredDataDeeperThanTheRequestLimitStillLoads) {
  // A data directory written before the limits existed: a mapping nested 600 objects deep is
  // 1200+ JSON levels, beyond simdjson's default. It must load (never a stricter parse on load).
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "old", "").ok());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "other", "").ok());
    ASSERT_TRUE(IndexDoc(*engine, "other", "1", R"({"k":"v"})").ok());
    engine->Shutdown();
  }
  {
    auto store = storage::DocStore::Open(dir.path() + "/db", {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::string meta;
    for (const auto& [name, m] : (*store)->ListIndexMeta()) {
      if (name == "old") meta = m;
    }
    std::string props = "{\"type\":\"long\"}";
    for (int i = 0; i < 600; ++i) props = "{\"properties\":{\"a\":" + props + "}}";
    size_t at = meta.find("\"mappings\":");
    ASSERT_NE(at, std::string::npos);
    meta = meta.substr(0, at) + "\"mappings\":" + props + "}";
    ASSERT_TRUE((*store)->PutIndexMeta("old", meta).ok());
  }
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  for (const auto& info : engine->ListIndices()) {
    EXPECT_NE(info.health, "red") << info.name << ": " << info.failure;
  }
  EXPECT_TRUE(es::GetMappingJson(*engine, "old").ok());
}

TEST(Limits, TooManyClauses) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(IndexDoc(*engine, "q", "1", R"({"k":"a"})").ok());
  auto bool_query = [](int n) {
    std::string body = R"({"query":{"bool":{"should":[)";
    for (int i = 0; i < n; ++i) body += (i ? "," : "") + std::string(R"({"term":{"k":"a"}})");
    return body + "]}}}";
  };
  EXPECT_TRUE(SearchJson(*engine, "q", bool_query(1024)).ok());
  auto r = SearchJson(*engine, "q", bool_query(1025));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().type(), "search_phase_execution_exception");
  EXPECT_NE(r.status().message().find("maxClauseCount is set to 1024"), std::string::npos);
  EXPECT_FALSE(CountJson(*engine, "q", bool_query(2000)).ok());
  // Nested clauses count wherever they are: 2 × 600 below two bool levels.
  std::string nested = R"({"query":{"bool":{"must":[{"bool":{"should":[)";
  for (int i = 0; i < 600; ++i) nested += (i ? "," : "") + std::string(R"({"term":{"k":"a"}})");
  nested += R"(]}},{"bool":{"filter":[)";
  for (int i = 0; i < 600; ++i) nested += (i ? "," : "") + std::string(R"({"term":{"k":"a"}})");
  nested += "]}}]}}}";
  EXPECT_FALSE(SearchJson(*engine, "q", nested).ok());
  engine->Shutdown();

  EngineOptions options;
  options.data_dir = dir.path();
  options.max_clause_count = 3000;
  auto raised = Engine::Open(options);
  ASSERT_TRUE(raised.ok());
  EXPECT_TRUE(SearchJson(**raised, "q", bool_query(2000)).ok());
  EXPECT_FALSE(SearchJson(**raised, "q", bool_query(3001)).ok());
}

TEST(Limits, InvalidUtf8InNamesAndIds) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  Status name = es::CreateIndexJson(*engine, "bad\xff", "").status();
  EXPECT_EQ(name.type(), "invalid_index_name_exception") << name.ToString();
  EXPECT_FALSE(IndexDoc(*engine, "bad\xc3", "1", "{}").ok());
  Status id = IndexDoc(*engine, "u", "id\xff", "{}");
  EXPECT_EQ(id.type(), "illegal_argument_exception") << id.ToString();
  EXPECT_TRUE(IndexDoc(*engine, "u", "caf\xc3\xa9", "{}").ok());
  // Bulk ids and names arrive inside JSON, which simdjson validates; a raw invalid byte in the
  // NDJSON is a parse error, never a stored name.
  auto bulk = Bulk(*engine, "", "{\"index\":{\"_index\":\"u\",\"_id\":\"b\xff\"}}\n{}\n",
                           RefreshPolicy::kFalse);
  EXPECT_FALSE(bulk.ok() && bulk->find("\"result\":\"created\"") != std::string::npos);
  for (const auto& info : engine->ListIndices()) EXPECT_TRUE(IsValidUtf8(info.name));
  // Echoes of invalid input come back as valid UTF-8.
  auto missing = es::GetMappingJson(*engine, "nope\xff");
  ASSERT_FALSE(missing.ok());
}

TEST(Limits, LongKnnFieldNameSnapshots) {
  TempDir dir;
  std::string field(200, 'v');
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "k", "{\"mappings\":{\"properties\":{\"" + field +
                                             "\":{\"type\":\"knn_vector\",\"dimension\":2}}}}")
                    .ok());
    ASSERT_TRUE(IndexDoc(*engine, "k", "1", "{\"" + field + "\":[1,2]}").ok());
    auto flushed = es::FlushJson(*engine, "k");
    EXPECT_TRUE(flushed.ok()) << flushed.status().ToString();
    engine->Shutdown();
  }
  auto engine = OpenEngine(dir.path());
  auto stats = es::StatsJson(*engine, "k");
  ASSERT_TRUE(stats.ok());
  Json st(*stats);
  std::string pointer = "/indices/k/knn/fields/" + field + "/loaded_from_snapshot";
  EXPECT_TRUE(st.At(pointer.c_str()).get_bool().value());
}

TEST(Limits, LegacySnapshotNamesStillLoad) {
  // Data directories written before vector_files named snapshots by the hex of the field name
  // and had no "vector_files" in the metadata.
  TempDir dir;
  std::string uuid;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "l", R"({"mappings":{"properties":{
        "vec":{"type":"knn_vector","dimension":2}}}})").ok());
    ASSERT_TRUE(IndexDoc(*engine, "l", "1", R"({"vec":[1,2]})").ok());
    ASSERT_TRUE(es::FlushJson(*engine, "l").ok());
    uuid = engine->ListIndices()[0].uuid;
    engine->Shutdown();
  }
  std::string vectors = dir.path() + "/vectors/" + uuid;
  ASSERT_TRUE(std::filesystem::exists(vectors + "/v0.lkv"));
  std::filesystem::rename(vectors + "/v0.lkv", vectors + "/766563.lkv");  // hex("vec")
  {
    auto store = storage::DocStore::Open(dir.path() + "/db", {});
    ASSERT_TRUE(store.ok());
    std::string meta = (*store)->ListIndexMeta()[0].second;
    size_t at = meta.find(",\"vector_files\"");
    ASSERT_NE(at, std::string::npos) << meta;
    // A stem that is not one this code writes is never used as a file name.
    meta = meta.substr(0, at) + ",\"vector_files\":{\"vec\":\"../../escape\"}}";
    ASSERT_TRUE((*store)->PutIndexMeta("l", meta).ok());
  }
  auto engine = OpenEngine(dir.path());
  Json st(es::StatsJson(*engine, "l").value());
  EXPECT_TRUE(st.At("/indices/l/knn/fields/vec/loaded_from_snapshot").get_bool().value());
}

// Corrupts what storage holds for index `victim` after a clean shutdown.
void Corrupt(const std::string& dir, const std::string& victim, bool metadata) {
  auto store = storage::DocStore::Open(dir + "/db", {});
  ASSERT_TRUE(store.ok());
  for (const auto& [name, meta] : (*store)->ListIndexMeta()) {
    if (name != victim) continue;
    if (metadata) {
      ASSERT_TRUE((*store)->PutIndexMeta(name, "{\"uuid\":\"x\", not json").ok());
      return;
    }
    Json parsed(meta);
    storage::IndexSpace* space = (*store)->Space(parsed.Str("/uuid"));
    ASSERT_NE(space, nullptr);
    storage::WriteBatch batch(space);
    storage::DocRecord rec;
    rec.docnum = 0;
    rec.version = 1;
    rec.id = "1";
    rec.source = "{\"broken\":";
    batch.PutDoc(rec, "");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
}

class FailedIndex : public ::testing::TestWithParam<bool> {};

TEST_P(FailedIndex, OthersServeAndDeleteRecovers) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(IndexDoc(*engine, "good", "1", R"({"k":"v"})").ok());
    ASSERT_TRUE(IndexDoc(*engine, "bad", "1", R"({"k":"v"})").ok());
    engine->Shutdown();
  }
  Corrupt(dir.path(), "bad", /*metadata=*/GetParam());
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  // The healthy index serves reads and writes.
  EXPECT_TRUE(GetDoc(*engine, "good", "1").ok());
  EXPECT_TRUE(IndexDoc(*engine, "good", "2", R"({"k":"w"})").ok());
  EXPECT_TRUE(SearchJson(*engine, "_all", "").ok());
  EXPECT_TRUE(SearchJson(*engine, "*", "").ok());
  // The failed one is listed red with its reason, and the cluster is red.
  auto list = engine->ListIndices();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "bad");
  EXPECT_EQ(list[0].health, "red");
  EXPECT_EQ(list[0].status, "open");
  EXPECT_FALSE(list[0].failure.empty());
  EXPECT_NE(list[1].health, "red");
  EXPECT_EQ(Json(es::ClusterHealthJson(*engine)).Str("/status"), "red");
  // Every request to it gets a clear 503-class error.
  for (Status s : {SearchJson(*engine, "bad", "").status(), GetDoc(*engine, "bad", "1").status(),
                   IndexDoc(*engine, "bad", "2", "{}"), es::GetMappingJson(*engine, "bad").status(),
                   es::CreateIndexJson(*engine, "bad", "").status()}) {
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kAlreadyExists)
        << s.ToString();
  }
  EXPECT_TRUE(engine->IndexExists("bad"));
  // Deleting it recovers: the name is free again and the cluster green.
  ASSERT_TRUE(es::DeleteIndexJson(*engine, "bad").ok());
  EXPECT_NE(Json(es::ClusterHealthJson(*engine)).Str("/status"), "red");
  EXPECT_TRUE(es::CreateIndexJson(*engine, "bad", "").ok());
  engine->Shutdown();
  engine = OpenEngine(dir.path());
  for (const auto& info : engine->ListIndices()) EXPECT_NE(info.health, "red") << info.name;
}

INSTANTIATE_TEST_SUITE_P(CorruptMetadataOrDocument, FailedIndex, ::testing::Bool());

}  // namespace
}  // namespace lookalike::testing
