// Restart: documents, versions, mappings and vector indices survive close/reopen; dropping an
// index frees its storage.
#include <filesystem>

#include "engine_test_util.h"

namespace lookalike::testing {
namespace {

std::string Vec(int i) {
  return "[" + std::to_string(i) + ",1," + std::to_string(i % 7) + "]";
}

TEST(Persistence, ReopenKeepsEverything) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(engine
                    ->CreateIndex("r", R"({"mappings":{"properties":{
                        "v":{"type":"knn_vector","dimension":3},"tag":{"type":"keyword"}}}})")
                    .ok());
    std::string bulk;
    for (int i = 0; i < 300; ++i) {
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n{\"v\":" + Vec(i) +
              ",\"tag\":\"t" + std::to_string(i % 3) + "\",\"dyn\":\"hello\"}\n";
    }
    ASSERT_TRUE(engine->Bulk("r", bulk, RefreshPolicy::kFalse).ok());
    ASSERT_TRUE(engine->Flush("r").ok());
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
    ASSERT_TRUE(engine->Refresh("").ok());
    auto c = engine->Count("r", "");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(Json(*c).Int("/count"), 300);  // 300 + late - deleted 5
    EXPECT_EQ(Json(engine->GetDocument("r", "7")->body).Int("/_version"), 2);
    EXPECT_EQ(engine->GetDocument("r", "5")->http_status, 404);
    auto m = engine->GetMapping("r");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(Json(*m).Str("/r/mappings/properties/dyn/type"), "text");
    auto knn = engine->Search("r", R"({"query":{"knn":{"v":{"vector":[500,1,3],"k":2}}}})");
    ASSERT_TRUE(knn.ok());
    auto ids = HitIds(*knn);
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], "late");
    auto five = engine->Search("r", R"({"query":{"knn":{"v":{"vector":[5,1,5],"k":1}}}})");
    ASSERT_TRUE(five.ok());
    EXPECT_NE(HitIds(*five)[0], "5");
    auto seven = engine->Search("r", R"({"query":{"knn":{"v":{"vector":[700,1,0],"k":1}}}})");
    EXPECT_EQ(HitIds(*seven)[0], "7");
    auto tagged = engine->Search("r", R"({"query":{"term":{"tag":"t9"}}})");
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

TEST(Persistence, DeleteIndexFreesDisk) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(engine->CreateIndex("big", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":3}}}})").ok());
  std::string bulk;
  for (int i = 0; i < 500; ++i) {
    bulk += "{\"index\":{}}\n{\"v\":" + Vec(i) + ",\"pad\":\"" + std::string(200, 'x') + "\"}\n";
  }
  ASSERT_TRUE(engine->Bulk("big", bulk, RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(engine->Flush("big").ok());
  ASSERT_TRUE(engine->DeleteIndex("big").ok());
  EXPECT_FALSE(engine->IndexExists("big"));
  ASSERT_TRUE(engine->CreateIndex("big", "").ok());  // the name is free again
  auto c = engine->Count("big", "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Json(*c).Int("/count"), 0);
  engine->Shutdown();
  engine = OpenEngine(dir.path());
  EXPECT_TRUE(engine->IndexExists("big"));
  EXPECT_EQ(Json(engine->Count("big", "").value()).Int("/count"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/vectors/x"));
}

}  // namespace
}  // namespace lookalike::testing
