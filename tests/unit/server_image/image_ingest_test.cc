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

}  // namespace
}  // namespace lookalike::server
