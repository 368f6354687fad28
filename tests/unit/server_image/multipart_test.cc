#include "server/image/multipart.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace lookalike::server {
namespace {

TEST(Multipart, BoundaryFromContentType) {
  auto b = MultipartBoundary("multipart/form-data; boundary=----WebKitFormBoundaryABC");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "----WebKitFormBoundaryABC");
  auto quoted = MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(*quoted, "a b");
  EXPECT_FALSE(MultipartBoundary("application/json").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("").ok());
}

TEST(Multipart, ParsesFieldsAndBinaryFile) {
  std::string png("\x89PNG\r\n\x1a\n\0\0\r\n--notboundary", 24);
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"k\"\r\n\r\n"
      "5\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n"
      "Content-Type: image/png\r\n\r\n" +
      png +
      "\r\n--XyZ\r\n"
      "content-disposition: form-data; name=\"filter\"\r\n\r\n"
      "{\"term\":{\"category\":\"fruit\"}}\r\n"
      "--XyZ--\r\n";
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "k");
  EXPECT_EQ((*parts)[0].data, "5");
  const MultipartPart* file = FindPart(*parts, "file");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->filename, "cat.png");
  EXPECT_EQ(file->content_type, "image/png");
  EXPECT_EQ(file->data, png);  // binary bytes, CRLF and NUL included, untouched
  EXPECT_EQ(FindPart(*parts, "filter")->data, "{\"term\":{\"category\":\"fruit\"}}");
  EXPECT_EQ(FindPart(*parts, "missing"), nullptr);
}

TEST(Multipart, PreambleAndEmptyPart) {
  std::string body =
      "ignored preamble\r\n--b\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n"
      "\r\n--b--";
  auto parts = ParseMultipart(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_TRUE((*parts)[0].data.empty());
  // The blank line after the headers doubles as the CRLF before the closing delimiter.
  auto tight = ParseMultipart("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n--b--", "b");
  ASSERT_TRUE(tight.ok()) << tight.status().ToString();
  ASSERT_EQ(tight->size(), 1u);
  EXPECT_TRUE((*tight)[0].data.empty());
}

TEST(Multipart, RejectsMalformedBodies) {
  const char* bad[] = {
      "",                                                         // nothing
      "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nxx",  // no closing boundary
      "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nxx\r\n--b--",  // no blank line
      "--b\r\nContent-Type: text/plain\r\n\r\nxx\r\n--b--",       // no name
      "--bXX\r\n\r\n",                                           // boundary not at line start
      "no boundary at all",
  };
  for (const char* body : bad) {
    auto parts = ParseMultipart(body, "b");
    EXPECT_FALSE(parts.ok()) << body;
  }
}

TEST(Multipart, LimitsPartCount) {
  std::string body;
  for (int i = 0; i < 5; ++i) {
    body += "--b\r\nContent-Disposition: form-data; name=\"p" + std::to_string(i) + "\"\r\n\r\nv\r\n";
  }
  body += "--b--\r\n";
  EXPECT_TRUE(ParseMultipart(body, "b", 5).ok());
  auto limited = ParseMultipart(body, "b", 4);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
}

// Mutated bodies (truncations, byte flips, inserted boundaries) never crash, and every part
// found is a view inside the body.
TEST(Multipart, SurvivesMutatedBodies) {
  const std::string base =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
      "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\nDATA\r\n--b\r\n"
      "Content-Disposition: form-data; name=\"k\"\r\n\r\n7\r\n--b--\r\n";
  std::mt19937 rng(1234);
  const std::string alphabet = "-b\r\n\";=: ax";
  int parsed = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string body = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body.resize(at); break;
        case 1: body[at] = alphabet[rng() % alphabet.size()]; break;
        default: body.insert(at, rng() % 2 ? "\r\n--b" : "\r\n\r\n"); break;
      }
    }
    auto parts = ParseMultipart(body, "b");
    if (!parts.ok()) continue;
    ++parsed;
    const char* lo = body.data();
    const char* hi = body.data() + body.size();
    for (const auto& p : *parts) {
      EXPECT_FALSE(p.name.empty());
      EXPECT_TRUE(p.data.empty() || (p.data.data() >= lo && p.data.data() + p.data.size() <= hi));
    }
  }
  EXPECT_GT(parsed, 0);  // some mutations leave a valid body
}

}  // namespace
}  // namespace lookalike::server
