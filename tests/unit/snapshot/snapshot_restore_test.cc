// Snapshot and restore through a real engine (issue 13, "Must show").
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine_test_util.h"
#include "snapshot/snapshot_ops.h"
#include "server/es/index_codec.h"

namespace lookalike::snapshot {
namespace {

namespace fs = std::filesystem;
using lookalike::testing::Bulk;
using lookalike::testing::CountJson;
using lookalike::testing::GetDoc;
using lookalike::testing::HitIds;
using lookalike::testing::Json;
using lookalike::testing::OpenEngine;
using lookalike::testing::SearchJson;
using lookalike::testing::TempDir;

constexpr int kDim = 8;

std::string Vector(int i) {
  std::string v = "[";
  for (int d = 0; d < kDim; ++d) {
    v += (d ? "," : "") + std::to_string(((i * 31 + d * 17) % 97) / 97.0 + 0.01);
  }
  return v + "]";
}

void CreateKnnIndex(Engine& engine, const std::string& name) {
  auto r = es::CreateIndexJson(engine, name, R"({"settings":{"index.knn":true},"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":8,"method":{"name":"hnsw","space_type":"l2"}},
      "tag":{"type":"keyword"}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void Load(Engine& engine, const std::string& name, int from, int to,
          RefreshPolicy refresh = RefreshPolicy::kFalse) {
  std::string body;
  for (int i = from; i < to; ++i) {
    body += R"({"index":{"_id":"d)" + std::to_string(i) + "\"}}\n";
    body += R"({"tag":"t)" + std::to_string(i % 5) + R"(","v":)" + Vector(i) + "}\n";
  }
  auto r = Bulk(engine, name, body, refresh);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->find("\"errors\":true"), std::string::npos) << *r;
}

int64_t Count(Engine& engine, const std::string& name) {
  auto r = CountJson(engine, name, "");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Json(*r).Int("/count") : -1;
}

std::vector<std::string> Knn(Engine& engine, const std::string& name) {
  auto r = SearchJson(
      engine, name, R"({"size":10,"query":{"knn":{"v":{"vector":)" + Vector(7) + R"(,"k":10}}}})");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? HitIds(*r) : std::vector<std::string>{};
}

class SnapshotRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(data_.path() + "/data");
    auto repo = FsRepository::Open(data_.path() + "/repo", true);
    ASSERT_TRUE(repo.ok());
    repo_ = std::make_unique<FsRepository>(*repo);
  }
  Result<SnapshotEntry> Snap(const std::string& name, const std::string& indices = "") {
    CreateSnapshotRequest request;
    request.snapshot = name;
    request.indices = indices;
    return CreateSnapshot(*engine_, *repo_, "repo", request);
  }
  Result<RestoreResult> Restore(const std::string& name, const std::string& pattern = "",
                                const std::string& replacement = "") {
    RestoreSnapshotRequest request;
    request.snapshot = name;
    request.rename_pattern = pattern;
    request.rename_replacement = replacement;
    return RestoreSnapshot(*engine_, *repo_, "repo", request);
  }
  size_t VectorDirs() {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(data_.path() + "/data/vectors")) n += e.is_directory();
    return n;
  }

  TempDir data_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<FsRepository> repo_;
};

TEST_F(SnapshotRestoreTest, DeleteAndRestoreGivesTheSameIndexWithoutRebuild) {
  CreateKnnIndex(*engine_, "photos");
  Load(*engine_, "photos", 0, 600, RefreshPolicy::kTrue);
  int64_t count = Count(*engine_, "photos");
  auto knn = Knn(*engine_, "photos");
  ASSERT_EQ(count, 600);
  ASSERT_EQ(knn.size(), 10u);
  auto snap = Snap("s1");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->indices, std::vector<std::string>{"photos"});
  ASSERT_TRUE(es::DeleteIndexJson(*engine_, "photos").ok());
  auto restored = Restore("s1");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_TRUE(es::RefreshJson(*engine_, "photos").ok());
  EXPECT_EQ(Count(*engine_, "photos"), count);
  EXPECT_EQ(Knn(*engine_, "photos"), knn);
  Json stats(es::StatsJson(*engine_, "photos").value());
  EXPECT_TRUE(stats.At("/indices/photos/knn/fields/v/loaded_from_snapshot").get_bool().value());
  EXPECT_EQ(stats.Int("/indices/photos/knn/fields/v/replayed_on_open"), 0);
  // Restoring over the open index is refused as Elasticsearch does.
  auto again = Restore("s1");
  EXPECT_EQ(again.status().type(), "snapshot_restore_exception");
  EXPECT_NE(again.status().message().find("open index with same name"), std::string::npos);
  // Renamed, beside it.
  auto renamed = Restore("s1", "(.+)", "restored_$1");
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->indices, std::vector<std::string>{"restored_photos"});
  ASSERT_TRUE(es::RefreshJson(*engine_, "restored_photos").ok());
  EXPECT_EQ(Knn(*engine_, "restored_photos"), knn);
}

TEST_F(SnapshotRestoreTest, SnapshotDuringBulkLoadHoldsEveryAcknowledgedWrite) {
  CreateKnnIndex(*engine_, "live");
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int batch = 0; !stop && batch < 400; ++batch) {
      Load(*engine_, "live", batch * 25, batch * 25 + 25);
      acked = batch * 25 + 25;
    }
  });
  while (acked < 500) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int acked_before = acked;
  auto snap = Snap("during");
  int acked_after = acked;
  stop = true;
  writer.join();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  auto restored = Restore("during", "live", "copy");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_TRUE(es::RefreshJson(*engine_, "copy").ok());
  int64_t count = Count(*engine_, "copy");
  EXPECT_GE(count, acked_before);
  EXPECT_LE(count, acked_after + 25);
  for (int i = 0; i < acked_before; ++i) {
    auto doc = GetDoc(*engine_, "copy", "d" + std::to_string(i));
    ASSERT_TRUE(doc.ok());
    ASSERT_EQ(doc->http_status, 200) << "d" << i << " acknowledged before the snapshot";
  }
  // Every restored document is found by knn on its own vector (the vector index covers them).
  auto r = SearchJson(*engine_, "copy",
                      R"({"size":1,"query":{"knn":{"v":{"vector":)" + Vector(3) + R"(,"k":1}}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(HitIds(*r), std::vector<std::string>{"d3"});
}

TEST_F(SnapshotRestoreTest, SecondSnapshotOfAnUnchangedIndexCopiesNothing) {
  CreateKnnIndex(*engine_, "same");
  Load(*engine_, "same", 0, 300, RefreshPolicy::kTrue);
  auto first = Snap("a");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(first->new_files, 1u);  // records and the vector file
  auto second = Snap("b");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->total_files, first->total_files);
  EXPECT_EQ(second->new_files, 0u);
  EXPECT_EQ(second->new_bytes, 0u);
  // Deleting the first keeps what the second references; it still restores.
  ASSERT_TRUE(DeleteSnapshot(*repo_, "repo", "a").ok());
  EXPECT_EQ(DeleteSnapshot(*repo_, "repo", "a").type(), "snapshot_missing_exception");
  ASSERT_TRUE(Restore("b", "same", "same2").ok());
  EXPECT_EQ(Count(*engine_, "same2"), 300);
  auto listed = GetSnapshots(*repo_, "repo", "_all");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(GetSnapshots(*repo_, "repo", "zzz").status().type(), "snapshot_missing_exception");
}

TEST_F(SnapshotRestoreTest, CorruptedBlobFailsCleanlyAndLeavesNoIndex) {
  CreateKnnIndex(*engine_, "c");
  Load(*engine_, "c", 0, 200, RefreshPolicy::kTrue);
  auto snap = Snap("s");
  ASSERT_TRUE(snap.ok());
  size_t dirs_before = VectorDirs();
  // Flip one byte in every blob of the repository, one at a time.
  std::vector<fs::path> blobs;
  for (auto& e : fs::recursive_directory_iterator(data_.path() + "/repo/blobs")) {
    if (e.is_regular_file()) blobs.push_back(e.path());
  }
  ASSERT_GE(blobs.size(), 2u);
  for (const fs::path& blob : blobs) {
    std::string bytes;
    {
      std::ifstream in(blob, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::string corrupted = bytes;
    corrupted[corrupted.size() / 2] ^= 0x40;
    { std::ofstream(blob, std::ios::binary | std::ios::trunc) << corrupted; }
    auto restored = Restore("s", "c", "broken");
    EXPECT_FALSE(restored.ok()) << blob;
    EXPECT_EQ(restored.status().type(), "snapshot_restore_exception");
    EXPECT_NE(restored.status().message().find("checksum mismatch"), std::string::npos)
        << restored.status().message();
    EXPECT_FALSE(engine_->IndexExists("broken"));
    EXPECT_EQ(VectorDirs(), dirs_before);
    EXPECT_TRUE(fs::is_empty(data_.path() + "/data/restore-tmp"));
    { std::ofstream(blob, std::ios::binary | std::ios::trunc) << bytes; }
  }
  ASSERT_TRUE(Restore("s", "c", "fine").ok());
  EXPECT_EQ(Count(*engine_, "fine"), 200);
}

TEST_F(SnapshotRestoreTest, RestoredIndexSurvivesARestart) {
  CreateKnnIndex(*engine_, "r");
  Load(*engine_, "r", 0, 150, RefreshPolicy::kTrue);
  ASSERT_TRUE(Snap("s").ok());
  ASSERT_TRUE(es::DeleteIndexJson(*engine_, "r").ok());
  ASSERT_TRUE(Restore("s").ok());
  Load(*engine_, "r", 150, 160, RefreshPolicy::kTrue);  // the restored index takes writes
  auto knn = Knn(*engine_, "r");
  engine_->Shutdown();
  engine_.reset();
  engine_ = OpenEngine(data_.path() + "/data");
  ASSERT_TRUE(es::RefreshJson(*engine_, "r").ok());
  EXPECT_EQ(Count(*engine_, "r"), 160);
  EXPECT_EQ(Knn(*engine_, "r"), knn);
  auto listed = GetSnapshots(*repo_, "repo", "s");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->at(0).indices, std::vector<std::string>{"r"});
}

TEST_F(SnapshotRestoreTest, ACaptureOutlivesTheDeletionOfItsIndex) {
  CreateKnnIndex(*engine_, "gone");
  Load(*engine_, "gone", 0, 100, RefreshPolicy::kTrue);
  ASSERT_TRUE(es::FlushJson(*engine_, "gone").ok());
  auto capture = engine_->CaptureIndex("gone", /*flush_vectors=*/false);
  ASSERT_TRUE(capture.ok()) << capture.status().ToString();
  ASSERT_TRUE(es::DeleteIndexJson(*engine_, "gone").ok());
  int docs = 0;
  ASSERT_TRUE((*capture)
                  ->ForEachRecord([&](std::string_view key, std::string_view) {
                    docs += key.size() == 5 && key[0] == 'd';
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(docs, 100);
  ASSERT_EQ((*capture)->FileNames(), std::vector<std::string>{"v0.lkv"});
  uint64_t bytes = 0;
  ASSERT_TRUE((*capture)
                  ->ReadFile("v0.lkv",
                             [&](std::string_view b) {
                               bytes += b.size();
                               return Status::OK();
                             })
                  .ok());
  EXPECT_GT(bytes, 0u);
  EXPECT_EQ(engine_->CaptureIndex("gone", false).status().type(), "index_not_found_exception");
}

TEST_F(SnapshotRestoreTest, MissingNamesAndBadRequests) {
  CreateKnnIndex(*engine_, "x");
  EXPECT_EQ(Snap("s", "nope").status().type(), "index_not_found_exception");
  EXPECT_EQ(Snap("Bad").status().type(), "invalid_snapshot_name_exception");
  ASSERT_TRUE(Snap("s").ok());
  EXPECT_EQ(Snap("s").status().type(), "invalid_snapshot_name_exception");
  EXPECT_EQ(Restore("missing").status().type(), "snapshot_missing_exception");
  EXPECT_EQ(Restore("s", "(", "y").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lookalike::snapshot
