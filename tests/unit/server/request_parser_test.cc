#include "server/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "server/http/gzip.h"

namespace lookalike::server {
namespace {

// Feeds `bytes` in pieces of `step` and returns the parser (complete or failed).
RequestParser FeedInSteps(std::string_view bytes, size_t step, ParserLimits limits = {},
                          size_t* consumed = nullptr) {
  RequestParser parser(limits);
  size_t used = 0;
  while (used < bytes.size() && !parser.complete() && !parser.failed()) {
    std::string_view piece = bytes.substr(used, step);
    size_t n = parser.Feed(piece);
    used += n;
    if (n < piece.size()) break;
  }
  if (consumed) *consumed = used;
  return parser;
}

TEST(RequestParserTest, SimpleGet) {
  auto p = FeedInSteps("GET /idx/_search?size=3&q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  ASSERT_TRUE(p.complete());
  HttpRequest r = p.TakeRequest();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/idx/_search");
  ASSERT_NE(r.Param("size"), nullptr);
  EXPECT_EQ(*r.Param("size"), "3");
  EXPECT_EQ(*r.Param("q"), "a b");
  EXPECT_EQ(r.Header("host"), "x");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_TRUE(r.body.empty());
}

TEST(RequestParserTest, ByteByByteWithContentLength) {
  std::string req = "POST /a HTTP/1.1\r\nContent-Length: 11\r\nCONTENT-TYPE: x\r\n\r\nhello world";
  for (size_t step : {1, 2, 3, 7, 100}) {
    auto p = FeedInSteps(req, step);
    ASSERT_TRUE(p.complete()) << step;
    HttpRequest r = p.TakeRequest();
    EXPECT_EQ(r.body, "hello world");
    EXPECT_EQ(r.Header("content-type"), "x");
  }
}

TEST(RequestParserTest, StopsAtEndOfFirstPipelinedRequest) {
  std::string one = "GET /a HTTP/1.1\r\n\r\n";
  std::string two = "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
  RequestParser p;
  size_t n = p.Feed(one + two);
  EXPECT_EQ(n, one.size());
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.TakeRequest().path, "/a");
  n = p.Feed(two);
  EXPECT_EQ(n, two.size());
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.TakeRequest().body, "hi");
}

TEST(RequestParserTest, Chunked) {
  std::string req =
      "POST /_bulk HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n";
  for (size_t step : {1, 4, 1000}) {
    auto p = FeedInSteps(req, step);
    ASSERT_TRUE(p.complete()) << step;
    EXPECT_EQ(p.TakeRequest().body, "hello world");
  }
}

TEST(RequestParserTest, ChunkedBadFramingFails) {
  auto p = FeedInSteps("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1000);
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 400);
  auto q = FeedInSteps("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 1000);
  EXPECT_TRUE(q.failed());
}

TEST(RequestParserTest, GzipBodyIsInflated) {
  std::string body(5000, 'x');
  body += "{\"a\":1}";
  std::string gz = GzipCompress(body);
  ASSERT_LT(gz.size(), body.size());
  std::string req = "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                    std::to_string(gz.size()) + "\r\n\r\n" + gz;
  auto p = FeedInSteps(req, 17);
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.TakeRequest().body, body);
}

TEST(RequestParserTest, CorruptGzipIs400AndBombIs413) {
  std::string req = "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd";
  auto p = FeedInSteps(req, 1000);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 400);

  std::string zeros(1 << 20, '\0');
  std::string gz = GzipCompress(zeros);
  ParserLimits limits;
  limits.max_body_bytes = 64 * 1024;
  std::string bomb = "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                     std::to_string(gz.size()) + "\r\n\r\n" + gz;
  auto q = FeedInSteps(bomb, 1000, limits);
  ASSERT_TRUE(q.failed());
  EXPECT_EQ(q.error_status(), 413);
}

TEST(RequestParserTest, OverLimitContentLengthFailsBeforeBody) {
  ParserLimits limits;
  limits.max_body_bytes = 100;
  std::string head = "POST / HTTP/1.1\r\nContent-Length: 200000000\r\n\r\n";
  size_t consumed = 0;
  auto p = FeedInSteps(head + "some body bytes", 1000, limits, &consumed);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 413);
  EXPECT_EQ(consumed, head.size());  // the body was not read
}

TEST(RequestParserTest, OverLimitChunkedFails) {
  ParserLimits limits;
  limits.max_body_bytes = 8;
  auto p = FeedInSteps(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
      1000, limits);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, MalformedRequestLines) {
  for (const char* bad : {"GET\r\n\r\n", "GET /a\r\n\r\n", "GET /a HTTP/1.1 extra\r\n\r\n",
                          "GET a HTTP/1.1\r\n\r\n", "G(T /a HTTP/1.1\r\n\r\n",
                          "GET /a HTTX/1.1\r\n\r\n", "\x01\x02\x03 / HTTP/1.1\r\n\r\n",
                          "GET /a HTTP/1.1\r\nNoColonHere\r\n\r\n",
                          "GET /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                          "GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    auto p = FeedInSteps(bad, 1000);
    EXPECT_TRUE(p.failed()) << bad;
    EXPECT_EQ(p.error_status(), 400) << bad;
  }
  auto v = FeedInSteps("GET /a HTTP/2.0\r\n\r\n", 1000);
  EXPECT_TRUE(v.failed());
  EXPECT_EQ(v.error_status(), 505);
}

TEST(RequestParserTest, SmugglingFramingRefused) {
  auto p = FeedInSteps(
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1000);
  EXPECT_TRUE(p.failed());
  auto q = FeedInSteps("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 1000);
  EXPECT_TRUE(q.failed());
  EXPECT_EQ(q.error_status(), 501);
}

TEST(RequestParserTest, HeaderLimit) {
  ParserLimits limits;
  limits.max_header_bytes = 64;
  std::string req = "GET / HTTP/1.1\r\nX-Long: " + std::string(200, 'a') + "\r\n\r\n";
  auto p = FeedInSteps(req, 10, limits);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, Http10AndConnectionHeader) {
  auto p = FeedInSteps("GET / HTTP/1.0\r\n\r\n", 1000);
  ASSERT_TRUE(p.complete());
  EXPECT_FALSE(p.TakeRequest().keep_alive);
  auto q = FeedInSteps("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1000);
  EXPECT_TRUE(q.TakeRequest().keep_alive);
  auto r = FeedInSteps("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1000);
  EXPECT_FALSE(r.TakeRequest().keep_alive);
}

TEST(RequestParserTest, BareLfLineEndingsAccepted) {
  auto p = FeedInSteps("POST /a HTTP/1.1\nContent-Length: 2\n\nok", 3);
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.TakeRequest().body, "ok");
}

TEST(RequestParserTest, ExpectContinueFlag) {
  RequestParser p;
  p.Feed("PUT /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_TRUE(p.headers_done());
  EXPECT_TRUE(p.expects_continue());
  p.Feed("abc");
  EXPECT_TRUE(p.complete());
  EXPECT_FALSE(p.expects_continue());
}

TEST(QueryStringTest, DecodesAndKeepsOrder) {
  auto q = ParseQueryString("a=1&b=x+y&c&d=%2Fz&&e=");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[1].second, "x y");
  EXPECT_EQ(q[2].first, "c");
  EXPECT_EQ(q[3].second, "/z");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
}

}  // namespace
}  // namespace lookalike::server
