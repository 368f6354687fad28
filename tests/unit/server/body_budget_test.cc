// The in-flight body budget (parser and session level), the exact body reservation that keeps a
// body from costing twice its size, and the accept backoff's pauses and log rate.
#include "server/http/accept_backoff.h"
#include "server/http/body_budget.h"
#include "server/http/http_session.h"
#include "server/http/request_parser.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace lookalike::server {
namespace {

std::string PostHead(size_t length) {
  return "POST /_bulk HTTP/1.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
         std::to_string(length) + "\r\n\r\n";
}

TEST(BodyBudget, LoneRequestAlwaysFitsOthersMustFitTheLimit) {
  BodyBudget budget(100);
  EXPECT_TRUE(budget.TryCharge(500));  // nothing else counted: admitted over the limit
  EXPECT_FALSE(budget.TryCharge(1));
  budget.Release(500);
  EXPECT_TRUE(budget.TryCharge(60));
  EXPECT_TRUE(budget.TryCharge(40));
  EXPECT_FALSE(budget.TryCharge(1));
  EXPECT_EQ(budget.used(), 100u);
  {
    BodyReservation r(&budget);
    EXPECT_FALSE(r.Grow(1));
    budget.Release(100);
    EXPECT_TRUE(r.Grow(30));
    EXPECT_EQ(budget.used(), 30u);
    BodyReservation moved = std::move(r);
    EXPECT_EQ(moved.bytes(), 30u);
    EXPECT_EQ(r.bytes(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);  // released by the destructor, once
}

TEST(BodyBudget, ParserChargesDeclaredLengthAndRefusesWith429) {
  BodyBudget budget(1000);
  ParserLimits limits;
  limits.budget = &budget;
  RequestParser first(limits);
  first.Feed(PostHead(800));
  ASSERT_FALSE(first.failed());
  EXPECT_EQ(budget.used(), 800u);  // charged when the headers arrive, before any body byte
  RequestParser second(limits);
  second.Feed(PostHead(300));
  ASSERT_TRUE(second.failed());
  EXPECT_EQ(second.error_status(), 429);
  EXPECT_STREQ(second.error_type(), "circuit_breaking_exception");
  EXPECT_NE(second.error_reason().find("[in_flight_requests] Data too large, data for "
                                       "[<http_request>] would be [1100/"),
            std::string::npos)
      << second.error_reason();
  EXPECT_EQ(budget.used(), 800u);
  first.Reset();  // the connection went away
  EXPECT_EQ(budget.used(), 0u);
  RequestParser third(limits);
  third.Feed(PostHead(300));
  EXPECT_FALSE(third.failed());
}

TEST(BodyBudget, ChunkedBodiesAreChargedAsTheyGrow) {
  BodyBudget budget(100);
  ParserLimits limits;
  limits.budget = &budget;
  ASSERT_TRUE(budget.TryCharge(50));  // another request holds half
  RequestParser p(limits);
  p.Feed("POST /_bulk HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n");
  ASSERT_FALSE(p.failed());
  EXPECT_GE(budget.used(), 70u);
  p.Feed(std::string(20, 'x') + "\r\n40\r\n");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 429);
  EXPECT_EQ(budget.used(), 50u);  // the failed request's charge is gone
}

TEST(BodyBudget, BodyIsReservedOnceAtItsDeclaredSize) {
  const size_t length = (size_t{3} << 20) + 12345;
  RequestParser p;
  p.Feed(PostHead(length));
  std::string chunk(64 * 1024, 'a');
  size_t sent = 0;
  while (sent < length) {
    size_t n = std::min(chunk.size(), length - sent);
    p.Feed(std::string_view(chunk).substr(0, n));
    sent += n;
  }
  ASSERT_TRUE(p.complete());
  HttpRequest r = p.TakeRequest();
  EXPECT_EQ(r.body.size(), length);
  // Doubling growth would have left up to twice the size allocated.
  EXPECT_LT(r.body.capacity(), length + 64);
}

TEST(BodyBudget, SessionHoldsTheChargeUntilTheResponse) {
  BodyBudget budget(1 << 20);
  ParserLimits limits;
  limits.budget = &budget;
  HttpSession session(limits);
  session.OnData(PostHead(10) + "0123456789");
  auto request = session.NextRequest();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->body, "0123456789");
  EXPECT_EQ(budget.used(), 10u);
  EXPECT_EQ(session.charged_body_bytes(), 10u);
  HttpResponse response;
  session.OnResponse(response);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(BodyBudget, SessionAnswers429AndKeepsNothing) {
  BodyBudget budget(100);
  ASSERT_TRUE(budget.TryCharge(90));
  ParserLimits limits;
  limits.budget = &budget;
  HttpSession session(limits);
  session.OnData(PostHead(50));
  EXPECT_FALSE(session.NextRequest().has_value());
  std::string out(session.pending_output());
  EXPECT_NE(out.find("HTTP/1.1 429 Too Many Requests"), std::string::npos) << out;
  EXPECT_NE(out.find("circuit_breaking_exception"), std::string::npos) << out;
  EXPECT_TRUE(session.closing());
  session.OnData(std::string(50, 'x'));  // the body the client sends anyway is discarded
  EXPECT_EQ(budget.used(), 90u);
}

TEST(HttpSessionHead, PartialHeadIsReadingHeadAndNotIdle) {
  HttpSession session;
  EXPECT_TRUE(session.idle());
  EXPECT_FALSE(session.reading_head());
  session.OnData("GET / HTTP/1.1\r\nHost: x");
  EXPECT_FALSE(session.NextRequest().has_value());
  EXPECT_TRUE(session.reading_head());
  EXPECT_FALSE(session.idle());
  session.OnData("\r\n\r\n");
  EXPECT_TRUE(session.NextRequest().has_value());
  EXPECT_FALSE(session.reading_head());
}

TEST(AcceptBackoff, PausesDoubleToOneSecondAndLogsOncePerSecond) {
  AcceptBackoff backoff;
  auto t = AcceptBackoff::Clock::time_point{} + std::chrono::hours(1);
  auto d = backoff.OnResourceError(t);
  EXPECT_EQ(d.pause.count(), 100);
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.failures_to_report, 1u);
  std::vector<int64_t> pauses;
  int logs = 0;
  uint64_t reported = 0;
  for (int i = 0; i < 20; ++i) {
    t += std::chrono::milliseconds(150);
    auto e = backoff.OnResourceError(t);
    pauses.push_back(e.pause.count());
    if (e.log) {
      ++logs;
      reported += e.failures_to_report;
    }
  }
  EXPECT_EQ(pauses[0], 200);
  EXPECT_EQ(pauses[1], 400);
  EXPECT_EQ(pauses[2], 800);
  EXPECT_EQ(pauses[3], 1000);
  EXPECT_EQ(pauses.back(), 1000);
  // 20 failures 150 ms apart (3 s): lines at +1.05 s and +2.1 s after the first, each counting
  // the 7 failures since the previous line; the last 6 wait for the next line.
  EXPECT_EQ(logs, 2);
  EXPECT_EQ(reported, 14u);
  EXPECT_EQ(backoff.total_failures(), 21u);
  backoff.OnSuccess();
  EXPECT_EQ(backoff.OnResourceError(t + std::chrono::seconds(5)).pause.count(), 100);
  EXPECT_TRUE(IsAcceptResourceError(EMFILE));
  EXPECT_TRUE(IsAcceptResourceError(ENFILE));
  EXPECT_TRUE(IsAcceptResourceError(ENOBUFS));
  EXPECT_TRUE(IsAcceptResourceError(ENOMEM));
  EXPECT_FALSE(IsAcceptResourceError(ECONNABORTED));
}

}  // namespace
}  // namespace lookalike::server
