// The converted MobileNetV2 against the original: the same inputs through the TF.js model (run
// by @tensorflow/tfjs in node) and through our ONNX file in OpenCV DNN must give the same pooled
// features (max |diff| ≤ 1e-3). Plus embedder behaviour: shape, norm, determinism, batch ==
// single, several instances, similar images close.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "lookalike/embedder.h"

namespace lookalike {
namespace {

const std::string kModelDir = LOOKALIKE_TEST_MODEL_DIR;

ModelManifest Load(const std::string& name) {
  Result<ModelManifest> m = LoadModelManifest(kModelDir + "/" + name + ".json");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : ModelManifest{};
}

// Synthetic 224×224 test images: smooth gradients, hard edges, noise, and shapes.
Image Synthetic(int kind, int size = 224) {
  Image img;
  img.width = img.height = size;
  img.rgb.resize(static_cast<size_t>(size) * size * 3);
  std::mt19937 rng(1234 + kind);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      uint8_t* p = &img.rgb[(static_cast<size_t>(y) * size + x) * 3];
      double fx = double(x) / size, fy = double(y) / size;
      switch (kind) {
        case 0:
          p[0] = uint8_t(255 * fx);
          p[1] = uint8_t(255 * fy);
          p[2] = 90;
          break;
        case 1: {
          bool on = ((x / 28) + (y / 28)) % 2;
          p[0] = on ? 240 : 20;
          p[1] = on ? 200 : 40;
          p[2] = on ? 30 : 220;
          break;
        }
        case 2:
          p[0] = uint8_t(rng());
          p[1] = uint8_t(rng());
          p[2] = uint8_t(rng());
          break;
        default: {
          double d = std::hypot(fx - 0.5, fy - 0.45);
          bool disc = d < 0.3;
          p[0] = disc ? 250 : 255;
          p[1] = disc ? 180 : 255;
          p[2] = disc ? uint8_t(40 + 100 * d) : 255;
        }
      }
    }
  }
  return img;
}

TEST(EmbedModelTest, MatchesTfjsReference) {
  const std::string dir = ::testing::TempDir() + "/lookalike_tfjs_ref";
  std::filesystem::create_directories(dir);
  std::vector<Image> images;
  std::string args;
  for (int k = 0; k < 4; ++k) {
    images.push_back(Synthetic(k));
    std::string f = dir + "/img" + std::to_string(k) + ".rgb";
    std::ofstream(f, std::ios::binary)
        .write(reinterpret_cast<const char*>(images.back().rgb.data()),
               static_cast<std::streamsize>(images.back().rgb.size()));
    args += " '" + f + "'";
  }
  // TF.js model → (manifest name, layer whose average-pooled output the manifest reads; with
  // "#max" its max-pooled output).
  struct Check {
    std::string tfjs_model;
    std::vector<std::pair<std::string, std::string>> outputs;
  };
  const std::vector<Check> checks = {
      {"mobilenet_v2",
       {{"mobilenet_v2", "out_relu"}, {"mobilenet_v2_b10", "block_10_depthwise_relu#max"}}},
      {"mobilenet_v2_mid", {{"mobilenet_v2_mid", "MobilenetV2/Conv_1/Relu6#max"}}}};
  for (const Check& check : checks) {
    std::string layers;
    for (const auto& o : check.outputs) {
      layers += (layers.empty() ? "" : ",") + o.second.substr(0, o.second.find('#'));
    }
    const std::string ref = dir + "/ref_" + check.tfjs_model + ".json";
    std::string cmd = "node '" LOOKALIKE_TEST_TFJS_SCRIPT "' '" LOOKALIKE_TEST_NODE_MODULES "' '" +
                      std::string(LOOKALIKE_TEST_NODE_MODULES) + "/nsfwjs/dist/models/" +
                      check.tfjs_model + "' " + layers + " '" + ref + "'" + args + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.load(ref).get(doc), simdjson::SUCCESS);
    for (const auto& [model, layer] : check.outputs) {
      ModelManifest m = Load(model);
      m.l2_normalize = false;  // compare the raw pooled features
      Result<std::unique_ptr<Embedder>> e = Embedder::Create(m, {.instances = 1});
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      double worst = 0;
      for (int k = 0; k < 4; ++k) {
        Result<std::vector<float>> v = (*e)->Embed(images[k]);
        ASSERT_TRUE(v.ok()) << v.status().ToString();
        simdjson::dom::array want;
        ASSERT_EQ(doc["img" + std::to_string(k) + ".rgb"][layer].get(want), simdjson::SUCCESS);
        ASSERT_EQ(want.size(), v->size()) << model;
        size_t i = 0;
        double dot = 0, na = 0, nb = 0;
        for (simdjson::dom::element x : want) {
          double r = x.get_double().value();
          worst = std::max(worst, std::abs(r - (*v)[i]));
          dot += r * (*v)[i];
          na += r * r;
          nb += double((*v)[i]) * (*v)[i];
          ++i;
        }
        EXPECT_GT(dot / std::sqrt(na * nb), 0.99999) << model << " image " << k;
      }
      EXPECT_LE(worst, 1e-3) << model;
      std::printf("%s: max |ONNX/OpenCV - TF.js| = %.2e\n", model.c_str(), worst);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(EmbedModelTest, ShapeNormDeterminismAndBatching) {
  ModelManifest m = Load("mobilenet_v2_b10");
  ASSERT_EQ(m.pooling, Pooling::kMax);  // pooled here, from the [N, 384, 14, 14] map
  Result<std::unique_ptr<Embedder>> e = Embedder::Create(m, {.instances = 2});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ((*e)->instances(), 2);
  std::vector<Image> images;
  for (int k = 0; k < 4; ++k) images.push_back(Synthetic(k, 150 + 40 * k));  // needs resizing
  std::vector<const Image*> ptrs;
  for (int r = 0; r < 5; ++r) {  // 20 images: several batches over both instances
    for (const Image& img : images) ptrs.push_back(&img);
  }
  const size_t d = static_cast<size_t>((*e)->dims());
  ASSERT_EQ(d, 384u);
  std::vector<float> batch(ptrs.size() * d);
  ASSERT_TRUE((*e)->EmbedBatch(ptrs, batch).ok());
  for (size_t i = 0; i < ptrs.size(); ++i) {
    Result<std::vector<float>> one = (*e)->Embed(*ptrs[i]);
    ASSERT_TRUE(one.ok());
    double norm = 0, diff = 0;
    for (size_t k = 0; k < d; ++k) {
      norm += double((*one)[k]) * (*one)[k];
      diff = std::max(diff, double(std::abs((*one)[k] - batch[i * d + k])));
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_LT(diff, 1e-5) << "batched and single embeddings differ for image " << i;
  }
  // Different images differ; a rescaled copy of an image stays close.
  auto cos = [&](size_t a, size_t b) {
    double s = 0;
    for (size_t k = 0; k < d; ++k) s += double(batch[a * d + k]) * batch[b * d + k];
    return s;
  };
  EXPECT_LT(cos(0, 1), 0.99);
  Image big = Synthetic(0, 448);
  Result<std::vector<float>> vb = (*e)->Embed(big);
  ASSERT_TRUE(vb.ok());
  double s = 0;
  for (size_t k = 0; k < d; ++k) s += double((*vb)[k]) * batch[k];
  EXPECT_GT(s, cos(0, 1));
  // A malformed image buffer is an error, not a crash.
  Image broken;
  broken.width = 10;
  broken.height = 10;
  EXPECT_TRUE((*e)->Embed(broken).status().IsInvalidArgument());
}

TEST(EmbedModelTest, WrongManifestFailsAtCreate) {
  ModelManifest m = Load("mobilenet_v2_b10");
  m.dims = 100;
  EXPECT_TRUE(Embedder::Create(m, {.instances = 1}).status().IsInvalidArgument());
  m = Load("mobilenet_v2_b10");
  m.output_name = "no/such/tensor";
  EXPECT_TRUE(Embedder::Create(m, {.instances = 1}).status().IsInvalidArgument());
}

TEST(EmbedModelTest, RegistryServesDefaultModel) {
  Result<std::unique_ptr<ModelRegistry>> reg = ModelRegistry::LoadDir(kModelDir);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ((*reg)->DefaultName(), std::string(kDefaultModelName));
  Result<std::shared_ptr<Embedder>> a = (*reg)->Get("");
  Result<std::shared_ptr<Embedder>> b = (*reg)->Get(kDefaultModelName);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());  // created once, shared
}

}  // namespace
}  // namespace lookalike
