#include "embed/image_file.h"
#include "server/image/image_query.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "server/es/index_codec.h"

namespace lookalike::server {
namespace {

std::string AsString(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

TEST(Base64, DecodesStandardUrlSafeAndDataUrls) {
  auto a = DecodeBase64("aGVsbG8gd29ybGQ=");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(AsString(*a), "hello world");
  auto unpadded = DecodeBase64("aGVsbG8gd29ybGQ");
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(AsString(*unpadded), "hello world");
  auto wrapped = DecodeBase64("aGVs\nbG8g\r\nd29y bGQ=");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(AsString(*wrapped), "hello world");
  auto binary = DecodeBase64("_-8A");  // URL-safe alphabet
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(*binary, (std::vector<uint8_t>{0xff, 0xef, 0x00}));
  auto data_url = DecodeBase64("data:image/png;base64,iVBORw==");
  ASSERT_TRUE(data_url.ok());
  EXPECT_EQ(*data_url, (std::vector<uint8_t>{0x89, 'P', 'N', 'G'}));
}

TEST(Base64, RejectsInvalidText) {
  for (const char* bad : {"", "====", "a", "abcde", "ab=c", "a*bc", "aGVsbG8===",
                          "data:image/png,iVBORw==", "not base64!"}) {
    EXPECT_FALSE(DecodeBase64(bad).ok()) << bad;
  }
}

constexpr char kMappingBody[] = R"({"properties":{
  "path":{"type":"keyword"},
  "meta":{"properties":{"v2":{"type":"dense_vector","dims":8}}},
  "embedding":{"type":"knn_vector","dimension":384,"model":"mobilenet_v2_b10"}}})";

TEST(VectorFieldLookup, FindsFirstOrRequestedField) {
  auto parsed = es::ParsePutMappingBody(kMappingBody);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const MappingDefinition& kMapping = *parsed;
  auto first = FindVectorField(kMapping, "photos", "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->name, "meta.v2");
  EXPECT_EQ(first->dims, 8);
  EXPECT_EQ(first->model, "");
  auto named = FindVectorField(kMapping, "photos", "embedding");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->dims, 384);
  EXPECT_EQ(named->model, "mobilenet_v2_b10");
  EXPECT_FALSE(FindVectorField(kMapping, "photos", "path").ok());
  EXPECT_FALSE(FindVectorField(kMapping, "photos", "nope").ok());
  EXPECT_FALSE(FindVectorField(MappingDefinition{}, "x", "").ok());
}

// The crops of `ingest-images --crops` (a vector with a model under a nested object) are the
// default field of an image query, ahead of fields earlier by path; a nested vector without a
// model is not (nothing says which model made it), and a requested field always wins.
TEST(VectorFieldLookup, PrefersTheCropsOfIngestImages) {
  auto crops = es::ParsePutMappingBody(R"({"properties":{
    "a":{"type":"dense_vector","dims":4},
    "embedding":{"type":"knn_vector","dimension":384,"model":"mobilenet_v2_b10"},
    "zcrops":{"type":"nested","properties":{
      "emb":{"type":"knn_vector","dimension":384,"model":"mobilenet_v2_b10"},
      "box":{"type":"integer"}}}}})");
  ASSERT_TRUE(crops.ok()) << crops.status().ToString();
  auto chosen = FindVectorField(*crops, "photos", "");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->name, "zcrops.emb");
  EXPECT_EQ(chosen->model, "mobilenet_v2_b10");
  EXPECT_EQ(FindVectorField(*crops, "photos", "embedding")->name, "embedding");
  // Every vector field is left out of _source; the nested one by its object.
  EXPECT_EQ(VectorFieldPaths(*crops), (std::vector<std::string>{"a", "embedding", "zcrops"}));

  auto no_model = es::ParsePutMappingBody(R"({"properties":{
    "embedding":{"type":"knn_vector","dimension":4},
    "zcrops":{"type":"nested","properties":{"emb":{"type":"knn_vector","dimension":4}}}}})");
  ASSERT_TRUE(no_model.ok());
  EXPECT_EQ(FindVectorField(*no_model, "photos", "")->name, "embedding");
}

TEST(Filter, MustBeAnObject) {
  auto ok = ParseFilterQuery(R"( { "term" : { "c" : "x" } } )");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(std::get<TermsNode>(ok->node).values, std::vector<std::string>{"x"});
  EXPECT_FALSE(ParseFilterQuery("[1]").ok());
  EXPECT_FALSE(ParseFilterQuery("{").ok());
  EXPECT_FALSE(ParseFilterQuery("").ok());
  auto unknown = ParseFilterQuery(R"({"nope":{}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().kind(), ErrorKind::kMalformedRequest);
}

class ImageRoots : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lookalike-roots-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    namespace fs = std::filesystem;
    fs::create_directories(dir_ + "/root/sub");
    fs::create_directories(dir_ + "/rootsibling");
    std::ofstream(dir_ + "/root/sub/a.png") << "x";
    std::ofstream(dir_ + "/secret.png") << "x";
    std::ofstream(dir_ + "/rootsibling/b.png") << "x";
    fs::create_symlink(dir_ + "/secret.png", dir_ + "/root/link.png");
    char real[4096];
    ASSERT_NE(::realpath((dir_ + "/root").c_str(), real), nullptr);
    root_ = real;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, root_;
};

TEST_F(ImageRoots, OpensOnlyBelowTheRootsWithoutSymlinks) {
  namespace fs = std::filesystem;
  fs::create_directories(dir_ + "/outside");
  std::ofstream(dir_ + "/outside/a.png") << "secret";
  // A folder inside the root swapped for a symlink to the outside (the race this prevents).
  fs::create_symlink(dir_ + "/outside", dir_ + "/root/swapped");
  fs::create_symlink(dir_ + "/root", dir_ + "/rootlink");  // the root reached through a symlink
  std::vector<std::string> roots = {root_};
  for (embed::BeneathMode mode : {embed::BeneathMode::kAuto, embed::BeneathMode::kWalk}) {
    auto inside = embed::OpenImageBelowRoots(dir_ + "/root/sub/a.png", roots, mode);
    ASSERT_TRUE(inside.ok()) << inside.status().ToString();
    EXPECT_EQ(inside->path(), dir_ + "/root/sub/a.png");
    auto bytes = inside->ReadAll(1024);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "x");
    EXPECT_EQ(inside->ReadAll(0).status().code(), StatusCode::kResourceExhausted);
    EXPECT_TRUE(embed::OpenImageBelowRoots(dir_ + "/root//sub/./a.png", roots, mode).ok());
    // Every refusal is the same 404: traversal, symlinked file or folder, a sibling sharing the
    // prefix, relative paths, elsewhere, the root itself, a folder, a missing file.
    for (std::string bad :
         {dir_ + "/root/../secret.png", dir_ + "/root/link.png", dir_ + "/root/swapped/a.png",
          dir_ + "/rootsibling/b.png", std::string("root/sub/a.png"), std::string("/etc/passwd"),
          root_, dir_ + "/root/sub", dir_ + "/root/none.png", dir_ + "/root/sub/../sub/a.png",
          std::string()}) {
      auto r = embed::OpenImageBelowRoots(bad, roots, mode);
      ASSERT_FALSE(r.ok()) << bad;
      EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << bad;
      EXPECT_EQ(r.status().kind(), ErrorKind::kResourceNotFound) << bad;
    }
    // A root configured through a symlink: paths stored under that name open too.
    EXPECT_TRUE(embed::OpenImageBelowRoots(dir_ + "/rootlink/sub/a.png", {dir_ + "/rootlink"}, mode).ok());
  }
  auto none = embed::OpenImageBelowRoots(dir_ + "/root/sub/a.png", {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lookalike::server
