// FlatIndex snapshots: round trips (copied and mapped), and damaged files -> Corruption.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "flat_test_util.h"

namespace lookalike::flat {
namespace {

using testing::ExpectSameHits;
using testing::RandomVectors;

class FlatFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flat_format_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void WriteAll(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::filesystem::path dir_;
};

std::vector<SearchHit> Query(const VectorIndex& index, const float* q, size_t k) {
  SearchParams p;
  p.k = k;
  std::vector<SearchHit> out;
  EXPECT_TRUE(index.Search(q, p, &out).ok());
  return out;
}

TEST_F(FlatFormatTest, RoundTripCopiedAndMapped) {
  const size_t dim = 8;
  // More than one chunk, so the mapped load maps a full chunk and copies the tail.
  const size_t n = FlatIndex::kChunkSlots + 123;
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    auto index = FlatIndex::Create(dim, metric).value();
    const auto data = RandomVectors(n, dim, 3);
    std::vector<uint64_t> labels(n);
    for (size_t i = 0; i < n; ++i) labels[i] = (i * 2654435761u) ^ 0xabcdef;
    ASSERT_TRUE(index->AddBatch(n, labels.data(), data.data()).ok());
    for (size_t i = 0; i < n; i += 10) ASSERT_TRUE(index->Remove(labels[i]).ok());
    const std::string path = Path("index.flat");
    ASSERT_TRUE(index->Save(path).ok());
    const auto queries = RandomVectors(5, dim, 4);

    for (bool mmap : {false, true}) {
      LoadOptions opts;
      opts.mmap_vectors = mmap;
      auto loaded = LoadFlatIndex(path, opts);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      VectorIndex& copy = *loaded.value();
      EXPECT_EQ(copy.size(), index->size());
      EXPECT_EQ(copy.dim(), dim);
      EXPECT_EQ(copy.metric(), metric);
      EXPECT_EQ(copy.Stats().deleted, 0u);  // snapshots are compact
      for (size_t qi = 0; qi < 5; ++qi) {
        ExpectSameHits(Query(*index, &queries[qi * dim], 20), Query(copy, &queries[qi * dim], 20),
                       1e-6);
      }
      // The loaded index stays writable: replace a label (in the mapped prefix when mapped),
      // remove one, add new ones.
      ASSERT_TRUE(copy.Add(labels[1], &queries[0]).ok());
      ASSERT_TRUE(copy.Remove(labels[2]).ok());
      for (uint64_t l = 0; l < 50; ++l) ASSERT_TRUE(copy.Add(uint64_t{1} << 40 | l, &data[l * dim]).ok());
      const auto hits = Query(copy, &queries[0], 1);
      ASSERT_EQ(hits.size(), 1u);
      if (metric != Metric::kInnerProduct) EXPECT_EQ(hits[0].label, labels[1]);
      EXPECT_FALSE(copy.Contains(labels[2]));
      EXPECT_EQ(copy.size(), index->size() - 1 + 50);
      // Saving a loaded (possibly mapped) index over its own file works.
      ASSERT_TRUE(copy.Save(path + ".2").ok());
      auto again = LoadFlatIndex(path + ".2", opts);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again.value()->size(), copy.size());
    }
  }
}

TEST_F(FlatFormatTest, EmptyIndexRoundTrips) {
  auto index = FlatIndex::Create(5, Metric::kL2).value();
  ASSERT_TRUE(index->Save(Path("empty.flat")).ok());
  auto loaded = LoadFlatIndex(Path("empty.flat"), {});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded.value()->size(), 0u);
  EXPECT_EQ(loaded.value()->dim(), 5u);
}

// A small snapshot whose every byte can be damaged in turn.
std::string SmallSnapshot(const std::string& path) {
  auto index = FlatIndex::Create(3, Metric::kCosine).value();
  const auto data = RandomVectors(6, 3, 5);
  for (uint64_t i = 0; i < 6; ++i) EXPECT_TRUE(index->Add(i + 100, &data[i * 3]).ok());
  EXPECT_TRUE(index->Save(path).ok());
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(FlatFormatTest, TruncatedFileIsCorruption) {
  const std::string good = Path("good.flat");
  const std::string bytes = SmallSnapshot(good);
  ASSERT_TRUE(IsFlatIndexMagic(bytes.data(), bytes.size()));
  for (size_t len = 0; len < bytes.size(); ++len) {
    // A fresh name each time: rewriting a truncated file makes ext4 flush on close (slow).
    const std::string bad = Path("truncated" + std::to_string(len) + ".flat");
    WriteAll(bad, bytes.substr(0, len));
    for (bool mmap : {false, true}) {
      LoadOptions opts;
      opts.mmap_vectors = mmap;
      auto r = LoadFlatIndex(bad, opts);
      ASSERT_FALSE(r.ok()) << "length " << len;
      EXPECT_TRUE(r.status().IsCorruption()) << len << ": " << r.status().ToString();
    }
    std::filesystem::remove(bad);
  }
  WriteAll(Path("long.flat"), bytes + std::string(64, '\0'));
  EXPECT_TRUE(LoadFlatIndex(Path("long.flat"), {}).status().IsCorruption());
}

TEST_F(FlatFormatTest, EveryFlippedByteIsCorruption) {
  const std::string bytes = SmallSnapshot(Path("good.flat"));
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    const std::string bad = Path("flipped" + std::to_string(pos) + ".flat");
    std::string damaged = bytes;
    damaged[pos] = static_cast<char>(damaged[pos] ^ (1u << (pos % 8)));
    WriteAll(bad, damaged);
    auto r = LoadFlatIndex(bad, {});
    std::filesystem::remove(bad);
    ASSERT_FALSE(r.ok()) << "flipping byte " << pos << " went unnoticed";
    EXPECT_TRUE(r.status().IsCorruption()) << pos << ": " << r.status().ToString();
  }
}

TEST_F(FlatFormatTest, MissingFileAndForeignFile) {
  EXPECT_TRUE(LoadFlatIndex(Path("nope.flat"), {}).status().IsNotFound());
  WriteAll(Path("foreign.bin"), std::string(4096, 'x'));
  auto r = LoadFlatIndex(Path("foreign.bin"), {});
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("magic"), std::string::npos);
}

}  // namespace
}  // namespace lookalike::flat
