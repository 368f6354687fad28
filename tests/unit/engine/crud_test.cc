// Documents: index/create/get/delete/update, versions and sequence numbers, bulk.
#include <cmath>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

TEST(Crud, IndexGetUpdateDelete) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "docs", "").ok());

  auto r1 = engine->IndexDocument("docs", "1", R"({"title":"Hello World","n":5})", OpType::kIndex,
                                  RefreshPolicy::kFalse);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(WriteResultName(r1->result), "created");
  EXPECT_EQ(es::WriteOutcomeHttpStatus(*r1), 201);
  EXPECT_EQ(r1->version, 1);
  Json b1(es::RenderWriteOutcome(*r1));
  EXPECT_EQ(b1.Str("/result"), "created");
  EXPECT_EQ(b1.Int("/_version"), 1);

  auto r2 = engine->IndexDocument("docs", "1", R"({"title":"Hello again","n":6})", OpType::kIndex,
                                  RefreshPolicy::kFalse);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(WriteResultName(r2->result), "updated");
  EXPECT_EQ(r2->version, 2);
  EXPECT_GT(r2->seq_no, r1->seq_no);

  auto dup = engine->IndexDocument("docs", "1", R"({"x":1})", OpType::kCreate,
                                   RefreshPolicy::kFalse);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kConflict);
  EXPECT_EQ(dup.status().type(), "version_conflict_engine_exception");

  auto got = GetDoc(*engine, "docs", "1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->http_status, 200);
  Json g(got->body);
  EXPECT_EQ(g.Str("/_source/title"), "Hello again");
  EXPECT_EQ(g.Int("/_version"), 2);

  auto upd = Update(*engine, "docs", "1", R"({"doc":{"n":7,"extra":"x"}})",
                                    RefreshPolicy::kFalse);
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ(WriteResultName(upd->result), "updated");
  EXPECT_EQ(upd->version, 3);
  Json g2(GetDoc(*engine, "docs", "1")->body);
  EXPECT_EQ(g2.Int("/_source/n"), 7);
  EXPECT_EQ(g2.Str("/_source/extra"), "x");
  EXPECT_EQ(g2.Str("/_source/title"), "Hello again");

  auto noop = Update(*engine, "docs", "1", R"({"doc":{"n":7}})", RefreshPolicy::kFalse);
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(WriteResultName(noop->result), "noop");

  auto missing = Update(*engine, "docs", "nope", R"({"doc":{"n":1}})",
                                        RefreshPolicy::kFalse);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().type(), "document_missing_exception");

  auto del = engine->DeleteDocument("docs", "1", RefreshPolicy::kFalse);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(WriteResultName(del->result), "deleted");
  auto del2 = engine->DeleteDocument("docs", "1", RefreshPolicy::kFalse);
  ASSERT_TRUE(del2.ok());
  EXPECT_EQ(WriteResultName(del2->result), "not_found");
  EXPECT_EQ(es::WriteOutcomeHttpStatus(*del2), 404);
  auto gone = GetDoc(*engine, "docs", "1");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->http_status, 404);
  EXPECT_FALSE(Json(gone->body).At("/found").get_bool().value());
}

TEST(Crud, GeneratedIdsAndAutoCreate) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  auto r = engine->IndexDocument("auto", "", R"({"a":1})", OpType::kIndex, RefreshPolicy::kTrue);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id.size(), 20u);
  EXPECT_TRUE(engine->IndexExists("auto"));
  auto got = GetDoc(*engine, "auto", r->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->http_status, 200);
  auto bad = engine->IndexDocument("Bad", "1", R"({"a":1})", OpType::kIndex, RefreshPolicy::kFalse);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().type(), "invalid_index_name_exception");
}

TEST(Crud, BulkMixedItems) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "b", R"({"mappings":{"properties":{"n":{"type":"long"},
                      "v":{"type":"knn_vector","dimension":2}}}})")
                  .ok());
  std::string ndjson =
      "{\"index\":{\"_id\":\"1\"}}\n{\"n\":1,\"v\":[1,2]}\n"
      "{\"create\":{\"_id\":\"1\"}}\n{\"n\":2}\n"                  // conflict
      "{\"index\":{\"_id\":\"2\"}}\n{\"n\":\"abc\"}\n"              // bad number
      "{\"index\":{\"_id\":\"3\"}}\n{\"v\":[1,2,3]}\n"              // wrong dimension
      "{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{\"n\":5}}\n"
      "{\"delete\":{\"_id\":\"9\"}}\n"
      "{\"index\":{\"_index\":\"other\",\"_id\":\"x\"}}\n{\"k\":\"v\"}\n"
      "{\"index\":{\"_id\":\"4\"}}\n{not json}\n";
  auto r = Bulk(*engine, "b", ndjson, RefreshPolicy::kWaitFor);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json j(*r);
  EXPECT_TRUE(j.At("/errors").get_bool().value());
  EXPECT_EQ(j.Int("/items/0/index/status"), 201);
  EXPECT_EQ(j.Int("/items/1/create/status"), 409);
  EXPECT_EQ(j.Str("/items/1/create/error/type"), "version_conflict_engine_exception");
  EXPECT_EQ(j.Int("/items/2/index/status"), 400);
  EXPECT_EQ(j.Str("/items/2/index/error/type"), "mapper_parsing_exception");
  EXPECT_EQ(j.Int("/items/3/index/status"), 400);
  EXPECT_EQ(j.Int("/items/4/update/status"), 200);
  EXPECT_EQ(j.Int("/items/4/update/_version"), 2);
  EXPECT_EQ(j.Int("/items/5/delete/status"), 404);
  EXPECT_EQ(j.Int("/items/6/index/status"), 201);
  EXPECT_EQ(j.Int("/items/7/index/status"), 400);
  Json g(GetDoc(*engine, "b", "1")->body);
  EXPECT_EQ(g.Int("/_source/n"), 5);
  EXPECT_EQ(g.Int("/_source/v/1"), 2);  // vectors come back in _source
  EXPECT_TRUE(engine->IndexExists("other"));

  // Framing errors fail the whole request.
  auto unterminated = Bulk(*engine, "b", "{\"index\":{}}\n{\"n\":1}", RefreshPolicy::kFalse);
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().code(), StatusCode::kInvalidArgument);
  auto bad_action = Bulk(*engine, "b", "{\"frobnicate\":{}}\n", RefreshPolicy::kFalse);
  ASSERT_FALSE(bad_action.ok());
  auto empty = Bulk(*engine, "b", "", RefreshPolicy::kFalse);
  ASSERT_FALSE(empty.ok());
  auto garbage = Bulk(*engine, "b", "not json\n", RefreshPolicy::kFalse);
  ASSERT_FALSE(garbage.ok());
}

WriteOp IndexOp(std::string id, std::string source, std::vector<FieldVector> vectors) {
  WriteOp op;
  op.index = "vv";
  op.id = std::move(id);
  op.source = std::move(source);
  op.vectors = std::move(vectors);
  return op;
}

std::vector<double> SourceVector(Engine& engine, const std::string& id) {
  std::vector<double> out;
  auto got = GetDoc(engine, "vv", id);
  if (!got.ok()) {
    ADD_FAILURE() << got.status().ToString();
    return out;
  }
  Json g(got->body);
  simdjson::dom::array values;
  if (g.At("/_source/emb").get_array().get(values) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element x : values) out.push_back(double(x));
  return out;
}

// WriteOp::vectors: vectors handed over as values are validated like source vectors, searched,
// and returned in _source after the document's own members; updates replace them, or are
// noops when the vector is unchanged.
TEST(Crud, VectorsHandedOverAsValues) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "vv", R"({"settings":{"index.knn":true},"mappings":{
      "properties":{"emb":{"type":"knn_vector","dimension":3},"tag":{"type":"keyword"}}}})")
                  .ok());
  auto w = engine->WriteDocument(IndexOp("1", R"({"tag":"a"})", {{"emb", {1, 0, 0}}}),
                                 RefreshPolicy::kWaitFor);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->result, WriteResultKind::kCreated);
  Json g(GetDoc(*engine, "vv", "1")->body);
  EXPECT_EQ(simdjson::minify(g.At("/_source")), R"({"tag":"a","emb":[1,0,0]})");
  auto hits = SearchJson(*engine, "vv", R"({"query":{"knn":{"emb":{"vector":[1,0,0],"k":1}}}})");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIds(*hits), std::vector<std::string>{"1"});

  // Refused like a bad vector in the source, singly and per item.
  for (auto [field, values] : {std::pair<std::string, std::vector<float>>{"emb", {1, 2}},
                               {"emb", {1, NAN, 0}},
                               {"emb", {}},
                               {"tag", {1, 2, 3}},
                               {"nope", {1, 2, 3}}}) {
    auto bad = engine->WriteDocument(IndexOp("2", "{}", {{field, values}}), RefreshPolicy::kFalse);
    ASSERT_FALSE(bad.ok()) << field;
    EXPECT_EQ(bad.status().type(), "mapper_parsing_exception") << bad.status().message();
  }
  auto twice = engine->WriteDocument(IndexOp("2", R"({"emb":[0,1,0]})", {{"emb", {1, 0, 0}}}),
                                     RefreshPolicy::kFalse);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("one vector per field"), std::string::npos);
  EXPECT_FALSE(GetDoc(*engine, "vv", "2")->http_status == 200);

  // Update: the same vector is a noop, a new one replaces the stored one.
  WriteOp same;
  same.kind = WriteKind::kUpdate;
  same.index = "vv";
  same.id = "1";
  same.partial_doc = R"({"tag":"a"})";
  same.vectors = {{"emb", {1, 0, 0}}};
  auto noop = engine->WriteDocument(same, RefreshPolicy::kFalse);
  ASSERT_TRUE(noop.ok()) << noop.status().ToString();
  EXPECT_EQ(noop->result, WriteResultKind::kNoop);
  WriteOp changed = same;
  changed.vectors = {{"emb", {0, 0, 1}}};
  auto updated = engine->WriteDocument(changed, RefreshPolicy::kWaitFor);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->result, WriteResultKind::kUpdated);
  EXPECT_EQ(SourceVector(*engine, "1"), (std::vector<double>{0, 0, 1}));
  hits = SearchJson(*engine, "vv", R"({"query":{"knn":{"emb":{"vector":[0,0,1],"k":1}}}})");
  EXPECT_EQ(HitIds(*hits), std::vector<std::string>{"1"});

  // In one Write: a document written with a vector, then updated in the same batch, keeps it;
  // an upsert takes the upsert's vectors.
  WriteOp touch;
  touch.kind = WriteKind::kUpdate;
  touch.index = "vv";
  touch.id = "3";
  touch.partial_doc = R"({"tag":"b"})";
  WriteOp upsert = touch;
  upsert.id = "4";
  upsert.partial_doc.reset();
  upsert.upsert = R"({"tag":"u"})";
  upsert.upsert_vectors = {{"emb", {0, 1, 0}}};
  std::vector<WriteOp> ops;
  ops.push_back(IndexOp("3", R"({"tag":"a"})", {{"emb", {0, 1, 1}}}));
  ops.push_back(touch);
  ops.push_back(upsert);
  auto batch = engine->Write(std::move(ops), RefreshPolicy::kWaitFor);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ((*batch)[1].result, WriteResultKind::kUpdated);
  EXPECT_EQ((*batch)[2].result, WriteResultKind::kCreated);
  for (const WriteOutcome& o : *batch) EXPECT_TRUE(o.status.ok()) << o.status.ToString();
  EXPECT_EQ(SourceVector(*engine, "3"), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(Json(GetDoc(*engine, "vv", "3")->body).Str("/_source/tag"), "b");
  EXPECT_EQ(SourceVector(*engine, "4"), (std::vector<double>{0, 1, 0}));
}

// Write(): per-item failures are Status values with their index and id; an invalid index name
// fails only its items, a missing index fails updates and deletes but is created for index.
TEST(Crud, WriteReturnsTypedOutcomes) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  std::vector<WriteOp> ops(4);
  ops[0].index = "Bad";
  ops[0].source = "{}";
  ops[1].index = "fresh";
  ops[1].source = R"({"n":1})";
  ops[2].kind = WriteKind::kDelete;
  ops[2].index = "missing";
  ops[2].id = "1";
  ops[3].kind = WriteKind::kUpdate;
  ops[3].index = "fresh";
  ops[3].id = "nope";
  ops[3].partial_doc = "{}";
  auto r = engine->Write(std::move(ops), RefreshPolicy::kFalse);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].status.type(), "invalid_index_name_exception");
  EXPECT_EQ((*r)[0].index, "Bad");
  EXPECT_TRUE((*r)[1].status.ok());
  EXPECT_EQ((*r)[1].id.size(), 20u);  // generated
  EXPECT_EQ((*r)[1].result, WriteResultKind::kCreated);
  EXPECT_EQ((*r)[2].status.type(), "index_not_found_exception");
  EXPECT_EQ((*r)[3].status.type(), "document_missing_exception");
  EXPECT_EQ((*r)[3].id, "nope");
  engine->Shutdown();
  EXPECT_FALSE(engine->Write({}, RefreshPolicy::kFalse).ok());  // unavailable
}

// Optimistic concurrency: if_seq_no + if_primary_term guard index, update and delete, singly
// and in _bulk; a stale seq_no, a missing document or a term other than 1 is a 409.
TEST(Crud, ConditionalWrites) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  auto first = engine->IndexDocument("cas", "1", R"({"n":1})", OpType::kIndex,
                                     RefreshPolicy::kFalse);
  ASSERT_TRUE(first.ok());
  int64_t seq = first->seq_no;
  WriteCondition stale{seq + 100, 1};
  auto conflict = engine->IndexDocument("cas", "1", R"({"n":2})", OpType::kIndex,
                                        RefreshPolicy::kFalse, stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.status().type(), "version_conflict_engine_exception");
  EXPECT_NE(conflict.status().message().find("current document has seqNo [" +
                                             std::to_string(seq) + "]"),
            std::string::npos)
      << conflict.status().message();
  EXPECT_FALSE(engine->IndexDocument("cas", "1", R"({"n":2})", OpType::kIndex,
                                     RefreshPolicy::kFalse, WriteCondition{seq, 2})
                   .ok());  // wrong primary term
  EXPECT_FALSE(engine->IndexDocument("cas", "nope", R"({"n":2})", OpType::kIndex,
                                     RefreshPolicy::kFalse, WriteCondition{seq, 1})
                   .ok());  // no such document
  EXPECT_EQ(Json(GetDoc(*engine, "cas", "1")->body).Int("/_source/n"), 1);

  auto second = engine->IndexDocument("cas", "1", R"({"n":2})", OpType::kIndex,
                                      RefreshPolicy::kFalse, WriteCondition{seq, 1});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(Update(*engine, "cas", "1", R"({"doc":{"n":3}})", RefreshPolicy::kFalse,
                                      WriteCondition{seq, 1})
                   .ok());  // the old seq_no no longer matches
  auto third = Update(*engine, "cas", "1", R"({"doc":{"n":3}})", RefreshPolicy::kFalse,
                                      WriteCondition{second->seq_no, 1});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_FALSE(engine->DeleteDocument("cas", "1", RefreshPolicy::kFalse,
                                      WriteCondition{second->seq_no, 1})
                   .ok());
  EXPECT_EQ(Json(GetDoc(*engine, "cas", "1")->body).Int("/_source/n"), 3);

  // _bulk: the condition sits in the action; items see earlier items of the same request.
  std::string s3 = std::to_string(third->seq_no);
  std::string bulk =
      "{\"index\":{\"_index\":\"cas\",\"_id\":\"1\",\"if_seq_no\":" + s3 +
      ",\"if_primary_term\":1}}\n{\"n\":4}\n"
      "{\"delete\":{\"_index\":\"cas\",\"_id\":\"1\",\"if_seq_no\":" + s3 +
      ",\"if_primary_term\":1}}\n";
  auto r = Bulk(*engine, "", bulk, RefreshPolicy::kFalse);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json b(*r);
  EXPECT_TRUE(b.At("/errors").get_bool().value());
  EXPECT_EQ(b.Int("/items/0/index/status"), 200);
  EXPECT_EQ(b.Int("/items/1/delete/status"), 409);  // the index above moved seq_no on
  EXPECT_EQ(b.Str("/items/1/delete/error/type"), "version_conflict_engine_exception");
  EXPECT_EQ(Json(GetDoc(*engine, "cas", "1")->body).Int("/_source/n"), 4);

  // Half a condition, or a non-integer, is refused before anything is written.
  auto half = Bulk(*engine, "", "{\"index\":{\"_index\":\"cas\",\"_id\":\"1\",\"if_seq_no\":1}}\n{}\n",
                           RefreshPolicy::kFalse);
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().type(), "action_request_validation_exception");
  auto text = Bulk(*engine, "", "{\"index\":{\"_index\":\"cas\",\"_id\":\"1\",\"if_seq_no\":\"x\","
                           "\"if_primary_term\":1}}\n{}\n",
                           RefreshPolicy::kFalse);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().type(), "illegal_argument_exception");
  std::string two = "2", minus = "-1", one = "1";
  EXPECT_TRUE(ParseWriteCondition(&two, &one).ok());
  EXPECT_FALSE(ParseWriteCondition(&minus, &one).ok());
  EXPECT_FALSE(ParseWriteCondition(&two, nullptr).ok());
  EXPECT_FALSE(ParseWriteCondition(nullptr, nullptr)->active());
}

TEST(Crud, IndexManagement) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "a1", R"({"settings":{"index":{"number_of_shards":1,
      "number_of_replicas":0,"knn":true,"knn.algo_param.ef_search":256},"refresh_interval":"-1"}})")
                  .ok());
  auto again = es::CreateIndexJson(*engine, "a1", "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().type(), "resource_already_exists_exception");
  EXPECT_EQ(IndexNameOf(again.status()), "a1");
  for (const char* bad : {"UPPER", "..", "a/b", "_x", "-x", "+x", "a b", "a*", "a,b", "a#",
                          "a\"b", "a|b", "a<b", "a?b", "a\\b", ""}) {
    auto s = es::CreateIndexJson(*engine, bad, "");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().type(), "invalid_index_name_exception") << bad;
  }
  EXPECT_FALSE(es::CreateIndexJson(*engine, std::string(256, 'a'), "").ok());
  auto bad_json = es::CreateIndexJson(*engine, "b1", "{nope");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().type(), "parsing_exception");
  auto settings = es::GetSettingsJson(*engine, "a1");
  ASSERT_TRUE(settings.ok());
  Json s(*settings);
  EXPECT_EQ(s.Str("/a1/settings/index/knn"), "true");
  EXPECT_EQ(s.Str("/a1/settings/index/refresh_interval"), "-1");
  EXPECT_EQ(engine->ListIndices().size(), 1u);
  ASSERT_TRUE(es::DeleteIndexJson(*engine, "a1").ok());
  EXPECT_FALSE(engine->IndexExists("a1"));
  auto missing = es::DeleteIndexJson(*engine, "a1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().type(), "index_not_found_exception");
  EXPECT_EQ(IndexNameOf(missing.status()), "a1");
  EXPECT_TRUE(Json(es::ClusterHealthJson(*engine)).Has("/status"));
}

}  // namespace
}  // namespace lookalike::testing
