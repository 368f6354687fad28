#!/usr/bin/python3
"""Hybrid text + vector search and diversity through the real clients' search call (issue 12,
items 5 and 6): python3-elasticsearch 7.17 sends Elasticsearch's `retriever` (rrf, linear,
diversify) in the body, and OpenSearch's `hybrid` query with a normalization-processor
search pipeline in the request. Expected fusions are computed here from the plain searches'
own ranks and scores. Malformed retrievers get a 400 with an Elasticsearch error body, the
server keeps serving, and after a restart the same fused search gives the same hits.
"""
import warnings

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exc

from lk_server import Server, check, run_main

warnings.simplefilter("ignore")  # the 7.17 client warns about 'body=' on every call

INDEX = "shop"
WORDS = ["red", "blue", "shoe", "hat", "bag", "green"]


def load(es):
    es.indices.create(index=INDEX, body={
        "settings": {"index": {"knn": True, "number_of_replicas": 0}},
        "mappings": {"properties": {
            "title": {"type": "text"}, "cat": {"type": "keyword"},
            "v": {"type": "knn_vector", "dimension": 3,
                  "method": {"name": "hnsw", "space_type": "l2"}}}}})
    lines = []
    for i in range(60):
        title = "%s %s" % (WORDS[i % 6], WORDS[(i * 5 + 2) % 6])
        lines.append({"index": {"_index": INDEX, "_id": "p%d" % i}})
        lines.append({"title": title, "cat": "c%d" % (i % 4),
                      "v": [float(i % 4), float(i % 3), i * 0.001]})
    es.bulk(body=lines, refresh=True)


def hits(result):
    return [(h["_id"], h["_score"]) for h in result["hits"]["hits"]]


def check_rrf(es):
    knn = es.search(index=INDEX, body={"size": 20, "knn": {
        "field": "v", "query_vector": [1, 2, 0], "k": 20, "num_candidates": 40}})
    text = es.search(index=INDEX, body={"size": 20, "query": {"match": {"title": "red shoe"}}})
    want = {}
    for ranked in (knn, text):
        for rank, (doc, _) in enumerate(hits(ranked), start=1):
            want[doc] = want.get(doc, 0.0) + 1.0 / (60 + rank)
    fused = es.search(index=INDEX, body={"size": 10, "retriever": {"rrf": {
        "rank_window_size": 20, "retrievers": [
            {"knn": {"field": "v", "query_vector": [1, 2, 0], "k": 20, "num_candidates": 40}},
            {"standard": {"query": {"match": {"title": "red shoe"}}}}]}}})
    got = hits(fused)
    check(len(got) == 10, fused)
    expected = sorted(want.values(), reverse=True)[:10]
    for (doc, score), best in zip(got, expected):
        check(abs(score - want[doc]) < 1e-5, (doc, score, want[doc]))
        check(abs(score - best) < 1e-5, (got, expected))
    check(fused["hits"]["total"]["value"] == len(want), fused["hits"]["total"])
    check("title" in fused["hits"]["hits"][0]["_source"], fused)
    return got


def check_linear_and_diversify(es):
    fused = es.search(index=INDEX, body={"size": 5, "retriever": {"linear": {
        "rank_window_size": 20, "retrievers": [
            {"retriever": {"standard": {"query": {"match": {"title": "blue"}}}}, "weight": 2,
             "normalizer": "minmax"},
            {"retriever": {"knn": {"field": "v", "query_vector": [0, 0, 0], "k": 20}},
             "weight": 1, "normalizer": "minmax"}]}}})
    scores = [s for _, s in hits(fused)]
    check(len(scores) == 5 and scores == sorted(scores, reverse=True), fused)
    check(0 <= scores[-1] and scores[0] <= 3.0 + 1e-6, scores)
    # v = (i % 4, i % 3, tiny): every (a, b) pair is shared by five documents, so the plain
    # top 5 are five near-copies; diversify (lambda 0.3 favours variety) keeps 5 of the 40
    # nearest with five different pairs, in the child's order.
    query = {"field": "v", "query_vector": [3, 2, 0], "k": 40, "num_candidates": 60}
    plain = es.search(index=INDEX, body={"size": 40, "_source": ["v"], "knn": query})
    diverse = es.search(index=INDEX, body={"size": 5, "_source": ["v"], "retriever": {
        "diversify": {"type": "mmr", "field": "v", "lambda": 0.3, "size": 5,
                      "rank_window_size": 40, "retriever": {"knn": query}}}})
    pair = lambda h: (h["_source"]["v"][0], h["_source"]["v"][1])
    check(len({pair(h) for h in plain["hits"]["hits"][:5]}) < 5, "the data has no near-copies")
    plain_ids = [d for d, _ in hits(plain)]
    kept = [d for d, _ in hits(diverse)]
    check(len(kept) == 5 and set(kept) <= set(plain_ids), (kept, plain_ids))
    check(kept == [d for d in plain_ids if d in kept], "diversify must keep the child's order")
    pairs = [pair(h) for h in diverse["hits"]["hits"]]
    check(len(set(pairs)) == 5, pairs)


def check_hybrid(server):
    body = {"size": 5, "query": {"hybrid": {"queries": [
        {"match": {"title": "green"}},
        {"knn": {"v": {"vector": [2, 2, 2], "k": 10}}}]}},
        "search_pipeline": {"phase_results_processors": [{"normalization-processor": {
            "normalization": {"technique": "min_max"},
            "combination": {"technique": "arithmetic_mean",
                            "parameters": {"weights": [0.4, 0.6]}}}}]}}
    status, result = server.json("POST", "/%s/_search" % INDEX, body)
    check(status == 200, result)
    scores = [h["_score"] for h in result["hits"]["hits"]]
    check(len(scores) == 5 and scores == sorted(scores, reverse=True), result)
    check(0 <= scores[-1] and scores[0] <= 1.0 + 1e-6, scores)
    return [h["_id"] for h in result["hits"]["hits"]]


def check_refusals(es, server):
    bad = [
        {"retriever": {"rrf": {"retrievers": [{"standard": {}}]}}},
        {"retriever": {"standard": {}}, "query": {"match_all": {}}},
        {"retriever": {"sparkle": {}}},
        {"retriever": {"diversify": {"type": "mmr", "field": "v", "lambda": 2,
                                     "retriever": {"standard": {}}}}},
        {"size": 30, "retriever": {"rrf": {"rank_window_size": 10, "retrievers": [
            {"standard": {}}, {"standard": {}}]}}},
        {"query": {"hybrid": {"queries": [{"match_all": {}}]}}, "search_pipeline": {
            "phase_results_processors": [{"normalization-processor": {
                "combination": {"technique": "median"}}}]}},
    ]
    for body in bad:
        try:
            es.search(index=INDEX, body=body)
            raise AssertionError("accepted %s" % body)
        except es_exc.RequestError as e:
            check(e.status_code == 400, e.info)
            check(e.error in ("illegal_argument_exception", "parsing_exception"), e.info)
    status, _ = server.json("GET", "/%s/_count" % INDEX)
    check(status == 200, "the server stopped answering after the refusals")


def test(binary):
    server = Server(binary).start()
    try:
        es = Elasticsearch([server.url], timeout=60)
        load(es)
        before = check_rrf(es)
        check_linear_and_diversify(es)
        hybrid_before = check_hybrid(server)
        check_refusals(es, server)
        check(server.stop() in (0, None), "graceful stop")
        server.start()
        es = Elasticsearch([server.url], timeout=60)
        check(check_rrf(es) == before, "rrf hits changed across a restart")
        check(check_hybrid(server) == hybrid_before, "hybrid hits changed across a restart")
        check(server.stop() in (0, None), "graceful stop")
    except Exception:
        print(server.log())
        raise
    finally:
        server.cleanup()


if __name__ == "__main__":
    run_main(test)
