// Snapshot writers under injected file-system failures: whichever step of the atomic replace
// fails (ENOSPC or EIO, with or without the cleanup that a crash would skip), the previous
// snapshot still loads with its own contents, and a later save succeeds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../common/fault_file_env.h"
#include "index/flat/flat_index.h"
#include "index/hnsw/hnsw_index.h"
#include "test_data.h"

namespace lookalike {
namespace {

namespace fs = std::filesystem;
using testing::FaultFileEnv;
using testing::FileStep;
using namespace testing_data;

constexpr size_t kDim = 16;

struct Kind {
  const char* name;
  std::unique_ptr<VectorIndex> (*create)();
};
void PrintTo(const Kind& kind, std::ostream* os) { *os << kind.name; }

std::unique_ptr<VectorIndex> MakeHnsw() {
  HnswParams p;
  p.code = CodeType::kInt8;  // quantiser parameters and codes are sections too
  p.ef_construction = 32;
  return std::move(CreateHnswIndex(kDim, Metric::kCosine, p)).value();
}
std::unique_ptr<VectorIndex> MakeFlat() {
  return std::move(CreateFlatIndex(kDim, Metric::kL2)).value();
}

Status SaveThrough(const VectorIndex& index, FileEnv& env, const std::string& path) {
  if (auto* h = dynamic_cast<const hnsw::HnswIndex*>(&index)) return h->SaveTo(env, path);
  if (auto* f = dynamic_cast<const flat::FlatIndex*>(&index)) return f->SaveTo(env, path);
  return Status::Unsupported("unknown index kind");
}

class SnapshotFault : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("snapshot_fault_" + std::to_string(::getpid()) + "_" + GetParam().name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An index holding labels [first, first + n).
  std::unique_ptr<VectorIndex> Filled(uint64_t first, size_t n) {
    auto index = GetParam().create();
    auto x = Clustered(n, kDim, static_cast<uint32_t>(first));
    auto labels = Iota(n, first);
    EXPECT_TRUE(index->AddBatch(n, labels.data(), x.data(), 1).ok());
    return index;
  }
  // The snapshot at path loads and holds exactly labels [first, first + n).
  void ExpectSnapshotHolds(const std::string& path, uint64_t first, size_t n) {
    auto loaded = LoadIndex(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)->size(), n);
    EXPECT_TRUE((*loaded)->Contains(first));
    EXPECT_TRUE((*loaded)->Contains(first + n - 1));
    EXPECT_FALSE((*loaded)->Contains(first + n));
  }
  size_t FilesInDir() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  fs::path dir_;
};

TEST_P(SnapshotFault, FailureAtEachStepLeavesThePreviousSnapshotLoadable) {
  const std::string path = (dir_ / "field.lkv").string();
  auto previous = Filled(1000, 300);
  ASSERT_TRUE(previous->Save(path).ok());
  auto next = Filled(5000, 400);
  struct Case {
    FileStep step;
    uint64_t append_budget;
  };
  // Appends fail at the first byte, inside the header, and deep in the payload.
  const Case cases[] = {{FileStep::kCreate, 0},   {FileStep::kAppend, 0},
                        {FileStep::kAppend, 100}, {FileStep::kAppend, 20000},
                        {FileStep::kWriteAt, 0},  {FileStep::kSync, 0},
                        {FileStep::kClose, 0},    {FileStep::kRename, 0}};
  for (const Case& c : cases) {
    for (bool crash : {false, true}) {
      for (int err : {ENOSPC, EIO}) {
        SCOPED_TRACE(std::string(testing::FileStepName(c.step)) + " budget " +
                     std::to_string(c.append_budget) + (crash ? " crash" : " fail") + " errno " +
                     std::to_string(err));
        FaultFileEnv env;
        env.FailAt(c.step, err, crash, c.append_budget);
        Status st = SaveThrough(*next, env, path);
        EXPECT_EQ(st.code(), StatusCode::kIOError) << st.ToString();
        ExpectSnapshotHolds(path, 1000, 300);
        if (!crash) EXPECT_EQ(FilesInDir(), 1u) << "the temporary file was not removed";
        for (const std::string& temp : env.created()) fs::remove(temp);
      }
    }
  }
  // The writer is not left in a bad state: the next save replaces the snapshot.
  ASSERT_TRUE(next->Save(path).ok());
  ExpectSnapshotHolds(path, 5000, 400);
  EXPECT_EQ(FilesInDir(), 1u);
}

TEST_P(SnapshotFault, DirectorySyncFailureIsReportedAfterTheReplace) {
  const std::string path = (dir_ / "field.lkv").string();
  ASSERT_TRUE(Filled(1000, 50)->Save(path).ok());
  FaultFileEnv env;
  ASSERT_TRUE(SaveThrough(*Filled(2000, 60), env, path).ok());
  EXPECT_EQ(env.dir_syncs(), 1);
  env.FailAt(FileStep::kSyncDir, EIO);
  EXPECT_EQ(SaveThrough(*Filled(3000, 70), env, path).code(), StatusCode::kIOError);
  ExpectSnapshotHolds(path, 3000, 70);  // renamed, durability unknown
}

INSTANTIATE_TEST_SUITE_P(Kinds, SnapshotFault,
                         ::testing::Values(Kind{"hnsw", MakeHnsw}, Kind{"flat", MakeFlat}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lookalike
