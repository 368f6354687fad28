// Non-vector queries, paging, sorting, _source filtering, totals and request errors.
#include <algorithm>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "p", R"({"mappings":{"properties":{
                        "name":{"type":"keyword"},"title":{"type":"text"},
                        "price":{"type":"double"},"qty":{"type":"integer"},
                        "tags":{"type":"keyword"},"ok":{"type":"boolean"},
                        "when":{"type":"date"}}}})")
                    .ok());
    std::string bulk;
    const char* colors[] = {"red", "green", "blue"};
    for (int i = 0; i < 30; ++i) {
      bulk += "{\"index\":{\"_id\":\"d" + std::to_string(i) + "\"}}\n";
      bulk += "{\"name\":\"n" + std::to_string(i) + "\",\"title\":\"The quick " +
              std::string(colors[i % 3]) + " fox " + std::to_string(i) + "\",\"price\":" +
              std::to_string(i * 1.5) + ",\"qty\":" + std::to_string(i % 7) +
              ",\"tags\":[\"" + colors[i % 3] + "\",\"t" + std::to_string(i % 2) +
              "\"],\"ok\":" + (i % 2 ? "true" : "false") + ",\"when\":\"2024-01-" +
              (i + 1 < 10 ? "0" : "") + std::to_string(i + 1) + "\"" +
              (i % 5 == 0 ? ",\"extra\":1" : "") + "}\n";
    }
    auto r = Bulk(*engine_, "p", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(Json(*r).At("/errors").get_bool().value()) << *r;
  }
  int64_t Total(const std::string& body) {
    auto r = SearchJson(*engine_, "p", body);
    EXPECT_TRUE(r.ok()) << body << " → " << r.status().ToString();
    if (!r.ok()) return -1;
    return Json(*r).Int("/hits/total/value");
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(SearchTest, QueryTypes) {
  EXPECT_EQ(Total(""), 30);
  EXPECT_EQ(Total(R"({"query":{"match_all":{}}})"), 30);
  EXPECT_EQ(Total(R"({"query":{"ids":{"values":["d1","d2","zz"]}}})"), 2);
  EXPECT_EQ(Total(R"({"query":{"term":{"tags":"red"}}})"), 10);
  EXPECT_EQ(Total(R"({"query":{"term":{"tags":{"value":"blue"}}}})"), 10);
  EXPECT_EQ(Total(R"({"query":{"terms":{"tags":["red","blue"]}}})"), 20);
  EXPECT_EQ(Total(R"({"query":{"term":{"qty":3}}})"), 4);  // 3,10,17,24
  EXPECT_EQ(Total(R"({"query":{"term":{"ok":true}}})"), 15);
  EXPECT_EQ(Total(R"({"query":{"range":{"price":{"gte":3,"lt":9}}}})"), 4);  // 3,4.5,6,7.5
  EXPECT_EQ(Total(R"({"query":{"range":{"when":{"gte":"2024-01-10","lte":"2024-01-12"}}}})"), 3);
  EXPECT_EQ(Total(R"({"query":{"exists":{"field":"extra"}}})"), 6);
  EXPECT_EQ(Total(R"({"query":{"match":{"title":"GREEN fox"}}})"), 30);
  EXPECT_EQ(Total(R"({"query":{"match":{"title":{"query":"green fox","operator":"and"}}}})"), 10);
  EXPECT_EQ(Total(R"({"query":{"match":{"name":"n7"}}})"), 1);
  EXPECT_EQ(Total(R"({"query":{"bool":{"must":[{"term":{"tags":"red"}}],
                     "must_not":[{"term":{"tags":"t0"}}]}}})"), 5);
  EXPECT_EQ(Total(R"({"query":{"bool":{"filter":{"range":{"qty":{"gt":4}}},
                     "should":[{"term":{"tags":"red"}},{"term":{"tags":"green"}}],
                     "minimum_should_match":1}}})"), 5);
  EXPECT_EQ(Total(R"({"query":{"bool":{"should":[{"term":{"tags":"red"}},{"term":{"tags":"t1"}}],
                     "minimum_should_match":2}}})"), 5);
  EXPECT_EQ(Total(R"({"query":{"bool":{"must_not":{"exists":{"field":"extra"}}}}})"), 24);

  // Unknown fields match nothing rather than failing.
  EXPECT_EQ(Total(R"({"query":{"term":{"nope":"x"}}})"), 0);
}

TEST_F(SearchTest, ScoresOrderMatchByRelevance) {
  auto r = SearchJson(*engine_, "p", R"({"query":{"bool":{"should":[{"term":{"tags":"red"}},
      {"term":{"tags":"t1"}}]}},"size":30})");
  ASSERT_TRUE(r.ok());
  Json j(*r);
  // Docs with both red and t1 (i % 6 == 3) score 2 and come first.
  auto ids = HitIds(*r);
  ASSERT_GE(ids.size(), 5u);
  EXPECT_EQ(ids[0], "d3");
  EXPECT_FLOAT_EQ(static_cast<float>(j.At("/hits/hits/0/_score").get_double().value()), 2.0f);
  auto f = SearchJson(*engine_, "p", R"({"query":{"bool":{"filter":{"term":{"tags":"red"}}}}})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Json(*f).At("/hits/hits/0/_score").get_double().value(), 0.0);
}

TEST_F(SearchTest, PagingSortingSource) {
  auto r = SearchJson(*engine_, "p", R"({"sort":[{"price":"desc"}],"size":3,"from":1,
      "_source":["name","pri*"]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(HitIds(*r), (std::vector<std::string>{"d28", "d27", "d26"}));
  Json j(*r);
  EXPECT_EQ(j.Str("/hits/hits/0/_source/name"), "n28");
  EXPECT_FALSE(j.Has("/hits/hits/0/_source/title"));
  EXPECT_TRUE(j.Has("/hits/hits/0/_source/price"));
  EXPECT_EQ(j.Int("/hits/hits/0/sort/0"), 42);

  auto k = SearchJson(*engine_, "p", R"({"sort":[{"name":{"order":"asc"}}],"size":2,"_source":false})");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(HitIds(*k), (std::vector<std::string>{"d0", "d1"}));
  EXPECT_FALSE(Json(*k).Has("/hits/hits/0/_source"));

  UrlParams url = {{"size", "2"}, {"sort", "qty:desc,name:asc"}, {"_source_excludes", "title,tags"}};
  auto u = SearchJson(*engine_, "p", "", url);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(HitIds(*u), (std::vector<std::string>{"d13", "d20"}));
  EXPECT_FALSE(Json(*u).Has("/hits/hits/0/_source/title"));
  EXPECT_TRUE(Json(*u).Has("/hits/hits/0/_source/name"));

  // The object form: includes (wildcards) minus excludes; a plain string is one include.
  auto o = SearchJson(*engine_, "p", R"({"query":{"ids":{"values":["d5"]}},
      "_source":{"includes":["n*","t*"],"excludes":["tags"]}})");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  Json oj(*o);
  EXPECT_EQ(oj.Str("/hits/hits/0/_source/name"), "n5");
  EXPECT_TRUE(oj.Has("/hits/hits/0/_source/title"));
  EXPECT_FALSE(oj.Has("/hits/hits/0/_source/tags"));
  EXPECT_FALSE(oj.Has("/hits/hits/0/_source/price"));
  EXPECT_FALSE(oj.Has("/hits/hits/0/_source/extra"));
  auto only_excludes = SearchJson(*engine_, "p", R"({"query":{"ids":{"values":["d5"]}},
      "_source":{"excludes":["title","tags","when"]}})");
  ASSERT_TRUE(only_excludes.ok()) << only_excludes.status().ToString();
  Json ej(*only_excludes);
  EXPECT_TRUE(ej.Has("/hits/hits/0/_source/price"));
  EXPECT_TRUE(ej.Has("/hits/hits/0/_source/extra"));
  EXPECT_FALSE(ej.Has("/hits/hits/0/_source/title"));
  auto one = SearchJson(*engine_, "p", R"({"query":{"ids":{"values":["d5"]}},"_source":"qty"})");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(Json(*one).Int("/hits/hits/0/_source/qty"), 5);
  EXPECT_FALSE(Json(*one).Has("/hits/hits/0/_source/name"));

  auto text_sort = SearchJson(*engine_, "p", R"({"sort":["title"]})");
  ASSERT_FALSE(text_sort.ok());
  EXPECT_EQ(text_sort.status().type(), "illegal_argument_exception");
}

// search_after: paging by the last hit's sort values visits every match once, in the order of
// one big sorted request; totals stay those of the whole query; misuse is a 400.
TEST_F(SearchTest, SearchAfterPagesThroughEverything) {
  auto all = SearchJson(*engine_, "p", R"({"sort":[{"qty":"desc"},{"name":"asc"}],"size":30,
      "_source":false})");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> expected = HitIds(*all);
  ASSERT_EQ(expected.size(), 30u);
  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 20; ++page) {
    std::string body = R"({"sort":[{"qty":"desc"},{"name":"asc"}],"size":4,"_source":false)";
    if (!after.empty()) body += ",\"search_after\":" + after;
    body += "}";
    auto r = SearchJson(*engine_, "p", body);
    ASSERT_TRUE(r.ok()) << body << " → " << r.status().ToString();
    Json j(*r);
    EXPECT_EQ(j.Int("/hits/total/value"), 30);
    std::vector<std::string> ids = HitIds(*r);
    if (ids.empty()) break;
    paged.insert(paged.end(), ids.begin(), ids.end());
    std::string last = "/hits/hits/" + std::to_string(ids.size() - 1) + "/sort";
    after = simdjson::minify(j.At(last.c_str()));
  }
  EXPECT_EQ(paged, expected);

  // Equal sort values are skipped (strictly after), as in Elasticsearch: after qty 6 comes 5.
  auto ties = SearchJson(*engine_, "p", R"({"sort":[{"qty":"desc"}],"size":30,"search_after":[6],
      "_source":false})");
  ASSERT_TRUE(ties.ok());
  Json t(*ties);
  EXPECT_EQ(t.Int("/hits/hits/0/sort/0"), 5);
  EXPECT_EQ(HitIds(*ties).size(), 26u);  // 30 minus the four with qty 6 (i % 7 == 6)

  for (const char* bad : {R"({"search_after":[1]})",
                          R"({"sort":["qty"],"from":2,"search_after":[1]})",
                          R"({"sort":["qty","name"],"search_after":[1]})"}) {
    auto r = SearchJson(*engine_, "p", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().type(), "illegal_argument_exception") << bad;
  }
  EXPECT_EQ(SearchJson(*engine_, "p", R"({"sort":["qty"],"search_after":5})").status().type(),
            "parsing_exception");
}

TEST_F(SearchTest, Aggregations) {
  auto r = SearchJson(*engine_, "p", R"({"size":0,"aggs":{
      "tags":{"terms":{"field":"tags","size":3}},
      "qty":{"terms":{"field":"qty"}},
      "ok":{"terms":{"field":"ok"}},
      "none":{"terms":{"field":"nosuch"}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json j(*r);
  EXPECT_EQ(j.Int("/hits/total/value"), 30);
  // Multi-valued keywords: t0/t1 on 15 documents each, the colours on 10; ties by key.
  EXPECT_EQ(j.Str("/aggregations/tags/buckets/0/key"), "t0");
  EXPECT_EQ(j.Int("/aggregations/tags/buckets/0/doc_count"), 15);
  EXPECT_EQ(j.Str("/aggregations/tags/buckets/1/key"), "t1");
  EXPECT_EQ(j.Str("/aggregations/tags/buckets/2/key"), "blue");
  EXPECT_EQ(j.Int("/aggregations/tags/buckets/2/doc_count"), 10);
  EXPECT_FALSE(j.Has("/aggregations/tags/buckets/3"));
  EXPECT_EQ(j.Int("/aggregations/tags/sum_other_doc_count"), 20);
  // Numbers (i % 7 for i < 30): 0 and 1 five times, 2..6 four times.
  EXPECT_EQ(j.Int("/aggregations/qty/buckets/0/key"), 0);
  EXPECT_EQ(j.Int("/aggregations/qty/buckets/0/doc_count"), 5);
  EXPECT_EQ(j.Int("/aggregations/qty/buckets/1/key"), 1);
  EXPECT_EQ(j.Int("/aggregations/qty/buckets/6/key"), 6);
  EXPECT_EQ(j.Int("/aggregations/qty/buckets/6/doc_count"), 4);
  EXPECT_EQ(j.Int("/aggregations/ok/buckets/0/key"), 0);  // false before true on equal counts
  EXPECT_EQ(j.Str("/aggregations/ok/buckets/0/key_as_string"), "false");
  EXPECT_EQ(j.Int("/aggregations/ok/buckets/1/doc_count"), 15);
  EXPECT_FALSE(j.Has("/aggregations/none/buckets/0"));

  // Metrics over the query's matches only: red = i % 3 == 0, price = 1.5 i.
  auto m = SearchJson(*engine_, "p", R"({"size":2,"query":{"term":{"tags":"red"}},"aggs":{
      "lo":{"min":{"field":"price"}},"hi":{"max":{"field":"price"}},
      "sum":{"sum":{"field":"price"}},"mean":{"avg":{"field":"price"}},
      "n":{"value_count":{"field":"price"}},"names":{"value_count":{"field":"name"}}}})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Json a(*m);
  EXPECT_EQ(HitIds(*m).size(), 2u);
  EXPECT_DOUBLE_EQ(a.At("/aggregations/lo/value").get_double().value(), 0.0);
  EXPECT_DOUBLE_EQ(a.At("/aggregations/hi/value").get_double().value(), 40.5);
  EXPECT_DOUBLE_EQ(a.At("/aggregations/sum/value").get_double().value(), 202.5);
  EXPECT_DOUBLE_EQ(a.At("/aggregations/mean/value").get_double().value(), 20.25);
  EXPECT_EQ(a.Int("/aggregations/n/value"), 10);
  EXPECT_EQ(a.Int("/aggregations/names/value"), 10);
  auto empty = SearchJson(*engine_, "p", R"({"query":{"term":{"name":"nobody"}},
      "aggs":{"lo":{"min":{"field":"price"}}}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(Json(*empty).At("/aggregations/lo/value").is_null());

  for (const char* bad : {R"({"aggs":{"t":{"terms":{"field":"title"}}}})",
                          R"({"aggs":{"h":{"histogram":{"field":"price","interval":5}}}})",
                          R"({"aggs":{"t":{"terms":{"field":"name"},"aggs":{"x":{"max":{"field":"price"}}}}}})",
                          R"({"aggs":{"t":{"terms":{}}}})",
                          R"({"aggs":{"t":{"terms":{"field":"name","size":0}}}})",
                          R"({"aggs":{"m":{"avg":{"field":"name"}}}})"}) {
    auto e = SearchJson(*engine_, "p", bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().type(), "illegal_argument_exception") << bad;
  }
  EXPECT_EQ(SearchJson(*engine_, "p", R"({"aggs":[1]})").status().type(), "parsing_exception");
}

TEST_F(SearchTest, TotalsAndCount) {
  auto r = SearchJson(*engine_, "p", R"({"track_total_hits":10,"size":0})");
  ASSERT_TRUE(r.ok());
  Json j(*r);
  EXPECT_EQ(j.Int("/hits/total/value"), 10);
  EXPECT_EQ(j.Str("/hits/total/relation"), "gte");
  EXPECT_EQ(HitIds(*r).size(), 0u);
  auto nt = SearchJson(*engine_, "p", R"({"track_total_hits":false})");
  ASSERT_TRUE(nt.ok());
  EXPECT_FALSE(Json(*nt).Has("/hits/total"));
  auto c = CountJson(*engine_, "p", R"({"query":{"term":{"tags":"red"}}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Json(*c).Int("/count"), 10);
  auto all = SearchJson(*engine_, "", R"({"size":1})");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Json(*all).Int("/hits/total/value"), 30);
}

TEST_F(SearchTest, BadRequests) {
  auto expect = [&](const std::string& body, const char* type) {
    auto r = SearchJson(*engine_, "p", body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(r.status().type(), type) << body << " → " << r.status().ToString();
  };
  expect("{bad json", "parsing_exception");
  expect(R"({"query":{"frobnicate":{}}})", "parsing_exception");
  expect(R"({"query":["_id"]})", "parsing_exception");  // fuzz: read an unset object (UB)
  expect(R"({"query":{}})", "parsing_exception");
  expect(R"({"query":{"bool":{"must":{"nope":{}}}}})", "parsing_exception");
  expect(R"({"size":1000000000})", "illegal_argument_exception");
  expect(R"({"from":9999,"size":2})", "illegal_argument_exception");
  expect(R"({"size":-1})", "illegal_argument_exception");
  expect(R"({"unknown_top":1})", "parsing_exception");
  expect(R"([1,2])", "parsing_exception");
  auto missing = SearchJson(*engine_, "nope", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().type(), "index_not_found_exception");
}

}  // namespace
}  // namespace lookalike::testing
