// Restart: documents, versions, mappings and vector indices survive close/reopen; dropping an
// index frees its storage.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

std::string Vec(int i) {
  return "[" + std::to_string(i) + ",1," + std::to_string(i % 7) + "]";
}

TEST(Persistence, ReopenKeepsEverything) {
  TempDir dir;
  {
    // No snapshot at shutdown: the writes after Flush must come back through catch-up.
    auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/false);
    ASSERT_TRUE(es::CreateIndexJson(*engine, "r", R"({"mappings":{"properties":{
                        "v":{"type":"knn_vector","dimension":3,
                          "method":{"name":"hnsw","parameters":{"encoder":"none"}}},
                        "tag":{"type":"keyword"}}}})")
                    .ok());
    std::string bulk;
    for (int i = 0; i < 300; ++i) {
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n{\"v\":" + Vec(i) +
              ",\"tag\":\"t" + std::to_string(i % 3) + "\",\"dyn\":\"hello\"}\n";
    }
    ASSERT_TRUE(Bulk(*engine, "r", bulk, RefreshPolicy::kFalse).ok());
    ASSERT_TRUE(es::FlushJson(*engine, "r").ok());
    // Written after the snapshot: must be caught up at startup.
    ASSERT_TRUE(engine->IndexDocument("r", "late", "{\"v\":[500,1,3],\"tag\":\"t9\"}",
                                      OpType::kIndex, RefreshPolicy::kFalse)
                    .ok());
    ASSERT_TRUE(engine->DeleteDocument("r", "5", RefreshPolicy::kFalse).ok());
    ASSERT_TRUE(engine->IndexDocument("r", "7", "{\"v\":[700,1,0],\"tag\":\"t1\"}",
                                      OpType::kIndex, RefreshPolicy::kFalse)
                    .ok());
    engine->Shutdown();
  }
  for (int round = 0; round < 2; ++round) {
    auto engine = OpenEngine(dir.path(), /*snapshot_on_shutdown=*/round == 0);
    ASSERT_TRUE(es::RefreshJson(*engine, "").ok());
    // The graph comes from its snapshot: round 0 replays the three writes made after Flush,
    // round 1 opens on the snapshot taken at round 0's shutdown and replays nothing.
    auto stats = es::StatsJson(*engine, "r");
    ASSERT_TRUE(stats.ok());
    Json st(*stats);
    EXPECT_TRUE(st.At("/indices/r/knn/fields/v/loaded_from_snapshot").get_bool().value());
    EXPECT_EQ(st.Int("/indices/r/knn/fields/v/replayed_on_open"), round == 0 ? 3 : 0);
    EXPECT_EQ(st.Int("/indices/r/knn/fields/v/vectors"), 300);
    auto c = CountJson(*engine, "r", "");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(Json(*c).Int("/count"), 300);  // 300 + late - deleted 5
    EXPECT_EQ(Json(GetDoc(*engine, "r", "7")->body).Int("/_version"), 2);
    EXPECT_EQ(GetDoc(*engine, "r", "5")->http_status, 404);
    auto m = es::GetMappingJson(*engine, "r");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(Json(*m).Str("/r/mappings/properties/dyn/type"), "text");
    auto knn = SearchJson(*engine, "r", R"({"query":{"knn":{"v":{"vector":[500,1,3],"k":2}}}})");
    ASSERT_TRUE(knn.ok());
    auto ids = HitIds(*knn);
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], "late");
    auto five = SearchJson(*engine, "r", R"({"query":{"knn":{"v":{"vector":[5,1,5],"k":1}}}})");
    ASSERT_TRUE(five.ok());
    EXPECT_NE(HitIds(*five)[0], "5");
    auto seven = SearchJson(*engine, "r", R"({"query":{"knn":{"v":{"vector":[700,1,0],"k":1}}}})");
    EXPECT_EQ(HitIds(*seven)[0], "7");
    auto tagged = SearchJson(*engine, "r", R"({"query":{"term":{"tag":"t9"}}})");
    EXPECT_EQ(HitIds(*tagged), std::vector<std::string>{"late"});
    // New writes continue the sequence.
    auto w = engine->IndexDocument("r", "new" + std::to_string(round), "{\"v\":[1,2,3]}",
                                   OpType::kCreate, RefreshPolicy::kFalse);
    ASSERT_TRUE(w.ok());
    EXPECT_GT(w->seq_no, 300);
    ASSERT_TRUE(engine->DeleteDocument("r", "new" + std::to_string(round), RefreshPolicy::kFalse)
                    .ok());
  }
}

// A crash in the middle of a snapshot leaves its temporary file (`*.tmp.<pid>.<n>`, possibly
// gigabytes); the next start removes it and loads the complete snapshot beside it.
TEST(Persistence, RestartRemovesSnapshotTemporariesOfACrash) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "t", R"({"mappings":{"properties":{
        "v":{"type":"knn_vector","dimension":3}}}})").ok());
    ASSERT_TRUE(Bulk(*engine, "t", "{\"index\":{\"_id\":\"a\"}}\n{\"v\":[1,2,3]}\n",
                     RefreshPolicy::kTrue).ok());
    ASSERT_TRUE(es::FlushJson(*engine, "t").ok());
  }
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // a writer that is gone
  std::vector<std::filesystem::path> snapshots;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() + "/vectors")) {
    if (e.is_regular_file()) snapshots.push_back(e.path());
  }
  ASSERT_EQ(snapshots.size(), 1u);
  std::string stale = snapshots[0].string() + ".tmp." + std::to_string(child) + ".0";
  std::ofstream(stale) << "half a snapshot";
  auto engine = OpenEngine(dir.path());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(snapshots[0]));
  auto hits = SearchJson(*engine, "t", R"({"query":{"knn":{"v":{"vector":[1,2,3],"k":1}}}})");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIds(*hits), std::vector<std::string>{"a"});
}

TEST(Persistence, DeleteIndexFreesDisk) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "big", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":3}}}})").ok());
  std::string bulk;
  for (int i = 0; i < 500; ++i) {
    bulk += "{\"index\":{}}\n{\"v\":" + Vec(i) + ",\"pad\":\"" + std::string(2000, 'x') + "\"}\n";
  }
  ASSERT_TRUE(Bulk(*engine, "big", bulk, RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(es::FlushJson(*engine, "big").ok());
  auto dir_bytes = [&] {
    uintmax_t total = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (e.is_regular_file() && e.path().extension() != ".log") total += e.file_size();
    }
    return total;
  };
  ASSERT_EQ(engine->ListIndices().size(), 1u);
  EXPECT_GT(engine->ListIndices()[0].store_size_bytes, 500 * 2000);
  uintmax_t before = dir_bytes();
  ASSERT_TRUE(es::DeleteIndexJson(*engine, "big").ok());
  EXPECT_LT(dir_bytes() + 500 * 1500, before);
  EXPECT_FALSE(engine->IndexExists("big"));
  ASSERT_TRUE(es::CreateIndexJson(*engine, "big", "").ok());  // the name is free again
  auto c = CountJson(*engine, "big", "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Json(*c).Int("/count"), 0);
  engine->Shutdown();
  engine = OpenEngine(dir.path());
  EXPECT_TRUE(engine->IndexExists("big"));
  EXPECT_EQ(Json(CountJson(*engine, "big", "").value()).Int("/count"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/vectors/x"));
}

}  // namespace
}  // namespace lookalike::testing

namespace lookalike::testing {
namespace {

// kill -9 in the middle of a bulk load: every acknowledged document is present after restart,
// none twice, and the vector index serves them.
TEST(Persistence, CrashKeepsAcknowledgedWrites) {
  TempDir dir;
  KilledChild killed = KillNineAfter(400, [&](const std::function<bool(int)>& report) {
    // No Flush in the child (see KillNineAfter): snapshots come from the inserter
    // (auto_snapshot_vectors).
    EngineOptions options;
    options.data_dir = dir.path();
    options.auto_snapshot_vectors = 50;
    auto engine = Engine::Open(options);
    if (!engine.ok()) _exit(2);
    if (!es::CreateIndexJson(**engine, "c", R"({"mappings":{"properties":{
        "v":{"type":"knn_vector","dimension":3,
        "method":{"name":"hnsw","parameters":{"encoder":"none"}}}}}})").ok()) _exit(3);
    for (int b = 0;; ++b) {
      std::string bulk;
      for (int i = 0; i < 20; ++i) {
        int id = b * 20 + i;
        bulk += "{\"index\":{\"_id\":\"" + std::to_string(id) + "\"}}\n{\"v\":[" +
                std::to_string(id) + ",1,2]}\n";
      }
      if (!Bulk(**engine, "c", bulk, RefreshPolicy::kFalse).ok()) _exit(4);
      if (!report(b * 20 + 19)) _exit(5);
      if (b == 3) (void)es::RefreshJson(**engine, "c");  // lets the inserter snapshot once
    }
  });
  int acked = killed.last_report;
  ASSERT_GE(acked, 400) << "child exit status " << killed.wait_status;

  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::RefreshJson(*engine, "c").ok());
  int64_t count = Json(CountJson(*engine, "c", "").value()).Int("/count");
  EXPECT_GE(count, acked + 1);
  EXPECT_EQ(count % 20, 0);  // bulks are atomic
  for (int id = 0; id <= acked; id += 37) {
    EXPECT_EQ(GetDoc(*engine, "c", std::to_string(id)).value().http_status, 200) << id;
  }
  // Every stored document is found exactly once, by id and by vector.
  auto all = SearchJson(*engine, "c", "{\"size\":10000,\"_source\":false}");
  ASSERT_TRUE(all.ok());
  auto ids = HitIds(*all);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_EQ(static_cast<int64_t>(ids.size()), count);
  auto knn = SearchJson(*engine, "c", "{\"query\":{\"knn\":{\"v\":{\"vector\":[" + std::to_string(acked) +
                                     ",1,2],\"k\":1}}}}");
  ASSERT_TRUE(knn.ok());
  EXPECT_EQ(HitIds(*knn), std::vector<std::string>{std::to_string(acked)});
}

}  // namespace
}  // namespace lookalike::testing

namespace lookalike::testing {
namespace {

TEST(Persistence, InserterTakesAutomaticSnapshots) {
  TempDir dir;
  EngineOptions options;
  options.data_dir = dir.path();
  options.snapshot_on_shutdown = false;
  options.auto_snapshot_vectors = 100;
  {
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE(es::CreateIndexJson(**engine, "a", R"({"mappings":{"properties":{
        "v":{"type":"knn_vector","dimension":3}}}})").ok());
    for (int b = 0; b < 3; ++b) {
      std::string bulk;
      for (int i = 0; i < 60; ++i) bulk += "{\"index\":{}}\n{\"v\":[1,2," + std::to_string(i) + "]}\n";
      ASSERT_TRUE(Bulk(**engine, "a", bulk, RefreshPolicy::kWaitFor).ok());
    }
    (*engine)->Shutdown();
  }
  size_t snapshots = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() + "/vectors")) {
    snapshots += e.path().extension() == ".lkv";
  }
  EXPECT_EQ(snapshots, 1u);
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::RefreshJson(*engine, "a").ok());
  EXPECT_EQ(Json(CountJson(*engine, "a", "").value()).Int("/count"), 180);
  auto knn = SearchJson(*engine, "a", R"({"size":200,"query":{"knn":{"v":{"vector":[1,2,3],"k":200}}}})");
  ASSERT_TRUE(knn.ok());
  EXPECT_EQ(HitIds(*knn).size(), 180u);
}

}  // namespace
}  // namespace lookalike::testing
