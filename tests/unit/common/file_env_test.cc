#include "common/file_env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "fault_file_env.h"

namespace lookalike {
namespace {

namespace fs = std::filesystem;
using testing::FaultFileEnv;
using testing::FileStep;

class FileEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lookalike-file-env-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Slurp(const std::string& path) {
    auto r = FileEnv::Default().ReadFile(path, 1 << 20);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }
  // Only the target itself: no temporary is left behind.
  size_t FilesInDir() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  fs::path dir_;
};

TEST_F(FileEnvTest, AtomicWriteCreatesAndReplaces) {
  const std::string path = Path("settings.json");
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "first").ok());
  EXPECT_EQ(Slurp(path), "first");
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "second, longer").ok());
  EXPECT_EQ(Slurp(path), "second, longer");
  EXPECT_EQ(FilesInDir(), 1u);
}

TEST_F(FileEnvTest, ModeIsApplied) {
  const std::string path = Path("secret");
  AtomicWriteOptions options;
  options.mode = 0600;
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "x", options).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileEnvTest, WriterCallbackCanPatchEarlierBytes) {
  const std::string path = Path("patched");
  Status st = WriteFileAtomically(FileEnv::Default(), path, [](WritableFile* f) -> Status {
    LOOKALIKE_RETURN_IF_ERROR(f->Append("....body", 8));
    EXPECT_EQ(f->size(), 8u);
    LOOKALIKE_RETURN_IF_ERROR(f->WriteAt(0, "HEAD", 4));
    return f->Append("!", 1);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Slurp(path), "HEADbody!");
}

TEST_F(FileEnvTest, WriteAtPastTheEndIsRefused) {
  Status st = WriteFileAtomically(FileEnv::Default(), Path("f"),
                                  [](WritableFile* f) { return f->WriteAt(0, "x", 1); });
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_FALSE(fs::exists(Path("f")));
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(FileEnvTest, LargeAppendsBypassTheBuffer) {
  const std::string path = Path("big");
  std::string big(3 << 20, 'a');
  big[12345] = 'b';
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, [&](WritableFile* f) -> Status {
                LOOKALIKE_RETURN_IF_ERROR(f->Append("x", 1));
                return f->Append(big.data(), big.size());
              }).ok());
  auto read = FileEnv::Default().ReadFile(path, 4 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "x" + big);
}

TEST_F(FileEnvTest, WriterErrorAbandonsTheWrite) {
  const std::string path = Path("keep");
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "old").ok());
  Status st = WriteFileAtomically(FileEnv::Default(), path, [](WritableFile* f) {
    (void)f->Append("new", 3);
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Slurp(path), "old");
  EXPECT_EQ(FilesInDir(), 1u);
}

// Every step that can fail: the previous file stays whole and no temporary is left.
TEST_F(FileEnvTest, InjectedFailureAtEachStepKeepsThePreviousFile) {
  const std::string path = Path("snapshot");
  for (FileStep step : {FileStep::kCreate, FileStep::kAppend, FileStep::kSync, FileStep::kClose,
                        FileStep::kRename}) {
    for (int err : {ENOSPC, EIO}) {
      SCOPED_TRACE(std::string(testing::FileStepName(step)) + " errno " + std::to_string(err));
      ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "previous").ok());
      FaultFileEnv env;
      env.FailAt(step, err, /*crash=*/false, /*append_budget=*/3);
      Status st = WriteFileAtomically(env, path, std::string(100, 'n'));
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.code(), StatusCode::kIOError);
      EXPECT_NE(st.message().find(std::strerror(err)), std::string::npos) << st.message();
      EXPECT_EQ(Slurp(path), "previous");
      EXPECT_EQ(FilesInDir(), 1u);
      EXPECT_EQ(env.renames(), 0);
    }
  }
}

// A crash (nothing runs after the failing step, not even the cleanup) leaves the previous file
// whole; the stray temporary does not disturb the next write.
TEST_F(FileEnvTest, CrashBeforeRenameLeavesThePreviousFile) {
  const std::string path = Path("snapshot");
  for (FileStep step : {FileStep::kAppend, FileStep::kSync, FileStep::kClose, FileStep::kRename}) {
    SCOPED_TRACE(testing::FileStepName(step));
    ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "previous").ok());
    FaultFileEnv env;
    env.FailAt(step, EIO, /*crash=*/true, /*append_budget=*/10);
    EXPECT_FALSE(WriteFileAtomically(env, path, std::string(100, 'n')).ok());
    EXPECT_EQ(Slurp(path), "previous");
    ASSERT_EQ(env.created().size(), 1u);
    EXPECT_TRUE(fs::exists(env.created()[0]));  // the crash left it
    EXPECT_EQ(env.created()[0].rfind(path + ".tmp.", 0), 0u) << "same directory, named after";
    ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "next").ok());
    EXPECT_EQ(Slurp(path), "next");
    fs::remove(env.created()[0]);
  }
}

TEST_F(FileEnvTest, DirectoryIsSyncedAfterTheRename) {
  FaultFileEnv env;
  ASSERT_TRUE(WriteFileAtomically(env, Path("a"), "x").ok());
  EXPECT_EQ(env.renames(), 1);
  EXPECT_EQ(env.dir_syncs(), 1);

  AtomicWriteOptions no_sync;
  no_sync.sync_dir = false;
  ASSERT_TRUE(WriteFileAtomically(env, Path("b"), "x", no_sync).ok());
  EXPECT_EQ(env.dir_syncs(), 1);

  // The rename happened, so the new file is there, but the caller learns durability is unknown.
  env.FailAt(FileStep::kSyncDir, EIO);
  Status st = WriteFileAtomically(env, Path("a"), "y");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(Slurp(Path("a")), "y");
}

TEST_F(FileEnvTest, ReadFileHonoursTheLimit) {
  const std::string path = Path("r");
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "0123456789").ok());
  auto exact = FileEnv::Default().ReadFile(path, 10);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, "0123456789");
  auto over = FileEnv::Default().ReadFile(path, 9);
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(over.status().message().find(path), std::string::npos);
  auto missing = FileEnv::Default().ReadFile(Path("none"), 10);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto dir = FileEnv::Default().ReadFile(dir_.string(), 10);
  EXPECT_FALSE(dir.ok());
}

TEST_F(FileEnvTest, RemoveFileAndSyncDir) {
  const std::string path = Path("gone");
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), path, "x").ok());
  EXPECT_TRUE(FileEnv::Default().RemoveFile(path).ok());
  EXPECT_EQ(FileEnv::Default().RemoveFile(path).code(), StatusCode::kNotFound);
  EXPECT_TRUE(FileEnv::Default().SyncDir(dir_.string()).ok());
  Status missing = FileEnv::Default().SyncDir(Path("no-such-dir"));
  EXPECT_EQ(missing.code(), StatusCode::kIOError);
  EXPECT_NE(missing.message().find("no-such-dir"), std::string::npos);
}

TEST(DirNameTest, Cases) {
  EXPECT_EQ(DirName("a/b/c.lkv"), "a/b");
  EXPECT_EQ(DirName("c.lkv"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

// A temporary whose writer died is removed; one of a live process (here: this one), names that
// only look similar, and other files stay.
TEST_F(FileEnvTest, RemovesTemporariesOfDeadWritersOnly) {
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // reaped: the pid names no process now
  std::string dead = std::to_string(child);
  std::string live = std::to_string(::getpid());
  const char* keep[] = {"hnsw.lkv", "x.tmp", "x.tmp.12a.1", "x.tmp..1", "x.tmp.1.", ".tmp.1.1"};
  for (const char* name : keep) std::ofstream(Path(name)) << "k";
  std::ofstream(Path("hnsw.lkv.tmp." + live + ".7")) << "in flight";
  std::ofstream(Path("hnsw.lkv.tmp." + dead + ".3")) << "left by a crash";
  std::ofstream(Path("security.json.tmp." + dead + ".0")) << "left by a crash";
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 2u);
  EXPECT_FALSE(fs::exists(Path("hnsw.lkv.tmp." + dead + ".3")));
  EXPECT_FALSE(fs::exists(Path("security.json.tmp." + dead + ".0")));
  EXPECT_TRUE(fs::exists(Path("hnsw.lkv.tmp." + live + ".7")));
  for (const char* name : keep) EXPECT_TRUE(fs::exists(Path(name))) << name;
  EXPECT_EQ(RemoveStaleTemporaryFiles(Path("no-such-dir")), 0u);
}

}  // namespace
}  // namespace lookalike
