// Model manifests: a valid one parses with defaults; each kind of mistake is an InvalidArgument
// that names the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lookalike/embedder.h"

namespace lookalike {
namespace {

constexpr const char* kValid = R"({
  "name": "tiny_net", "file": "tiny.onnx", "description": "test",
  "input": {"width": 32, "height": 16, "color": "bgr", "scale": 1, "mean": [1, 2, 3],
            "std": [2, 2, 2], "resize": "bilinear", "crop": "center"},
  "output": {"name": "feat", "dims": 7, "pooling": "max", "normalize": "none"},
  "batch_size": 4, "notes": {"ignored": true}
})";

TEST(ManifestTest, ParsesAllFields) {
  Result<ModelManifest> m = ParseModelManifest(kValid, "/models");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "tiny_net");
  EXPECT_EQ(m->file, "/models/tiny.onnx");
  EXPECT_EQ(m->input_width, 32);
  EXPECT_EQ(m->input_height, 16);
  EXPECT_TRUE(m->bgr);
  EXPECT_EQ(m->scale, 1.0f);
  EXPECT_EQ(m->mean[2], 3.0f);
  EXPECT_EQ(m->std[0], 2.0f);
  EXPECT_EQ(m->resize, ResizeMode::kBilinear);
  EXPECT_EQ(m->crop, CropMode::kCenter);
  EXPECT_EQ(m->output_name, "feat");
  EXPECT_EQ(m->dims, 7);
  EXPECT_EQ(m->pooling, Pooling::kMax);
  EXPECT_FALSE(m->l2_normalize);
  EXPECT_EQ(m->batch_size, 4);
  EXPECT_TRUE(m->center.empty());
}

TEST(ManifestTest, Defaults) {
  Result<ModelManifest> m = ParseModelManifest(
      R"({"name":"a","file":"/abs/a.onnx","input":{"width":8,"height":8},
          "output":{"name":"o","dims":3}})",
      "/elsewhere");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->file, "/abs/a.onnx");  // absolute paths are kept
  EXPECT_FALSE(m->bgr);
  EXPECT_FLOAT_EQ(m->scale, 1.0f / 255.0f);
  EXPECT_EQ(m->resize, ResizeMode::kArea);
  EXPECT_EQ(m->crop, CropMode::kNone);
  EXPECT_EQ(m->pooling, Pooling::kNone);
  EXPECT_TRUE(m->l2_normalize);
}

struct BadCase {
  const char* json;
  const char* mentions;
};

class ManifestErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ManifestErrorTest, NamesTheProblem) {
  Result<ModelManifest> m = ParseModelManifest(GetParam().json, "/m");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsInvalidArgument());
  EXPECT_NE(m.status().message().find(GetParam().mentions), std::string::npos)
      << m.status().message();
}

#define IN R"("input":{"width":8,"height":8})"
#define OUT R"("output":{"name":"o","dims":3})"
INSTANTIATE_TEST_SUITE_P(
    Errors, ManifestErrorTest,
    ::testing::Values(
        BadCase{"{not json", "not valid JSON"}, BadCase{"[1,2]", "JSON object"},
        BadCase{R"({"file":"a.onnx",)" IN "," OUT "}", "\"name\" is missing"},
        BadCase{R"({"name":"Bad Name","file":"a",)" IN "," OUT "}", "\"name\""},
        BadCase{R"({"name":"a",)" IN "," OUT "}", "\"file\" is missing"},
        BadCase{R"({"name":"a","file":3,)" IN "," OUT "}", "\"file\" must be a string"},
        BadCase{R"({"name":"a","file":"a",)" OUT "}", "\"input\" is missing"},
        BadCase{R"({"name":"a","file":"a","input":{"width":8},)" OUT "}", "\"height\""},
        BadCase{R"({"name":"a","file":"a","input":{"width":0,"height":8},)" OUT "}",
                "\"width\" must be an integer"},
        BadCase{R"({"name":"a","file":"a","input":{"width":8.5,"height":8},)" OUT "}", "\"width\""},
        BadCase{R"({"name":"a","file":"a","input":{"width":8,"height":8,"color":"cmyk"},)" OUT "}",
                "\"color\""},
        BadCase{R"({"name":"a","file":"a","input":{"width":8,"height":8,"mean":[1,2]},)" OUT "}",
                "\"mean\""},
        BadCase{R"({"name":"a","file":"a","input":{"width":8,"height":8,"std":[1,0,1]},)" OUT "}",
                "\"std\""},
        BadCase{R"({"name":"a","file":"a","input":{"width":8,"height":8,"resize":"cubic"},)" OUT
                "}",
                "\"resize\""},
        BadCase{R"({"name":"a","file":"a",)" IN "}", "\"output\" is missing"},
        BadCase{R"({"name":"a","file":"a",)" IN R"(,"output":{"name":"o"}})", "\"dims\""},
        BadCase{R"({"name":"a","file":"a",)" IN R"(,"output":{"name":"o","dims":-3}})", "\"dims\""},
        BadCase{R"({"name":"a","file":"a",)" IN
                R"(,"output":{"name":"o","dims":3,"pooling":"sum"}})",
                "\"pooling\""},
        BadCase{R"({"name":"a","file":"a",)" IN
                R"(,"output":{"name":"o","dims":3,"normalize":"l1"}})",
                "\"normalize\""},
        BadCase{R"({"name":"a","file":"a",)" IN
                R"(,"output":{"name":"o","dims":3,"center":"missing.f32"}})",
                "center"},
        BadCase{R"({"name":"a","file":"a","batch_size":0,)" IN "," OUT "}", "\"batch_size\""}));
#undef IN
#undef OUT

TEST(ManifestTest, CenterVectorFile) {
  std::string dir = ::testing::TempDir() + "/lookalike_manifest_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/c.f32", std::ios::binary);
    float v[3] = {0.5f, -1.0f, 2.0f};
    f.write(reinterpret_cast<const char*>(v), sizeof(v));
  }
  const char* json = R"({"name":"a","file":"a.onnx","input":{"width":8,"height":8},
                         "output":{"name":"o","dims":3,"center":"c.f32"}})";
  Result<ModelManifest> m = ParseModelManifest(json, dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->center, (std::vector<float>{0.5f, -1.0f, 2.0f}));
  // Wrong length: dims 4 against a 3-float file.
  const char* wrong = R"({"name":"a","file":"a.onnx","input":{"width":8,"height":8},
                          "output":{"name":"o","dims":4,"center":"c.f32"}})";
  EXPECT_TRUE(ParseModelManifest(wrong, dir).status().IsInvalidArgument());
  std::filesystem::remove_all(dir);
}

TEST(RegistryTest, LoadsDirectoryAndReportsUnknownModels) {
  std::string dir = ::testing::TempDir() + "/lookalike_registry_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(ModelRegistry::LoadDir(dir).status().IsNotFound());  // empty
  EXPECT_TRUE(ModelRegistry::LoadDir(dir, {}, /*allow_missing=*/true).ok());
  for (const char* name : {"zeta", "alpha"}) {
    std::ofstream(dir + "/" + name + ".json")
        << R"({"name":")" << name
        << R"(","file":"none.onnx","input":{"width":8,"height":8},"output":{"name":"o","dims":3}})";
  }
  Result<std::unique_ptr<ModelRegistry>> reg = ModelRegistry::LoadDir(dir);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  std::vector<ModelManifest> list = (*reg)->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha");
  EXPECT_EQ((*reg)->DefaultName(), "alpha");
  Status unknown = (*reg)->Get("nope").status();
  EXPECT_TRUE(unknown.IsNotFound());
  EXPECT_NE(unknown.message().find("alpha, zeta"), std::string::npos) << unknown.message();
  // The ONNX file does not exist: creating the embedder fails cleanly.
  EXPECT_TRUE((*reg)->Get("alpha").status().IsInvalidArgument());
  ModelManifest dup = list[0];
  EXPECT_EQ((*reg)->Register(dup).code(), StatusCode::kAlreadyExists);
  // A broken manifest is refused, naming the file; the others still load.
  std::ofstream(dir + "/broken.json") << "{";
  Result<std::unique_ptr<ModelRegistry>> again = ModelRegistry::LoadDir(dir);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->List().size(), 2u);
  ASSERT_EQ((*again)->refused().size(), 1u);
  EXPECT_NE((*again)->refused()[0].message().find("broken.json"), std::string::npos)
      << (*again)->refused()[0].message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lookalike
