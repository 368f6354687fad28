// RefusalLog: refused writes are logged, at most one line per interval.
#include "engine/refusal_log.h"

#include <gtest/gtest.h>

namespace lookalike::engine {
namespace {

Status Blocked() {
  return Status::ResourceExhausted("index [x] blocked").WithKind(ErrorKind::kWriteBlocked);
}

TEST(RefusalLog, AtMostOneLinePerInterval) {
  RefusalLog log(std::chrono::hours(1));
  EXPECT_TRUE(log.Log("bulk", "x", 1000000, 1000000, Blocked()));  // a million items: one line
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(log.Log("index", "x", 1, 1, Blocked()));
}

TEST(RefusalLog, EveryRequestOnceTheIntervalHasPassed) {
  RefusalLog log(std::chrono::milliseconds(0));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(log.Log("delete", "x", 1, 1, Blocked()));
}

}  // namespace
}  // namespace lookalike::engine
