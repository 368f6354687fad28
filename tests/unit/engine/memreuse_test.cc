// Bounded memory under overwrites and delete/re-create: deleted document numbers are reused
// (DocnumPool, WriteIndexGroup, load), stale term postings are collected (FieldIndex), and
// every query, get, count and k-NN search stays right while that happens, also after restarts.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine/docnum_pool.h"
#include "engine/index.h"
#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

using engine::DocnumPool;

TEST(DocnumPool, FreedNumbersWaitForTheirToken) {
  DocnumPool pool;
  DocnumPool::Token token = DocnumPool::NewToken();
  pool.Free({7, 3}, token);
  pool.Mature();
  uint32_t d = 0;
  EXPECT_FALSE(pool.Peek(0, &d));  // the vector removals of 7 and 3 have not run yet
  EXPECT_EQ(pool.free_count(), 2u);
  token.reset();
  pool.Mature();
  ASSERT_EQ(pool.reusable(), 2u);
  ASSERT_TRUE(pool.Peek(0, &d));
  EXPECT_EQ(d, 3u);
  ASSERT_TRUE(pool.Peek(1, &d));
  EXPECT_EQ(d, 7u);
  EXPECT_FALSE(pool.Peek(2, &d));
  pool.Take(1);
  ASSERT_TRUE(pool.Peek(0, &d));
  EXPECT_EQ(d, 7u);
  EXPECT_EQ(pool.free_count(), 1u);
}

TEST(DocnumPool, GroupsMatureInOrderOrAllAtOnceWhenNothingIsPending) {
  DocnumPool pool;
  DocnumPool::Token first = DocnumPool::NewToken();
  DocnumPool::Token second = DocnumPool::NewToken();
  pool.Free({1}, first);
  pool.Free({2}, second);
  pool.Free({}, nullptr);  // nothing freed: no group
  second.reset();
  pool.Mature();
  EXPECT_EQ(pool.reusable(), 0u);  // the older group still waits, so the newer one does too
  pool.Mature(/*all_applied=*/true);
  EXPECT_EQ(pool.reusable(), 2u);
  EXPECT_EQ(pool.free_count(), 2u);
}

// Random writes straight onto an Index (the in-memory structures only), checked after every
// few hundred operations against a brute-force model: term queries, keyword sort terms, term
// counts and the number of postings held.
TEST(PostingsGc, TermQueriesMatchAnOracleUnderRandomWrites) {
  engine::Index index;
  engine::FieldMapping tag;
  tag.path = "tag";
  tag.type = engine::FieldType::kKeyword;
  engine::FieldMapping text;
  text.path = "text";
  text.type = engine::FieldType::kText;
  constexpr uint32_t kDocs = 300;
  std::mt19937 rng(7);
  auto word = [&](int spread) { return "w" + std::to_string(rng() % spread); };
  // The model: per doc, its keyword values in order (first = sort term) and its text tokens.
  std::map<uint32_t, std::vector<std::string>> tags;
  std::map<uint32_t, std::set<std::string>> tokens;
  std::set<std::string> vocabulary;
  int64_t version = 0;
  size_t max_postings = 0;
  for (int op = 0; op < 30000; ++op) {
    uint32_t doc = rng() % kDocs;
    if (rng() % 4 == 0) {
      index.ApplyDelete(doc);
      tags.erase(doc);
      tokens.erase(doc);
    } else {
      // Later writes use newer words, so old terms die out and must be dropped.
      int spread = 8 + op / 1000;
      engine::PreparedDoc prepared;
      std::vector<std::string>& t = tags[doc];
      std::set<std::string>& k = tokens[doc];
      t.clear();
      k.clear();
      for (size_t i = 1 + rng() % 3; i > 0; --i) {
        std::string value = word(spread) + std::to_string(op / 3000);
        if (std::find(t.begin(), t.end(), value) == t.end()) t.push_back(value);
        prepared.values.push_back({&tag, value, 0});
        vocabulary.insert(value);
      }
      std::string sentence = word(spread) + " " + word(spread) + " X" + word(3);
      prepared.values.push_back({&text, sentence, 0});
      for (const std::string& token : engine::Tokenize(sentence)) {
        k.insert(token);
        vocabulary.insert(token);
      }
      ++version;
      index.ApplyDoc(doc, "id" + std::to_string(doc), version, version, prepared);
    }
    if (!index.fields.count("tag")) continue;  // nothing indexed yet
    const engine::FieldIndex& tags_index = *index.fields.at("tag");
    max_postings = std::max(max_postings, tags_index.posting_count());
    if (op % 500 != 499) continue;
    for (const std::string& term : vocabulary) {
      engine::Bitset got(index.slots.size());
      tags_index.Term(term, index.slots, &got);
      engine::Bitset got_text(index.slots.size());
      index.fields.at("text")->Term(term, index.slots, &got_text);
      for (uint32_t d = 0; d < kDocs; ++d) {
        bool want = tags.count(d) && std::count(tags[d].begin(), tags[d].end(), term) > 0;
        ASSERT_EQ(got.Test(d), want) << "tag " << term << " doc " << d << " op " << op;
        bool want_text = tokens.count(d) && tokens[d].count(term) > 0;
        ASSERT_EQ(got_text.Test(d), want_text) << "text " << term << " doc " << d << " op " << op;
      }
    }
    engine::Bitset all(index.slots.size());
    all.SetAll();
    std::map<std::string, int64_t> counted;
    tags_index.CountTerms(all, index.slots,
                          [&](std::string_view t, int64_t n) { counted[std::string(t)] = n; });
    std::map<std::string, int64_t> expected;
    for (const auto& [d, values] : tags) {
      for (const std::string& v : values) ++expected[v];
      const std::string* first = tags_index.TermOf(d);
      ASSERT_NE(first, nullptr) << d;
      EXPECT_EQ(*first, values.front()) << d;
    }
    EXPECT_EQ(counted, expected) << op;
    EXPECT_LE(tags_index.term_count(), 2 * 3 * kDocs + 1024) << op;
  }
  // Collection keeps the postings below twice the most ever live (at most 3 per document) plus
  // the floor; without it every write would have stayed: about 22,000 writes of two tags each.
  EXPECT_LE(max_postings, 2 * 3 * kDocs + 1024);
}

// A search matches under the data lock and fetches its hits after releasing it; it tells a
// document that took a reused number apart from the one that matched by the incarnation.
TEST(DocnumReuse, IncarnationChangesWhenANumberIsReusedNotOnUpdate) {
  engine::Index index;
  engine::PreparedDoc doc;
  index.ApplyDoc(4, "a", 1, 1, doc);
  uint32_t first = index.slots[4].incarnation;
  index.ApplyDoc(4, "a", 2, 2, doc);  // an update of the same document
  EXPECT_EQ(index.slots[4].incarnation, first);
  index.ApplyDelete(4);
  EXPECT_TRUE(index.slots[4].id.empty());  // a dead slot keeps no id
  EXPECT_EQ(index.ids.count("a"), 0u);
  index.ApplyDoc(4, "b", 1, 3, doc);  // another document takes the number
  EXPECT_NE(index.slots[4].incarnation, first);
  EXPECT_EQ(index.ids.at("b"), 4u);
}

const char* kMapping = R"({"mappings":{"properties":{
    "v":{"type":"knn_vector","dimension":3,
         "method":{"name":"hnsw","space_type":"l2","parameters":{"encoder":"none"}}},
    "tag":{"type":"keyword"},"n":{"type":"long"}}}})";

// Old documents sit at x = i, y = 0; new ones at x = i, y = 50: a query at an old document's
// place finds a surviving old neighbour at distance 1, never a new document at distance 2500.
std::string OldDoc(int i) {
  return "{\"v\":[" + std::to_string(i) + ",0,0],\"tag\":\"old" + std::to_string(i % 5) +
         "\",\"n\":" + std::to_string(i) + "}";
}
std::string NewDoc(int i) {
  return "{\"v\":[" + std::to_string(i) + ",50,0],\"tag\":\"new" + std::to_string(i % 5) +
         "\",\"n\":" + std::to_string(1000 + i) + "}";
}

int64_t CountOf(Engine& engine, const std::string& body) {
  auto c = CountJson(engine, "m", body);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? Json(*c).Int("/count") : -1;
}

// The docnum of every document, from the _doc sort value (index 0 of the request: the docnum).
std::map<std::string, int64_t> Docnums(Engine& engine) {
  auto r = SearchJson(engine, "m", R"({"size":10000,"_source":false,"sort":["_doc"]})");
  EXPECT_TRUE(r.ok());
  std::map<std::string, int64_t> out;
  Json j(*r);
  for (auto hit : j.At("/hits/hits").get_array()) {
    std::string_view id = hit["_id"].get_string().value();
    out[std::string(id)] = hit["sort"].at(0).get_int64().value();
  }
  return out;
}

// Checks the state after old docs 0..99 minus the deleted even ones < 2*deleted, plus new docs
// "n<i>" for i < created.
void ExpectConsistent(Engine& engine, int deleted, int created) {
  ASSERT_TRUE(es::RefreshJson(engine, "m").ok());
  EXPECT_EQ(CountOf(engine, ""), 100 - deleted + created);
  EXPECT_EQ(CountOf(engine, R"({"query":{"term":{"tag":"new1"}}})"), (created + 3) / 5);
  EXPECT_EQ(CountOf(engine, R"({"query":{"range":{"n":{"gte":1000}}}})"), created);
  EXPECT_EQ(CountOf(engine, R"({"query":{"terms":{"tag":["old0","old1","old2","old3","old4"]}}})"),
            100 - deleted);
  for (int i = 0; i < 2 * deleted; i += 2) {
    std::string old_id = "o" + std::to_string(i);
    EXPECT_EQ(GetDoc(engine, "m", old_id)->http_status, 404) << old_id;
    // The deleted vector never comes back, under any label.
    auto knn = SearchJson(engine, "m", "{\"size\":1,\"query\":{\"knn\":{\"v\":{\"vector\":[" +
                                      std::to_string(i) + ",0,0],\"k\":1}}}}");
    ASSERT_TRUE(knn.ok());
    std::vector<std::string> ids = HitIds(*knn);
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0][0], 'o') << "old vector " << i << " found as " << ids[0];
    EXPECT_NE(ids[0], old_id);
  }
  for (int i = 0; i < created; ++i) {
    std::string id = "n" + std::to_string(i);
    auto got = GetDoc(engine, "m", id);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->http_status, 200) << id;
    EXPECT_EQ(Json(got->body).Int("/_source/n"), 1000 + i);
    auto knn = SearchJson(engine, "m", "{\"size\":1,\"query\":{\"knn\":{\"v\":{\"vector\":[" +
                                      std::to_string(i) + ",50,0],\"k\":1}}}}");
    ASSERT_TRUE(knn.ok());
    EXPECT_EQ(HitIds(*knn), std::vector<std::string>{id});
  }
}

int64_t DeletedDocs(Engine& engine) {
  auto stats = es::StatsJson(engine, "m");
  EXPECT_TRUE(stats.ok());
  return stats.ok() ? Json(*stats).Int("/indices/m/primaries/docs/deleted") : -1;
}

std::string BulkOf(const std::string& prefix, int from, int to, bool fresh) {
  std::string bulk;
  for (int i = from; i < to; ++i) {
    bulk += "{\"index\":{\"_id\":\"" + prefix + std::to_string(i) + "\"}}\n" +
            (fresh ? NewDoc(i) : OldDoc(i)) + "\n";
  }
  return bulk;
}

std::string DeleteEvens(int count) {
  std::string bulk;
  for (int i = 0; i < 2 * count; i += 2)
    bulk += "{\"delete\":{\"_id\":\"o" + std::to_string(i) + "\"}}\n";
  return bulk;
}

TEST(DocnumReuse, NewDocumentsTakeDeletedNumbers) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "m", kMapping).ok());
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("o", 0, 100, false), RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(Bulk(*engine, "m", DeleteEvens(20), RefreshPolicy::kTrue).ok());
  EXPECT_EQ(DeletedDocs(*engine), 20);
  std::set<int64_t> freed;
  for (int i = 0; i < 40; i += 2) freed.insert(i);  // o<i> was created i-th: docnum i
  // 15 new documents: all of them take numbers of deleted ones (nothing is pending any more).
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("n", 0, 15, true), RefreshPolicy::kTrue).ok());
  auto docnums = Docnums(*engine);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(freed.count(docnums["n" + std::to_string(i)]), 1u) << i;
  }
  EXPECT_EQ(DeletedDocs(*engine), 5);
  ExpectConsistent(*engine, 20, 15);
  // Overwrites keep their number; the next creates use the 5 left, then new numbers.
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("n", 0, 25, true), RefreshPolicy::kTrue).ok());
  docnums = Docnums(*engine);
  int64_t highest = 0;
  for (const auto& [id, d] : docnums) highest = std::max(highest, d);
  EXPECT_EQ(highest, 104);  // 100 old + 25 new - 20 deleted = 105 documents, no holes
  EXPECT_EQ(DeletedDocs(*engine), 0);
  ExpectConsistent(*engine, 20, 25);
}

// Many rounds of deleting and re-creating keep the numbers (and so slots, columns and vector
// labels) bounded. The deletes wait for their vector removals so that every create finds the
// numbers reusable (without waiting, a create may or may not find them, by timing).
TEST(DocnumReuse, DeleteRecreateRoundsStayBounded) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "m", kMapping).ok());
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("o", 0, 100, false), RefreshPolicy::kTrue).ok());
  for (int round = 0; round < 20; ++round) {
    std::string bulk;
    for (int i = 0; i < 100; i += 2)
      bulk += "{\"delete\":{\"_id\":\"o" + std::to_string(i) + "\"}}\n";
    ASSERT_TRUE(Bulk(*engine, "m", bulk, RefreshPolicy::kWaitFor).ok());
    bulk.clear();
    for (int i = 0; i < 100; i += 2) {
      bulk += "{\"index\":{\"_id\":\"o" + std::to_string(i) + "\"}}\n" + OldDoc(i) + "\n";
    }
    ASSERT_TRUE(Bulk(*engine, "m", bulk, RefreshPolicy::kFalse).ok());
  }
  ASSERT_TRUE(es::RefreshJson(*engine, "m").ok());
  auto docnums = Docnums(*engine);
  ASSERT_EQ(docnums.size(), 100u);
  // Without reuse the last round would end at 100 + 20 * 50.
  for (const auto& [id, d] : docnums) EXPECT_LT(d, 100) << id;
  EXPECT_EQ(DeletedDocs(*engine), 0);
  ExpectConsistent(*engine, 0, 0);
  for (int i = 0; i < 100; ++i) {
    auto knn = SearchJson(*engine, "m", "{\"size\":1,\"query\":{\"knn\":{\"v\":{\"vector\":[" +
                                       std::to_string(i) + ",0,0],\"k\":1}}}}");
    EXPECT_EQ(HitIds(*knn), std::vector<std::string>{"o" + std::to_string(i)});
  }
}

// Restart after reuse: the delete left a tombstone with an older seq_no for the same number
// that the re-created document has with a newer one. Opening replays tombstones first, then
// documents, so the new vector is found and the old one is not, whether the vector snapshot
// is from before the delete, after the re-create, or missing.
enum class SnapshotAt { kBeforeDelete, kAfterRecreate, kNone };

class RestartAfterReuse : public ::testing::TestWithParam<SnapshotAt> {};

TEST_P(RestartAfterReuse, FindsTheNewVectorAndNotTheOld) {
  TempDir dir;
  SnapshotAt at = GetParam();
  {
    auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/at == SnapshotAt::kAfterRecreate);
    ASSERT_TRUE(es::CreateIndexJson(*engine, "m", kMapping).ok());
    ASSERT_TRUE(Bulk(*engine, "m", BulkOf("o", 0, 100, false), RefreshPolicy::kTrue).ok());
    if (at == SnapshotAt::kBeforeDelete) {
      ASSERT_TRUE(es::FlushJson(*engine, "m").ok());
    }
    ASSERT_TRUE(Bulk(*engine, "m", DeleteEvens(20), RefreshPolicy::kTrue).ok());
    ASSERT_TRUE(Bulk(*engine, "m", BulkOf("n", 0, 20, true), RefreshPolicy::kTrue).ok());
    auto docnums = Docnums(*engine);
    for (int i = 0; i < 20; ++i) EXPECT_LT(docnums["n" + std::to_string(i)], 40) << i;
    engine->Shutdown();
  }
  auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/false);
  ExpectConsistent(*engine, 20, 20);
  EXPECT_EQ(DeletedDocs(*engine), 0);
  if (at == SnapshotAt::kBeforeDelete) {
    // The case in point: 20 tombstones and 20 documents on the same numbers were replayed.
    Json stats(es::StatsJson(*engine, "m").value());
    EXPECT_TRUE(stats.At("/indices/m/knn/fields/v/loaded_from_snapshot").get_bool().value());
    EXPECT_EQ(stats.Int("/indices/m/knn/fields/v/replayed_on_open"), 40);
  }
  // Deleting after the restart frees numbers again, and creates take them.
  ASSERT_TRUE(
      Bulk(*engine, "m", BulkOf("n", 0, 0, true) + DeleteEvens(30), RefreshPolicy::kTrue).ok());
  EXPECT_EQ(DeletedDocs(*engine), 10);
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("n", 20, 30, true), RefreshPolicy::kTrue).ok());
  EXPECT_EQ(DeletedDocs(*engine), 0);
  auto docnums = Docnums(*engine);
  for (const auto& [id, d] : docnums) EXPECT_LT(d, 100) << id;
  ExpectConsistent(*engine, 30, 30);
}

INSTANTIATE_TEST_SUITE_P(Snapshots, RestartAfterReuse,
                         ::testing::Values(SnapshotAt::kBeforeDelete, SnapshotAt::kAfterRecreate,
                                           SnapshotAt::kNone),
                         [](const ::testing::TestParamInfo<SnapshotAt>& info) {
                           switch (info.param) {
                             case SnapshotAt::kBeforeDelete:
                               return "SnapshotBeforeDelete";
                             case SnapshotAt::kAfterRecreate:
                               return "SnapshotAfterRecreate";
                             case SnapshotAt::kNone:
                               break;
                           }
                           return "NoSnapshot";
                         });

// Holes left by deletes before a restart are free after it: docs.deleted reports them and new
// documents fill them, while the tombstones of a snapshot older than the deletes still replay.
TEST(DocnumReuse, HolesFromBeforeARestartAreReused) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/false);
    ASSERT_TRUE(es::CreateIndexJson(*engine, "m", kMapping).ok());
    ASSERT_TRUE(Bulk(*engine, "m", BulkOf("o", 0, 100, false), RefreshPolicy::kTrue).ok());
    ASSERT_TRUE(es::FlushJson(*engine, "m").ok());
    ASSERT_TRUE(Bulk(*engine, "m", DeleteEvens(20), RefreshPolicy::kTrue).ok());
    engine->Shutdown();
  }
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::RefreshJson(*engine, "m").ok());
  EXPECT_EQ(DeletedDocs(*engine), 20);
  ASSERT_TRUE(Bulk(*engine, "m", BulkOf("n", 0, 20, true), RefreshPolicy::kTrue).ok());
  auto docnums = Docnums(*engine);
  for (int i = 0; i < 20; ++i) EXPECT_LT(docnums["n" + std::to_string(i)], 40) << i;
  EXPECT_EQ(DeletedDocs(*engine), 0);
  ExpectConsistent(*engine, 20, 20);
}

// kill -9 after reuse: the inserter's automatic snapshot (every 100 vectors) covers the first
// 100 documents; the deletes and re-creates come back from the document log.
TEST(DocnumReuse, KillNineAfterReuse) {
  TempDir dir;
  KilledChild killed = KillNineAfter(1, [&](const std::function<bool(int)>& report) {
    // No Flush in the child (see KillNineAfter); the inserter takes the snapshots.
    EngineOptions options;
    options.data_dir = dir.path();
    options.auto_snapshot_vectors = 100;
    options.snapshot_on_shutdown = false;
    auto engine = Engine::Open(options);
    if (!engine.ok()) _exit(2);
    Engine& e = **engine;
    if (!es::CreateIndexJson(e, "m", kMapping).ok()) _exit(3);
    if (!Bulk(e, "m", BulkOf("o", 0, 100, false), RefreshPolicy::kTrue).ok()) _exit(4);
    if (!Bulk(e, "m", DeleteEvens(20), RefreshPolicy::kTrue).ok()) _exit(5);
    if (!Bulk(e, "m", BulkOf("n", 0, 20, true), RefreshPolicy::kTrue).ok()) _exit(6);
    if (!report(1)) _exit(7);
  });
  ASSERT_EQ(killed.last_report, 1) << "child exit status " << killed.wait_status;

  auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/false);
  ExpectConsistent(*engine, 20, 20);
  // The snapshot is the one after the first 100 vectors: the 20 tombstones and the 20
  // documents on the same numbers were replayed on top of it.
  Json stats(es::StatsJson(*engine, "m").value());
  EXPECT_TRUE(stats.At("/indices/m/knn/fields/v/loaded_from_snapshot").get_bool().value());
  EXPECT_EQ(stats.Int("/indices/m/knn/fields/v/replayed_on_open"), 40);
  auto docnums = Docnums(*engine);
  for (const auto& [id, d] : docnums) EXPECT_LT(d, 100) << id;
  EXPECT_EQ(DeletedDocs(*engine), 0);
}

}  // namespace
}  // namespace lookalike::testing
