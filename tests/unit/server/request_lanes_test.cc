// The lane of each kind of REST request, the --thread-pool settings and the default lane sizes.
#include "server/request_lanes.h"

#include <gtest/gtest.h>

namespace lookalike::server {
namespace {

struct LaneCase {
  const char* method;
  const char* path;
  RequestLane lane;
};

constexpr RequestLane kS = RequestLane::kSearch;
constexpr RequestLane kW = RequestLane::kWrite;
constexpr RequestLane kM = RequestLane::kManagement;

const LaneCase kCases[] = {
    // search
    {"GET", "/_search", kS},
    {"POST", "/photos/_search", kS},
    {"POST", "/a,b/_search", kS},
    {"POST", "/_all/_search", kS},
    {"POST", "/photos/%5Fsearch", kS},  // percent-encoded like the router decodes it
    {"POST", "/_search/scroll", kS},
    {"DELETE", "/_search/scroll/abc", kS},
    {"POST", "/photos/_search/image", kS},
    {"GET", "/photos/_count", kS},
    {"POST", "/_msearch", kS},
    {"POST", "/photos/_knn_search", kS},
    {"GET", "/photos/_doc/1", kS},
    {"HEAD", "/photos/_doc/1", kS},
    {"POST", "/_mget", kS},
    {"GET", "/photos/_mget", kS},
    {"GET", "/photos/_source/1", kS},
    {"GET", "/photos/_image/1", kS},
    // write
    {"POST", "/_bulk", kW},
    {"PUT", "/photos/_bulk", kW},
    {"PUT", "/photos/_doc/1", kW},
    {"POST", "/photos/_doc", kW},
    {"DELETE", "/photos/_doc/1", kW},
    {"PUT", "/photos/_create/1", kW},
    {"POST", "/photos/_update/1", kW},
    {"POST", "/photos/_delete_by_query", kW},
    {"POST", "/photos/_update_by_query", kW},
    {"POST", "/_refresh", kW},
    {"GET", "/photos/_refresh", kW},
    {"POST", "/photos/_flush", kW},
    {"POST", "/photos/_forcemerge", kW},
    // a shard copy answering a coordinator: reads
    {"POST", "/_internal/shards/photos~0~u/_search", kS},
    {"POST", "/_internal/shards/photos~0~u/_get", kS},
    // management
    {"GET", "/", kM},
    {"GET", "/_cluster/health", kM},
    {"GET", "/_cluster/health/photos", kM},
    {"PUT", "/_cluster/settings", kM},
    {"GET", "/_cat/indices", kM},
    {"GET", "/_cat/indices/photos", kM},
    {"GET", "/_stats", kM},
    {"GET", "/photos/_stats", kM},
    {"GET", "/photos/_mapping", kM},
    {"PUT", "/photos/_mapping", kM},
    {"GET", "/photos/_settings", kM},
    {"PUT", "/photos", kM},
    {"GET", "/photos", kM},
    {"HEAD", "/photos", kM},
    {"DELETE", "/photos", kM},
    {"GET", "/_security/_authenticate", kM},
    {"POST", "/_security/api_key", kM},
    {"GET", "/_ui/", kM},
    {"GET", "/_ui/app.js", kM},
    {"GET", "/_models", kM},
    {"GET", "/_plugins/_ml/models", kM},
    {"GET", "/_nodes/stats", kM},
    {"OPTIONS", "/photos/_search", kS},  // a CORS preflight goes where its request would
    {"GET", "/no/such/route", kM},
    {"POST", "/photos/_image/1", kM},  // not a read of the image: no such route
};

TEST(RequestLanes, EachRequestKindGoesToItsLane) {
  for (const LaneCase& c : kCases) {
    EXPECT_EQ(RequestLaneFor(c.method, c.path), c.lane) << c.method << " " << c.path;
  }
}

TEST(RequestLanes, NamesMatchTheLaneOrder) {
  EXPECT_EQ(RequestLaneName(RequestLane::kSearch), "search");
  EXPECT_EQ(RequestLaneName(RequestLane::kWrite), "write");
  EXPECT_EQ(RequestLaneName(RequestLane::kManagement), "management");
}

TEST(RequestLanes, DefaultSizesFollowElasticsearch) {
  std::vector<WorkerLaneOptions> lanes = RequestLaneOptions({}, /*worker_threads=*/0, 8);
  ASSERT_EQ(lanes.size(), kRequestLaneCount);
  EXPECT_EQ(lanes[0].name, "search");
  EXPECT_EQ(lanes[0].threads, 13);  // 8*3/2+1
  EXPECT_EQ(lanes[0].queue_capacity, 1000u);
  EXPECT_EQ(lanes[1].name, "write");
  EXPECT_EQ(lanes[1].threads, 8);
  EXPECT_EQ(lanes[1].queue_capacity, 10000u);
  EXPECT_EQ(lanes[2].name, "management");
  EXPECT_EQ(lanes[2].threads, 4);
  EXPECT_EQ(lanes[2].queue_capacity, 1000u);
  // Small and large machines: management keeps 2 threads and stops at 5.
  EXPECT_EQ(RequestLaneOptions({}, 0, 1)[2].threads, 2);
  EXPECT_EQ(RequestLaneOptions({}, 0, 1)[0].threads, 2);
  EXPECT_EQ(RequestLaneOptions({}, 0, 64)[2].threads, 5);
  // HttpServerOptions::worker_threads sizes the search lane.
  EXPECT_EQ(RequestLaneOptions({}, 3, 8)[0].threads, 3);
}

TEST(RequestLanes, SettingsOverrideTheDefaults) {
  ThreadPoolSettings settings;
  ASSERT_TRUE(ApplyThreadPoolSetting("write.size=1", &settings).ok());
  ASSERT_TRUE(ApplyThreadPoolSetting("write.queue_size=0", &settings).ok());
  ASSERT_TRUE(ApplyThreadPoolSetting("search.queue_size=-1", &settings).ok());
  ASSERT_TRUE(ApplyThreadPoolSetting("search.size=7", &settings).ok());
  ASSERT_TRUE(ApplyThreadPoolSetting("management.size=3", &settings).ok());
  std::vector<WorkerLaneOptions> lanes = RequestLaneOptions(settings, /*worker_threads=*/2, 8);
  EXPECT_EQ(lanes[0].threads, 7);  // the explicit setting beats worker_threads
  EXPECT_EQ(lanes[0].queue_capacity, kUnboundedQueue);
  EXPECT_EQ(lanes[1].threads, 1);
  EXPECT_EQ(lanes[1].queue_capacity, 0u);
  EXPECT_EQ(lanes[2].threads, 3);
  EXPECT_EQ(lanes[2].queue_capacity, 1000u);
}

TEST(RequestLanes, BadSettingsAreRefused) {
  ThreadPoolSettings settings;
  for (const char* bad :
       {"write", "write.size", "bulk.size=2", "write.threads=2", "write.size=0", "write.size=two",
        "write.size=2x", "write.queue_size=-2", "=3", "write.size=99999"}) {
    Status st = ApplyThreadPoolSetting(bad, &settings);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(settings[1].threads, 0);  // nothing half-applied
}

}  // namespace
}  // namespace lookalike::server
