// The repository format alone: chunks, manifests, blobs, path.repo checks, registrations.
#include "snapshot/repository.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine_test_util.h"
#include "snapshot/manifest.h"
#include "snapshot/record_chunks.h"
#include "snapshot/repositories.h"
#include "snapshot/sha256.h"

namespace lookalike::snapshot {
namespace {

namespace fs = std::filesystem;
using lookalike::testing::TempDir;

TEST(Sha256Test, KnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("")));
  EXPECT_FALSE(IsSha256Hex("../etc/passwd"));
}

TEST(RecordChunksTest, RoundTripAndStableBoundaries) {
  auto chunk_all = [](int n, int changed) {
    std::vector<std::string> chunks;
    RecordChunker chunker(
        [&](std::string c) {
          chunks.push_back(std::move(c));
          return Status::OK();
        },
        /*min_bytes=*/4096, /*max_bytes=*/1 << 20);
    for (int i = 0; i < n; ++i) {
      std::string key = "d";  // a document record key: 'd' + big-endian number
      for (int shift : {24, 16, 8, 0}) key.push_back(char(i >> shift));
      std::string value(100, i == changed ? 'x' : 'a');
      EXPECT_TRUE(chunker.Add(key, value).ok());
    }
    EXPECT_TRUE(chunker.Add("mseq", "12345678").ok());
    EXPECT_TRUE(chunker.Finish().ok());
    return chunks;
  };
  auto a = chunk_all(20000, -1);
  auto b = chunk_all(20000, 19990);  // a change near the end
  ASSERT_GT(a.size(), 3u);
  ASSERT_EQ(a.size(), b.size());
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_EQ(same, a.size() - 1);  // only the chunk holding record 19990 differs
  int records = 0;
  for (const auto& c : a) {
    ASSERT_TRUE(ForEachChunkRecord(c, [&](std::string_view, std::string_view) {
                  ++records;
                  return Status::OK();
                }).ok());
  }
  EXPECT_EQ(records, 20001);
  std::string bad = a[0].substr(0, a[0].size() - 3);
  EXPECT_EQ(ForEachChunkRecord(bad, [](auto, auto) { return Status::OK(); }).code(),
            StatusCode::kCorruption);
}

TEST(ManifestTest, RoundTripAndStrictParsing) {
  SnapshotManifest m;
  m.snapshot = "snap-1";
  m.uuid = "abcdefghijklmnopqrstuv";
  m.start_time_ms = 1;
  m.end_time_ms = 2;
  ManifestIndex index;
  index.name = "photos";
  index.meta_json = R"({"uuid":"x"})";
  index.docs_count = 3;
  index.files.push_back({"records-000000", FileKind::kRecords, Sha256Hex("a"), 1});
  index.files.push_back({"v0.lkv", FileKind::kVectors, Sha256Hex("b"), 1});
  m.indices.push_back(index);
  auto parsed = ParseManifest(EncodeManifest(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(EncodeManifest(*parsed), EncodeManifest(m));
  std::string text = EncodeManifest(m);
  std::string bad_blob = text;
  bad_blob.replace(bad_blob.find(Sha256Hex("a")), 64, std::string(64, 'G'));
  EXPECT_EQ(ParseManifest(bad_blob).status().code(), StatusCode::kCorruption);
  std::string bad_version = text;
  bad_version.replace(bad_version.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_EQ(ParseManifest(bad_version).status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(ParseManifest("[]").ok());
}

TEST(RepositoryTest, BlobsAreContentAddressedAndVerified) {
  TempDir dir;
  auto repo = FsRepository::Open(dir.path() + "/repo", true);
  ASSERT_TRUE(repo.ok());
  bool added = false;
  auto sha = repo->PutBlob("hello", &added);
  ASSERT_TRUE(sha.ok());
  EXPECT_TRUE(added);
  ASSERT_TRUE(repo->PutBlob("hello", &added).ok());
  EXPECT_FALSE(added);
  EXPECT_EQ(repo->ReadBlob(*sha, 5, 100).value(), "hello");
  {
    std::ofstream f(repo->BlobPath(*sha), std::ios::binary | std::ios::trunc);
    f << "jello";
  }
  auto read = repo->ReadBlob(*sha, 5, 100);
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_NE(read.status().message().find("checksum mismatch"), std::string::npos);
  auto removed = repo->RemoveBlobsExcept({});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(repo->HasBlob(*sha));
}

TEST(RepositoryTest, LockIsExclusive) {
  TempDir dir;
  auto repo = FsRepository::Open(dir.path() + "/repo", true);
  auto first = repo->TryLock("r");
  ASSERT_TRUE(first.ok());
  auto second = repo->TryLock("r");
  EXPECT_EQ(second.status().kind(), ErrorKind::kSnapshotBusy);
}

// _verify: a usable repository passes and leaves nothing behind; one whose folder went away
// after registration fails with the step named.
TEST(RepositoryTest, VerifyProbesAndCleansUp) {
  TempDir dir;
  auto repo = FsRepository::Open(dir.path() + "/repo", true);
  ASSERT_TRUE(repo.ok());
  const auto before = std::distance(fs::directory_iterator(repo->location()), {});
  ASSERT_TRUE(repo->Verify().ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(repo->location()), {}), before);
  fs::remove_all(repo->location());
  Status s = repo->Verify();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot be written"), std::string::npos) << s.ToString();
}

TEST(PathRepoTest, LocationsMustStayUnderARoot) {
  TempDir dir;
  std::string root = dir.path() + "/backups";
  fs::create_directories(root);
  fs::create_directories(dir.path() + "/elsewhere");
  std::vector<std::string> roots = {root};
  EXPECT_EQ(ResolveRepositoryLocation(roots, "r", "one").value(),
            fs::weakly_canonical(root + "/one").string());
  EXPECT_TRUE(ResolveRepositoryLocation(roots, "r", root + "/a/b").ok());
  for (std::string escape : {std::string("../elsewhere"), std::string("a/../../elsewhere"),
                             dir.path() + "/elsewhere", std::string("/")}) {
    auto r = ResolveRepositoryLocation(roots, "r", escape);
    ASSERT_FALSE(r.ok()) << escape;
    EXPECT_EQ(r.status().kind(), ErrorKind::kRepositoryInvalid);
    EXPECT_NE(r.status().message().find(root), std::string::npos);  // names the roots
  }
  fs::create_directory_symlink(dir.path() + "/elsewhere", root + "/link");
  EXPECT_FALSE(ResolveRepositoryLocation(roots, "r", "link/x").ok());
  EXPECT_EQ(ResolveRepositoryLocation({}, "r", root).status().kind(),
            ErrorKind::kRepositoryInvalid);
}

TEST(RepositoryRegistryTest, RegistrationsPersist) {
  TempDir dir;
  std::string root = dir.path() + "/backups";
  fs::create_directories(root);
  std::string file = dir.path() + "/snapshot_repositories.json";
  {
    RepositoryRegistry registry({root}, file);
    ASSERT_TRUE(registry.Load().ok());
    ASSERT_TRUE(registry.Put("r1", R"({"type":"fs","settings":{"location":"r1"}})").ok());
    EXPECT_EQ(registry.Put("bad", R"({"type":"s3","settings":{"bucket":"x"}})").kind(),
              ErrorKind::kRepositoryInvalid);
    EXPECT_EQ(registry.Put("esc", R"({"type":"fs","settings":{"location":"../x"}})").kind(),
              ErrorKind::kRepositoryInvalid);
    EXPECT_TRUE(fs::is_directory(root + "/r1"));
  }
  RepositoryRegistry again({root}, file);
  ASSERT_TRUE(again.Load().ok());
  auto got = again.Get("r1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->location, "r1");
  EXPECT_EQ(again.Get("esc").status().kind(), ErrorKind::kRepositoryMissing);
  ASSERT_TRUE(again.Delete("r1").ok());
  RepositoryRegistry third({root}, file);
  ASSERT_TRUE(third.Load().ok());
  EXPECT_EQ(third.Get("r1").status().kind(), ErrorKind::kRepositoryMissing);
}

}  // namespace
}  // namespace lookalike::snapshot
