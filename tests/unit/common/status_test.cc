#include "lookalike/status.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace lookalike {
namespace {

TEST(StatusTest, OkIsOkAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::InvalidArgument("dimension 3 != 4");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.ToString(), "invalid_argument: dimension 3 != 4");
  Status copy = s;
  EXPECT_EQ(copy.ToString(), s.ToString());
  EXPECT_EQ(s.WithContext("vector").message(), "vector: dimension 3 != 4");
}

TEST(StatusTest, KindSurvivesCopyAndContext) {
  Status s = Status::InvalidArgument("bad field").WithKind(ErrorKind::kMappingParse);
  EXPECT_EQ(s.kind(), ErrorKind::kMappingParse);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  Status copy = s;
  EXPECT_EQ(copy.kind(), ErrorKind::kMappingParse);
  EXPECT_EQ(s.WithContext("doc 7").kind(), ErrorKind::kMappingParse);
  EXPECT_EQ(Status::NotFound("x").kind(), ErrorKind::kNone);
  EXPECT_EQ(Status::OK().WithKind(ErrorKind::kIndexNotFound).kind(), ErrorKind::kNone);
  EXPECT_TRUE(Status::OK().WithKind(ErrorKind::kIndexNotFound).ok());
  // The lvalue overload leaves its source alone.
  Status plain = Status::NotFound("no such index [x]");
  Status tagged = plain.WithKind(ErrorKind::kIndexNotFound);
  EXPECT_EQ(plain.kind(), ErrorKind::kNone);
  EXPECT_EQ(tagged.kind(), ErrorKind::kIndexNotFound);
  EXPECT_EQ(tagged.message(), "no such index [x]");
}

TEST(StatusTest, EveryKindHasADistinctName) {
  std::set<std::string_view> names;
  for (int i = 0; i < kErrorKindCount; ++i) {
    std::string_view name = ErrorKindName(static_cast<ErrorKind>(i));
    EXPECT_NE(name, "unknown") << i;
    EXPECT_EQ(name.find("exception"), std::string_view::npos) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(ErrorKindName(ErrorKind::kIndexNotFound), "index_not_found");
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  LOOKALIKE_ASSIGN_OR_RETURN(int h, Half(x));
  *out = h;
  return Status::OK();
}

TEST(ResultTest, ValueOrStatusPropagates) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status s = UseHalf(3, &out);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(out, 4);
}

}  // namespace
}  // namespace lookalike
