#include "server/image/image_ingest.h"

#include <gtest/gtest.h>

#include <string>

#include "server/es/index_codec.h"

namespace lookalike::server {
namespace {

constexpr char kMapping[] = R"({"properties":{
  "title":{"type":"text"},
  "plain":{"type":"knn_vector","dimension":4},
  "emb":{"type":"knn_vector","dimension":384,"model":"m1","source_field":"image"},
  "emb2":{"type":"dense_vector","dims":8,"source_field":"thumb"},
  "obj":{"properties":{"inner":{"type":"knn_vector","dimension":4,"source_field":"x"}}}}})";

MappingDefinition Parsed(std::string_view body) {
  auto mapping = es::ParsePutMappingBody(body);
  EXPECT_TRUE(mapping.ok()) << mapping.status().ToString();
  return mapping.ok() ? *mapping : MappingDefinition{};
}

TEST(EmbedSpecs, OnlyTopLevelVectorFieldsWithASourceField) {
  auto specs = FindEmbedSpecs(Parsed(kMapping));
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].vector_field, "emb");
  EXPECT_EQ(specs[0].source_field, "image");
  EXPECT_EQ(specs[0].model, "m1");
  EXPECT_EQ(specs[0].dims, 384);
  EXPECT_EQ(specs[1].vector_field, "emb2");
  EXPECT_EQ(specs[1].model, "");
  EXPECT_EQ(specs[1].dims, 8);
  EXPECT_TRUE(FindEmbedSpecs(Parsed("{}")).empty());
}

TEST(ImageRefs, PathBase64AbsentPresentAndBad) {
  EmbedSpec spec{"emb", "image", "", 0};
  auto path = FindImageRef(R"({"image":{"path":"/a/b.png"},"t":1})", spec);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(path->has_value());
  EXPECT_EQ((*path)->path, "/a/b.png");
  auto b64 = FindImageRef(R"({"image":{"base64":"aGk="}})", spec);
  ASSERT_TRUE(b64.ok());
  ASSERT_TRUE(b64->has_value());
  EXPECT_EQ(std::string((*b64)->bytes.begin(), (*b64)->bytes.end()), "hi");
  // Nothing to do: no image field, or the vector is already there.
  auto none = FindImageRef(R"({"t":1})", spec);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto done = FindImageRef(R"({"image":{"path":"/a"},"emb":[1,2]})", spec);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  for (const char* bad : {R"({"image":"/a/b.png"})", R"({"image":{"url":"x"}})",
                          R"({"image":{"base64":"***"}})", R"({"image":{"path":3}})", "[1]",
                          "not json"}) {
    auto r = FindImageRef(bad, spec);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().kind(), ErrorKind::kMappingParse) << bad;
    }
  }
}

}  // namespace
}  // namespace lookalike::server
