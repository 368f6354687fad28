// The connection state machine without sockets: bytes in, bytes out.
#include "server/http/http_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lookalike::server {
namespace {

// Answers every request with its method and path, like a trivial handler.
HttpResponse Echo(const HttpRequest& r) {
  HttpResponse resp;
  resp.content_type = "text/plain";
  resp.body = r.method + " " + r.path + " " + r.body;
  return resp;
}

// Drives the session with `input` split into `step`-byte pieces and returns everything it sent.
std::string Drive(HttpSession* s, std::string_view input, size_t step, bool eof = true) {
  std::string out;
  for (size_t i = 0; i < input.size(); i += step) {
    s->OnData(input.substr(i, step));
    while (auto req = s->NextRequest()) s->OnResponse(Echo(*req));
    out += s->pending_output();
    s->ConsumeOutput(s->pending_output().size());
  }
  if (eof) {
    s->OnEof();
    while (auto req = s->NextRequest()) s->OnResponse(Echo(*req));
    out += s->pending_output();
    s->ConsumeOutput(s->pending_output().size());
  }
  return out;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(HttpSessionTest, PipelinedRequestsAnsweredInOrder) {
  std::string in =
      "GET /one HTTP/1.1\r\n\r\n"
      "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "GET /three HTTP/1.1\r\n\r\n";
  for (size_t step : {1, 5, 1000}) {
    HttpSession s;
    std::string out = Drive(&s, in, step);
    size_t a = out.find("GET /one");
    size_t b = out.find("POST /two abc");
    size_t c = out.find("GET /three");
    ASSERT_NE(a, std::string::npos) << step;
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(c, std::string::npos);
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(Count(out, "HTTP/1.1 200 OK"), 3u);
    EXPECT_TRUE(s.closing());
  }
}

TEST(HttpSessionTest, OneRequestInFlightAtATime) {
  HttpSession s;
  s.OnData("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  auto first = s.NextRequest();
  ASSERT_TRUE(first);
  EXPECT_FALSE(s.NextRequest());  // /b waits until /a is answered
  s.OnResponse(Echo(*first));
  auto second = s.NextRequest();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->path, "/b");
}

TEST(HttpSessionTest, HeadSendsLengthButNoBody) {
  HttpSession s;
  std::string out = Drive(&s, "HEAD /x HTTP/1.1\r\n\r\n", 1000);
  EXPECT_NE(out.find("content-length: 8"), std::string::npos);  // "HEAD /x "
  EXPECT_EQ(out.find("HEAD /x"), std::string::npos);
}

TEST(HttpSessionTest, MalformedRequestGetsErrorBodyAndClose) {
  HttpSession s;
  std::string out = Drive(&s, "NOT A REQUEST\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1000, false);
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(out.find("\"type\":\"parse_exception\""), std::string::npos);
  EXPECT_NE(out.find("connection: close"), std::string::npos);
  EXPECT_EQ(Count(out, "HTTP/1.1"), 1u);  // nothing after the error
  EXPECT_TRUE(s.done());
  EXPECT_TRUE(s.linger());
}

TEST(HttpSessionTest, OverLimitAnsweredWithoutReadingBody) {
  ParserLimits limits;
  limits.max_body_bytes = 1000;
  HttpSession s(limits);
  std::string out = Drive(&s, "PUT /i/_doc/1 HTTP/1.1\r\nContent-Length: 5000\r\n\r\nxx", 1000,
                          false);
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos);
  EXPECT_NE(out.find("\"status\":413"), std::string::npos);
  EXPECT_TRUE(s.done());
  s.OnData(std::string(4000, 'x'));  // the rest of the refused body is discarded
  EXPECT_FALSE(s.NextRequest());
}

TEST(HttpSessionTest, TruncatedBodyAtEofGets400) {
  HttpSession s;
  std::string out = Drive(&s, "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 1000);
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(out.find("truncated"), std::string::npos);
}

TEST(HttpSessionTest, CleanEofBetweenRequestsJustCloses) {
  HttpSession s;
  std::string out = Drive(&s, "GET /a HTTP/1.1\r\n\r\n", 1000);
  EXPECT_EQ(Count(out, "HTTP/1.1"), 1u);
  EXPECT_TRUE(s.done());
}

TEST(HttpSessionTest, ConnectionCloseHonoured) {
  HttpSession s;
  std::string out =
      Drive(&s, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1000,
            false);
  EXPECT_EQ(Count(out, "HTTP/1.1 200"), 1u);
  EXPECT_NE(out.find("connection: close"), std::string::npos);
  EXPECT_TRUE(s.done());
}

TEST(HttpSessionTest, ExpectContinueSentOnce) {
  HttpSession s;
  s.OnData("PUT /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_FALSE(s.NextRequest());
  EXPECT_EQ(s.pending_output(), "HTTP/1.1 100 Continue\r\n\r\n");
  s.ConsumeOutput(s.pending_output().size());
  EXPECT_FALSE(s.NextRequest());
  EXPECT_TRUE(s.pending_output().empty());
  s.OnData("ok");
  auto req = s.NextRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body, "ok");
}

TEST(HttpSessionTest, ForceCloseOnShutdown) {
  HttpSession s;
  s.OnData("GET /a HTTP/1.1\r\n\r\n");
  auto req = s.NextRequest();
  ASSERT_TRUE(req);
  s.OnResponse(Echo(*req), /*force_close=*/true);
  EXPECT_NE(s.pending_output().find("connection: close"), std::string::npos);
  EXPECT_TRUE(s.closing());
}

}  // namespace
}  // namespace lookalike::server

namespace lookalike::server {
namespace {

// Fuzz-style robustness: mutated requests in random fragments never crash the session, and
// every outcome is either requests answered or one error response (checked under ASan/UBSan).
TEST(HttpSessionTest, RandomMutationsAreHandled) {
  const std::string seeds[] = {
      "POST /i/_bulk?refresh=true HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
      "PUT /i/_doc/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
  };
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  ParserLimits limits;
  limits.max_body_bytes = 64;
  limits.max_header_bytes = 256;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input = seeds[iter % 3];
    int mutations = 1 + static_cast<int>(next() % 4);
    for (int m = 0; m < mutations; ++m) {
      size_t pos = next() % input.size();
      switch (next() % 3) {
        case 0: input[pos] = static_cast<char>(next() & 0xff); break;
        case 1: input.erase(pos, 1 + next() % 3); break;
        default: input.insert(pos, std::string(1 + next() % 8, static_cast<char>(next() & 0xff)));
      }
      if (input.empty()) input = "x";
    }
    HttpSession s(limits);
    std::string out = Drive(&s, input, 1 + next() % 16);
    EXPECT_TRUE(s.closing());
    if (out.find("HTTP/1.1 4") != std::string::npos || out.find("HTTP/1.1 5") != std::string::npos) {
      EXPECT_NE(out.find("\"error\""), std::string::npos) << out;
    }
  }
}

}  // namespace
}  // namespace lookalike::server
