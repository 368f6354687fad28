#!/usr/bin/python3
"""Stored OpenSearch search pipelines and aggregations beside fused searches (issue 12 item 5):
PUT/GET/DELETE _search/pipeline/{id} with a normalization-processor or a score-ranker-processor
(rrf), ?search_pipeline=ID and index.search.default_pipeline on a hybrid query, refusals of
malformed pipelines and of processors Lookalike does not run, and pipelines surviving a restart.
Aggregations beside a hybrid query and an rrf retriever are compared with the union of the
sub-queries' matches computed here from plain searches.
"""
import json

from lk_server import Server, check, run_main

INDEX = "shop"
WORDS = ["red", "blue", "shoe", "hat", "bag", "green"]
HYBRID = {"hybrid": {"queries": [
    {"match": {"title": "green"}},
    {"knn": {"v": {"vector": [2, 2, 2], "k": 10}}}]}}
NORM = {"description": "text 0.3, vectors 0.7", "phase_results_processors": [
    {"normalization-processor": {
        "normalization": {"technique": "min_max"},
        "combination": {"technique": "arithmetic_mean",
                        "parameters": {"weights": [0.3, 0.7]}}}}]}
RANKS = {"phase_results_processors": [
    {"score-ranker-processor": {"combination": {"technique": "rrf", "rank_constant": 10}}}]}


def load(server):
    status, r = server.json("PUT", "/" + INDEX, {
        "settings": {"index": {"knn": True, "number_of_replicas": 0}},
        "mappings": {"properties": {
            "title": {"type": "text"}, "cat": {"type": "keyword"},
            "v": {"type": "knn_vector", "dimension": 3,
                  "method": {"name": "hnsw", "space_type": "l2"}}}}})
    check(status == 200, r)
    lines = []
    for i in range(40):
        title = "%s %s" % (WORDS[i % 6], WORDS[(i * 5 + 2) % 6])
        lines.append(json.dumps({"index": {"_index": INDEX, "_id": "p%d" % i}}))
        lines.append(json.dumps({"title": title, "cat": "c%d" % (i % 7),
                                 "v": [float(i % 4), float(i % 3), i * 0.001]}))
    status, _ = server.request("POST", "/_bulk?refresh=true", "\n".join(lines) + "\n",
                               {"Content-Type": "application/x-ndjson"})
    check(status == 200, "bulk")


def search(server, body, params=""):
    status, r = server.json("POST", "/%s/_search%s" % (INDEX, params), body)
    check(status == 200, (body, params, r))
    return r


def hits(r):
    return [(h["_id"], round(h["_score"], 6)) for h in r["hits"]["hits"]]


def refused(server, method, path, body, status=400, mentions=None):
    got, r = server.json(method, path, body)
    check(got == status, (path, body, got, r))
    check("error" in r and r["error"]["type"] and r["error"]["reason"], r)
    if mentions:
        check(mentions in r["error"]["reason"], (mentions, r))


def check_crud(server):
    for name, body in (("norm", NORM), ("ranks", RANKS)):
        status, r = server.json("PUT", "/_search/pipeline/" + name, body)
        check(status == 200 and r == {"acknowledged": True}, r)
    status, r = server.json("GET", "/_search/pipeline")
    check(status == 200 and r == {"norm": NORM, "ranks": RANKS}, r)
    status, r = server.json("GET", "/_search/pipeline/ranks")
    check(status == 200 and r == {"ranks": RANKS}, r)
    status, r = server.json("GET", "/_search/pipeline/n*")
    check(status == 200 and list(r) == ["norm"], r)
    refused(server, "GET", "/_search/pipeline/nope", None, 404)


def check_named_and_default(server):
    size = {"size": 5}
    inline = search(server, dict(size, query=HYBRID, search_pipeline=NORM))
    named = search(server, dict(size, query=HYBRID), "?search_pipeline=norm")
    check(hits(named) == hits(inline) and len(hits(named)) == 5, (named, inline))
    # score-ranker-processor: Σ 1 / (10 + rank) over each sub-query's top 5 (the window).
    want = {}
    for q in HYBRID["hybrid"]["queries"]:
        for rank, h in enumerate(search(server, {"size": 5, "query": q})["hits"]["hits"], 1):
            want[h["_id"]] = want.get(h["_id"], 0.0) + 1.0 / (10 + rank)
    ranked = search(server, dict(size, query=HYBRID), "?search_pipeline=ranks")
    for doc, score in hits(ranked):
        check(abs(score - want[doc]) < 1e-5, (doc, score, want[doc]))
    check([s for _, s in hits(ranked)] ==
          [round(s, 6) for s in sorted(want.values(), reverse=True)[:5]], (ranked, want))
    plain = search(server, dict(size, query=HYBRID))  # processor defaults: equal weights
    status, r = server.json("PUT", "/%s/_settings" % INDEX,
                            {"index": {"search": {"default_pipeline": "ranks"}}})
    check(status == 200, r)
    check(hits(search(server, dict(size, query=HYBRID))) == hits(ranked), "default pipeline")
    check(hits(search(server, dict(size, query=HYBRID), "?search_pipeline=_none")) ==
          hits(plain), "_none must turn the default off")
    check(hits(search(server, dict(size, query=HYBRID), "?search_pipeline=norm")) ==
          hits(named), "the parameter wins over the default")
    # A pipeline acts on hybrid queries only; a plain query with it is an ordinary search.
    match = {"size": 5, "query": {"match": {"title": "green"}}}
    check(hits(search(server, match, "?search_pipeline=norm")) == hits(search(server, match)),
          "a plain query")
    return hits(named), hits(ranked)


def check_refusals(server):
    bad = [
        (None, "request body is required"),
        ({"request_processors": [{"filter_query": {"query": {"match_all": {}}}}]},
         "filter_query"),
        ({"response_processors": [{"rename_field": {"field": "a", "target_field": "b"}}]},
         "rename_field"),
        ({"phase_results_processors": [{"rerank": {}}]}, "rerank"),
        ({"phase_results_processors": [{"normalization-processor": {
            "normalization": {"technique": "z_score"}}}]}, "z_score"),
        ({"phase_results_processors": [{"normalization-processor": {
            "combination": {"technique": "arithmetic_mean",
                            "parameters": {"weights": [0.9, 0.9]}}}}]}, "sum of weights"),
        ({"phase_results_processors": [{"normalization-processor": {"combine": {}}}]},
         "combine"),
        ({"phase_results_processors": [{}]}, None),
        ({"phase_results_processors": [{"normalization-processor": "min_max"}]}, None),
        ({"phase_results_processors": {"normalization-processor": {}}}, None),
        ({"phase_results_processors": [{"normalization-processor": {}},
                                       {"score-ranker-processor": {}}]}, "at most one"),
        ({"phase_results_processors": [{"score-ranker-processor": {
            "combination": {"technique": "rrf", "rank_constant": 0}}}]}, "rank_constant"),
        ({"phase_results_processors": []}, None),  # fine: checked below as accepted
        ({"processors": []}, "processors"),
        ("[1, 2]", None),
        ("{\"phase_results_processors\": [", None),
    ]
    for body, mentions in bad:
        if body == {"phase_results_processors": []}:
            status, r = server.json("PUT", "/_search/pipeline/empty", body)
            check(status == 200, r)
            continue
        refused(server, "PUT", "/_search/pipeline/broken", body, 400, mentions)
    refused(server, "PUT", "/_search/pipeline/_x", NORM, 400, "_x")
    status, _ = server.json("GET", "/_search/pipeline/broken")
    check(status == 404, "a refused pipeline must not be stored")
    # Weights are one per sub-query: checked when a search uses the pipeline.
    three = {"phase_results_processors": [{"normalization-processor": {"combination": {
        "technique": "arithmetic_mean", "parameters": {"weights": [0.2, 0.3, 0.5]}}}}]}
    status, _ = server.json("PUT", "/_search/pipeline/three", three)
    check(status == 200, "three")
    path = "/%s/_search" % INDEX
    refused(server, "POST", path + "?search_pipeline=three", {"query": HYBRID}, 400, "weights")
    refused(server, "POST", path + "?search_pipeline=missing", {"query": HYBRID}, 400, "missing")
    refused(server, "POST", path + "?search_pipeline=norm",
            {"query": HYBRID, "search_pipeline": NORM}, 400)
    refused(server, "DELETE", "/_search/pipeline/missing", None, 404)
    status, _ = server.json("GET", "/%s/_count" % INDEX)
    check(status == 200, "the server stopped answering after the refusals")


def union_counts(server, queries, knn_entries):
    """cat → documents matched by any query (all its matches) or knn entry (its top k)."""
    docs = {}
    for q in queries:
        for h in search(server, {"size": 100, "query": q})["hits"]["hits"]:
            docs[h["_id"]] = h["_source"]["cat"]
    for knn in knn_entries:
        for h in search(server, {"size": knn["k"], "knn": knn})["hits"]["hits"]:
            docs[h["_id"]] = h["_source"]["cat"]
    counts = {}
    for cat in docs.values():
        counts[cat] = counts.get(cat, 0) + 1
    return counts


def buckets(r):
    return {b["key"]: b["doc_count"] for b in r["aggregations"]["cats"]["buckets"]}


def check_aggregations(server):
    aggs = {"cats": {"terms": {"field": "cat", "size": 20}}}
    text = {"match": {"title": "green"}}
    want = union_counts(server, [text, {"knn": {"v": {"vector": [2, 2, 2], "k": 10}}}], [])
    r = search(server, {"size": 3, "query": HYBRID, "aggs": aggs}, "?search_pipeline=norm")
    check(len(r["hits"]["hits"]) == 3 and buckets(r) == want, (buckets(r), want))
    knn = {"field": "v", "query_vector": [3, 0, 0], "k": 6, "num_candidates": 20}
    want = union_counts(server, [text], [knn])
    check(sum(want.values()) < 40, "the union must not be every document")
    r = search(server, {"size": 2, "aggs": aggs, "retriever": {"rrf": {"retrievers": [
        {"standard": {"query": text}}, {"knn": knn}]}}})
    check(len(r["hits"]["hits"]) == 2 and buckets(r) == want, (buckets(r), want))


def test(binary):
    server = Server(binary).start()
    try:
        load(server)
        check_crud(server)
        before = check_named_and_default(server)
        check_refusals(server)
        check_aggregations(server)
        check(server.stop() in (0, None), "graceful stop")
        server.start()
        status, r = server.json("GET", "/_search/pipeline/norm,ranks")
        check(status == 200 and r == {"norm": NORM, "ranks": RANKS}, r)
        named = search(server, {"size": 5, "query": HYBRID}, "?search_pipeline=norm")
        by_default = search(server, {"size": 5, "query": HYBRID})
        check((hits(named), hits(by_default)) == before, "pipelines changed across a restart")
        status, r = server.json("DELETE", "/_search/pipeline/ranks")
        check(status == 200 and r == {"acknowledged": True}, r)
        refused(server, "POST", "/%s/_search" % INDEX, {"query": HYBRID}, 400, "ranks")
        check(server.stop() in (0, None), "graceful stop")
        server.start()
        status, r = server.json("GET", "/_search/pipeline")
        check(status == 200 and sorted(r) == ["empty", "norm", "three"], r)
        check(server.stop() in (0, None), "graceful stop")
    except Exception:
        print(server.log())
        raise
    finally:
        server.cleanup()


if __name__ == "__main__":
    run_main(test)
