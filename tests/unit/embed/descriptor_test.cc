// Descriptors from feature maps (issue 11): GeM between average and max pooling, R-MAC regions
// and pooling, PCA-whitening and its file format, and the manifest options that select them.
#include "embed/descriptor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "lookalike/embedder.h"

namespace lookalike::embed {
namespace {

// A non-negative [C, H, W] map with a different pattern per channel.
std::vector<float> RandomMap(int c, int h, int w, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 6.0f);
  std::vector<float> map(static_cast<size_t>(c) * h * w);
  for (float& v : map) v = u(rng);
  return map;
}

std::vector<float> Pool(const std::vector<float>& map, int c, int h, int w, Pooling p,
                        float gem_p = 3) {
  std::vector<float> out(c);
  PoolFeatureMap(map.data(), c, h, w, p, gem_p, out.data());
  return out;
}

TEST(GemTest, PEqualOneIsAveragePooling) {
  auto map = RandomMap(5, 7, 7, 1);
  auto gem = Pool(map, 5, 7, 7, Pooling::kGem, 1.0f);
  auto avg = Pool(map, 5, 7, 7, Pooling::kAverage);
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(gem[c], avg[c], 1e-5f) << c;
}

TEST(GemTest, LargePApproachesMaxAndLiesBetween) {
  auto map = RandomMap(5, 7, 7, 2);
  auto mx = Pool(map, 5, 7, 7, Pooling::kMax);
  auto avg = Pool(map, 5, 7, 7, Pooling::kAverage);
  auto gem3 = Pool(map, 5, 7, 7, Pooling::kGem, 3.0f);
  auto gem64 = Pool(map, 5, 7, 7, Pooling::kGem, 64.0f);
  for (int c = 0; c < 5; ++c) {
    EXPECT_GT(gem3[c], avg[c]);
    EXPECT_LT(gem3[c], mx[c]);
    EXPECT_GT(gem64[c], gem3[c]);
    EXPECT_NEAR(gem64[c], mx[c], 0.1f * mx[c]) << c;  // 49 cells: 49^(-1/64) ≈ 0.94
  }
}

TEST(GemTest, NegativeActivationsAreClampedNotNaN) {
  std::vector<float> map = {-1.0f, -2.0f, 4.0f, 0.0f};  // 1 channel, 2×2
  auto gem = Pool(map, 1, 2, 2, Pooling::kGem, 3.0f);
  EXPECT_TRUE(std::isfinite(gem[0]));
  EXPECT_NEAR(gem[0], 4.0f * std::cbrt(0.25f), 1e-4f);
}

TEST(RmacTest, RegionsOfASquareMapAtThreeLevels) {
  std::vector<Region> r = RmacRegions(7, 7, 3);
  ASSERT_EQ(r.size(), 1u + 4u + 9u);
  EXPECT_EQ(r[0].w, 7);  // level 1: the whole map
  for (const Region& g : r) {
    EXPECT_GE(g.x, 0);
    EXPECT_GE(g.y, 0);
    EXPECT_LE(g.x + g.w, 7);
    EXPECT_LE(g.y + g.h, 7);
  }
  // A wider map gets extra positions along its longer side.
  std::vector<Region> wide = RmacRegions(7, 14, 3);
  EXPECT_GT(wide.size(), r.size());
  for (const Region& g : wide) EXPECT_LE(g.x + g.w, 14);
}

TEST(RmacTest, ConstantMapGivesSumOfNormalisedRegions) {
  const int c = 4, h = 7, w = 7;
  std::vector<float> map(static_cast<size_t>(c) * h * w, 2.5f);
  auto out = Pool(map, c, h, w, Pooling::kRmac);
  // Every region's max vector is (2.5, 2.5, 2.5, 2.5), normalised to 1/2 each; 14 regions.
  for (int k = 0; k < c; ++k) EXPECT_NEAR(out[k], 14 * 0.5f, 1e-5f);
}

TEST(RmacTest, LocalPeakCountsOncePerRegionHoldingIt) {
  const int c = 2, h = 7, w = 7;
  std::vector<float> map(static_cast<size_t>(c) * h * w, 1.0f);
  map[0 * 49 + 0] = 9.0f;  // channel 0 peaks in the top-left corner only
  auto out = Pool(map, c, h, w, Pooling::kRmac);
  size_t holding = 0;
  for (const Region& g : RmacRegions(h, w, 3)) holding += g.x == 0 && g.y == 0;
  // Regions holding the corner give (9, 1)/|(9, 1)|, the others (1, 1)/√2.
  float n = std::sqrt(82.0f);
  float others = static_cast<float>(14 - holding);
  EXPECT_NEAR(out[0], holding * 9 / n + others / std::sqrt(2.0f), 1e-4f);
  EXPECT_NEAR(out[1], holding * 1 / n + others / std::sqrt(2.0f), 1e-4f);
}

Whitening KnownWhitening() {
  Whitening w;
  w.in_dims = 3;
  w.out_dims = 2;
  w.mean = {1.0f, 2.0f, 3.0f};
  w.projection = {2.0f, 0.0f, 0.0f,    // row 0: 2·x0
                  0.0f, 1.0f, -1.0f};  // row 1: x1 − x2
  return w;
}

TEST(WhiteningTest, AppliesMeanThenProjection) {
  Whitening w = KnownWhitening();
  float in[3] = {4.0f, 7.0f, 1.0f}, out[2];
  ApplyWhitening(w, in, out);
  EXPECT_FLOAT_EQ(out[0], 2.0f * (4 - 1));
  EXPECT_FLOAT_EQ(out[1], (7 - 2) - (1 - 3));
}

TEST(WhiteningTest, FileRoundTripsAndRefusesDamage) {
  std::string bytes = EncodeWhitening(KnownWhitening());
  auto span = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  Result<Whitening> back = DecodeWhitening(span(bytes));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->out_dims, 2);
  EXPECT_EQ(back->projection, KnownWhitening().projection);
  EXPECT_EQ(back->mean, KnownWhitening().mean);

  std::string flipped = bytes;
  flipped[30] ^= 1;
  EXPECT_NE(DecodeWhitening(span(flipped)).status().message().find("checksum"), std::string::npos);
  std::string shorter = bytes.substr(0, bytes.size() - 8);
  EXPECT_NE(DecodeWhitening(span(shorter)).status().message().find("bytes"), std::string::npos);
  EXPECT_TRUE(DecodeWhitening(span(std::string("LKWHITEN"))).status().IsInvalidArgument());
  EXPECT_TRUE(DecodeWhitening(span(std::string(64, 'x'))).status().IsInvalidArgument());
}

TEST(ScaledInputSideTest, RoundsToMultiplesOf32) {
  EXPECT_EQ(ScaledInputSide(224, 1.0f), 224);
  EXPECT_EQ(ScaledInputSide(224, 0.7071f), 160);
  EXPECT_EQ(ScaledInputSide(224, 1.4142f), 320);
  EXPECT_EQ(ScaledInputSide(224, 0.05f), 32);
}

// ---------------------------------------------------------------- manifest options

class ManifestOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/lookalike_descriptor_test";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/w.whiten", std::ios::binary) << EncodeWhitening(KnownWhitening());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Json(const std::string& output_extra, int dims = 3) {
    return R"({"name":"a","file":"a.onnx","input":{"width":224,"height":224},)"
           R"("output":{"name":"o","dims":)" +
           std::to_string(dims) + output_extra + "}}";
  }
  Status Parse(const std::string& output_extra, int dims = 3) {
    return ParseModelManifest(Json(output_extra, dims), dir_).status();
  }
  std::string dir_;
};

TEST_F(ManifestOptionsTest, ParsesPoolingScalesWhiteningAndVersion) {
  Result<ModelManifest> m = ParseModelManifest(
      R"({"name":"a","file":"a.onnx","version":3,"input":{"width":224,"height":224},
          "output":{"name":"o","dims":3,"pooling":"gem","gem_p":4.5,"scales":[1,0.7071,1.4142],
                    "whiten":"w.whiten"}})",
      dir_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->pooling, Pooling::kGem);
  EXPECT_FLOAT_EQ(m->gem_p, 4.5f);
  EXPECT_EQ(m->scales.size(), 3u);
  EXPECT_EQ(m->version, 3);
  EXPECT_EQ(m->channels, 3);
  EXPECT_EQ(m->dims, 2);  // the whitening's output
  ASSERT_NE(m->whitening, nullptr);
  EXPECT_EQ(m->whitening->mean, KnownWhitening().mean);
  EXPECT_EQ(m->whiten_file, std::filesystem::path(dir_ + "/w.whiten").lexically_normal().string());
  Result<ModelManifest> rmac = ParseModelManifest(Json(R"(,"pooling":"rmac")"), dir_);
  ASSERT_TRUE(rmac.ok());
  EXPECT_EQ(rmac->pooling, Pooling::kRmac);
  EXPECT_EQ(rmac->dims, 3);
  EXPECT_EQ(rmac->version, 1);
  EXPECT_FLOAT_EQ(rmac->gem_p, 3.0f);
}

TEST_F(ManifestOptionsTest, RefusesBadOptionsNamingThem) {
  struct Case {
    std::string extra;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {R"(,"pooling":"gem","gem_p":0.5)", "\"gem_p\""},
      {R"(,"pooling":"gem","gem_p":"3")", "\"gem_p\""},
      {R"(,"pooling":"rmacc")", "\"pooling\""},
      {R"(,"pooling":"max","scales":[])", "\"scales\""},
      {R"(,"pooling":"max","scales":[1,9])", "\"scales\""},
      {R"(,"pooling":"max","scales":"1")", "\"scales\""},
      {R"(,"scales":[1,2])", "\"scales\""},  // nothing to pool
      {R"(,"whiten":"missing.whiten")", "\"whiten\" file cannot be read"},
      {R"(,"whiten":3)", "\"whiten\" must be a string"},
  };
  for (const Case& c : cases) {
    Status st = Parse(c.extra);
    EXPECT_TRUE(st.IsInvalidArgument()) << c.extra;
    EXPECT_NE(st.message().find(c.mentions), std::string::npos) << c.extra << ": " << st.message();
  }
  // A whitening file for 3-d vectors on a 4-channel output.
  EXPECT_NE(Parse(R"(,"whiten":"w.whiten")", 4).message().find("whitens 3-d"), std::string::npos);
  // A short (truncated) whitening file.
  std::string bytes = EncodeWhitening(KnownWhitening());
  std::ofstream(dir_ + "/short.whiten", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  Status st = Parse(R"(,"whiten":"short.whiten")");
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("short.whiten"), std::string::npos) << st.message();
  // A version that is not a positive integer.
  EXPECT_NE(ParseModelManifest(
                R"({"name":"a","file":"a","version":0,"input":{"width":8,"height":8},
                    "output":{"name":"o","dims":3}})",
                dir_)
                .status()
                .message()
                .find("\"version\""),
            std::string::npos);
}

TEST_F(ManifestOptionsTest, RegistryRefusesBadManifestsAndKeepsTheOthers) {
  auto write = [&](const std::string& file, const std::string& name, const std::string& extra) {
    std::ofstream(dir_ + "/" + file)
        << R"({"name":")" << name
        << R"(","file":"none.onnx","input":{"width":8,"height":8},"output":{"name":"o","dims":3)"
        << extra << "}}";
  };
  write("good.json", "good", R"(,"pooling":"gem")");
  write("typo.json", "typo", R"(,"pooling":"gemm")");
  write("nowhiten.json", "nowhiten", R"(,"pooling":"max","whiten":"not-made-yet.whiten")");
  Result<std::unique_ptr<ModelRegistry>> reg = ModelRegistry::LoadDir(dir_);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  ASSERT_EQ((*reg)->List().size(), 1u);
  EXPECT_EQ((*reg)->List()[0].name, "good");
  ASSERT_EQ((*reg)->refused().size(), 2u);
  std::string all = (*reg)->refused()[0].ToString() + " | " + (*reg)->refused()[1].ToString();
  EXPECT_NE(all.find("typo.json"), std::string::npos) << all;
  EXPECT_NE(all.find("nowhiten.json"), std::string::npos) << all;
  EXPECT_NE(all.find("whiten"), std::string::npos) << all;
  // Only bad manifests: the load fails with the reasons.
  std::filesystem::remove(dir_ + "/good.json");
  Status st = ModelRegistry::LoadDir(dir_).status();
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("typo.json"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace lookalike::embed
