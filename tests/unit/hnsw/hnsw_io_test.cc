// Save/Load: identical results after a round trip (read and mmap), inserts after an mmap load,
// and damaged files (truncated, bit-flipped, wrong magic) give Corruption, never a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "index/hnsw/hnsw_index.h"
#include "test_data.h"

namespace lookalike {
namespace {
using namespace testing_data;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/hnsw_" + std::to_string(::getpid()) + "_" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

Result<std::unique_ptr<VectorIndex>> LoadHnsw(const std::string& path, bool mmap) {
  LoadOptions o;
  o.mmap_vectors = mmap;
  return hnsw::HnswIndex::Load(path, o);
}

class HnswIo : public ::testing::TestWithParam<CodeType> {};

TEST_P(HnswIo, RoundTripGivesIdenticalResults) {
  const size_t n = 3000, d = 24;
  HnswParams p;
  p.code = GetParam();
  p.ef_construction = 64;
  auto index = std::move(CreateHnswIndex(d, Metric::kCosine, p)).value();
  auto x = Clustered(n, d, 71);
  auto labels = Iota(n, 5);
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
  for (uint64_t l = 5; l < 300; l += 3) ASSERT_TRUE(index->Remove(l).ok());  // tombstones + free
  std::string path = TempPath("rt_" + std::string(CodeTypeName(GetParam())));
  ASSERT_TRUE(index->Save(path).ok());
  auto queries = Clustered(30, d, 72);
  for (bool mmap : {false, true}) {
    auto loaded = LoadHnsw(path, mmap);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    auto& back = *loaded;
    EXPECT_EQ(back->size(), index->size());
    EXPECT_EQ(back->dim(), d);
    EXPECT_EQ(back->metric(), Metric::kCosine);
    for (size_t q = 0; q < 30; ++q) {
      std::vector<SearchHit> a, b;
      ASSERT_TRUE(index->Search(&queries[q * d], {}, &a).ok());
      ASSERT_TRUE(back->Search(&queries[q * d], {}, &b).ok());
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].label, b[i].label);
        EXPECT_FLOAT_EQ(a[i].distance, b[i].distance);
      }
    }
    // The loaded index keeps working: inserts (into freed and new slots) and removes.
    auto more = Clustered(200, d, 73);
    auto more_labels = Iota(200, 100000);
    ASSERT_TRUE(back->AddBatch(200, more_labels.data(), more.data(), 1).ok());
    std::vector<SearchHit> out;
    ASSERT_TRUE(back->Search(&more[0], {}, &out).ok());
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].label, 100000u);
    ASSERT_TRUE(back->Remove(100000).ok());
    EXPECT_EQ(back->size(), index->size() + 199);
  }
  // LoadIndex dispatches on the magic.
  auto generic = LoadIndex(path);
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ((*generic)->Stats().kind, "hnsw");
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Codes, HnswIo,
                         ::testing::Values(CodeType::kInt8, CodeType::kFloat32,
                                           CodeType::kFloat16, CodeType::kBinary));

TEST(HnswIoDamage, TruncatedAndBitFlippedFilesAreCorruption) {
  const size_t n = 400, d = 8;
  auto index = std::move(CreateHnswIndex(d, Metric::kL2, HnswParams{})).value();
  auto x = Clustered(n, d, 81);
  auto labels = Iota(n);
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 1).ok());
  std::string path = TempPath("damage");
  ASSERT_TRUE(index->Save(path).ok());
  const std::string good = ReadAll(path);
  ASSERT_GT(good.size(), 4096u);
  std::string bad_path = TempPath("damage_bad");

  // Truncations at many points, including inside the header and the vector section.
  for (size_t len : {size_t{0}, size_t{7}, size_t{100}, size_t{319}, size_t{320}, size_t{1000},
                     good.size() / 2, good.size() - 1}) {
    WriteAll(bad_path, good.substr(0, len));
    for (bool mmap : {false, true}) {
      auto r = LoadHnsw(bad_path, mmap);
      EXPECT_FALSE(r.ok()) << "length " << len;
      if (!r.ok()) {
        EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
      }
    }
  }
  // Single bit flips across the whole file (vector section: only the checked read path).
  size_t vec_start = good.size() - n * d * sizeof(float);
  // Every header byte is tried with a few bits, then ~200 positions spread over the sections.
  size_t stride = std::max<size_t>(1, good.size() / 200) | 1;
  for (size_t pos = 0; pos < good.size(); pos += (pos < 320 ? 3 : stride)) {
    std::string bad = good;
    bad[pos] ^= char(1 << (pos % 8));
    WriteAll(bad_path, bad);
    auto r = LoadHnsw(bad_path, /*mmap=*/false);
    bool padding = false;
    if (r.ok()) {
      // Only a flip in alignment padding may go unnoticed; it must still load a working index.
      padding = true;
      std::vector<SearchHit> out;
      EXPECT_TRUE((*r)->Search(&x[0], {}, &out).ok());
    } else {
      EXPECT_TRUE(r.status().IsCorruption()) << pos << " " << r.status().ToString();
    }
    if (pos >= vec_start) {
      EXPECT_FALSE(padding) << "flip in vectors at " << pos;
    }
    // mmap load never crashes either (vectors are not checksummed there).
    auto m = LoadHnsw(bad_path, /*mmap=*/true);
    if (m.ok()) {
      std::vector<SearchHit> out;
      EXPECT_TRUE((*m)->Search(&x[0], {}, &out).ok());
    }
  }
  WriteAll(bad_path, "definitely not an index file");
  EXPECT_TRUE(LoadIndex(bad_path).status().IsCorruption());
  EXPECT_TRUE(LoadIndex(TempPath("missing")).status().IsNotFound());
  std::remove(path.c_str());
  std::remove(bad_path.c_str());
}

TEST(HnswIoDamage, LoadIndexDispatchesFlatSnapshots) {
  auto flat = CreateFlatIndex(4, Metric::kL2);
  ASSERT_TRUE(flat.ok());
  float v[4] = {1, 2, 3, 4};
  ASSERT_TRUE((*flat)->Add(3, v).ok());
  std::string path = TempPath("flat");
  ASSERT_TRUE((*flat)->Save(path).ok());
  auto back = LoadIndex(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->Stats().kind, "flat");
  EXPECT_EQ((*back)->size(), 1u);
  std::remove(path.c_str());
}

TEST(HnswIoDamage, EmptyIndexRoundTrip) {
  auto index = std::move(CreateHnswIndex(5, Metric::kInnerProduct, HnswParams{})).value();
  std::string path = TempPath("empty");
  ASSERT_TRUE(index->Save(path).ok());
  auto back = LoadHnsw(path, true);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->size(), 0u);
  float v[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE((*back)->Add(9, v).ok());
  std::vector<SearchHit> out;
  ASSERT_TRUE((*back)->Search(v, {}, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace lookalike
