#!/usr/bin/python3
"""BM25 text relevance through python3-elasticsearch (issue 12, item 5, text half).

Four short documents whose BM25 scores are computed by hand (the same example as
tests/unit/engine/bm25_test.cc): match ordering and scores, match_phrase with positions and
slop, multi_match types, Unicode analysis (É/é, Cyrillic, CJK). Malformed match_phrase and
multi_match bodies raise the client's RequestError (400) and the server keeps serving; after a
restart the index reopens and the scores are the same (the in-memory postings are rebuilt).
"""
import math
import warnings

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exc

from lk_server import Server, check, run_main

warnings.simplefilter("ignore")  # the 7.17 client warns about 'body=' on every call

INDEX = "texts"
DOCS = {
    "d1": {"title": "brown fox"},
    "d2": {"title": "fox fox dog"},
    "d3": {"title": "the quick brown dog jumps", "body": "Élan Москва 東京"},
    "d4": {"title": "cat"},
}


def bm25(tf, dl, df, n=4, avgdl=11 / 4, k1=1.2, b=0.75):
    """Lucene's BM25 (Elasticsearch 7+): idf · tf / (tf + k1 · (1 - b + b · dl / avgdl))."""
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))


def hits(es, query):
    r = es.search(index=INDEX, body={"query": query})
    return [(h["_id"], h["_score"]) for h in r["hits"]["hits"]]


def check_scores(es):
    fox = hits(es, {"match": {"title": "fox"}})
    check([h[0] for h in fox] == ["d2", "d1"], fox)
    # By hand: d2 = ln 2 · 2 / (2 + 1.2 · (0.25 + 0.75 · 3 / 2.75)) = 0.422417.
    check(abs(fox[0][1] - 0.422417) < 1e-4 and abs(fox[0][1] - bm25(2, 3, 2)) < 1e-4, fox)
    check(abs(fox[1][1] - bm25(1, 2, 2)) < 1e-4, fox)
    bd = hits(es, {"match": {"title": "Brown DOG"}})
    check([h[0] for h in bd] == ["d3", "d1", "d2"], bd)
    check(abs(bd[0][1] - 2 * bm25(1, 5, 2)) < 1e-4, bd)
    phrase = hits(es, {"match_phrase": {"title": "brown fox"}})
    check([h[0] for h in phrase] == ["d1"], phrase)
    check(abs(phrase[0][1] - 2 * bm25(1, 2, 2)) < 1e-4, phrase)
    check(hits(es, {"match_phrase": {"title": "quick dog"}}) == [], "slop 0")
    check([h[0] for h in hits(es, {"match_phrase": {"title": {"query": "quick dog", "slop": 1}}})]
          == ["d3"], "slop 1")
    mm = hits(es, {"multi_match": {"query": "fox élan", "fields": ["title", "body^4"]}})
    check([h[0] for h in mm][0] == "d3", mm)  # body: 4 × 0.130765 beats d2 0.422417
    check(abs(mm[0][1] - 4 * math.log(1 + 0.5 / 1.5) / 2.2) < 1e-4, mm)
    for q in ("ÉLAN", "москва", "京"):
        got = hits(es, {"match": {"body": q}})
        check([h[0] for h in got] == ["d3"], (q, got))


def check_refusals(es):
    for body in ({"match_phrase": {"title": {"query": "fox", "slop": "far"}}},
                 {"match_phrase": {"title": {"slop": 1}}},
                 {"multi_match": {"query": "fox", "type": "cross_fields"}},
                 {"multi_match": {"fields": ["title"]}},
                 {"multi_match": {"query": "fox", "fields": ["title^high"]}},
                 {"match": {"title": {"query": "fox", "fuzziness": "AUTO"}}}):
        try:
            es.search(index=INDEX, body={"query": body})
            raise AssertionError("accepted %s" % body)
        except es_exc.RequestError as e:
            check(e.status_code == 400 and e.error == "parsing_exception", (body, e.info))
    try:
        es.search(index=INDEX, body={"query": {"multi_match": {"query": "x",
                                                               "type": "phrase_prefix"}}})
        raise AssertionError("phrase_prefix accepted")
    except es_exc.RequestError as e:
        check("phrase_prefix" in str(e.info), e.info)


def test(binary):
    with Server(binary).start() as server:
        es = Elasticsearch([server.url], timeout=60)
        es.indices.create(index=INDEX, body={"mappings": {"properties": {
            "title": {"type": "text"}, "body": {"type": "text"}}}})
        for doc_id, doc in DOCS.items():
            es.index(index=INDEX, id=doc_id, body=doc)
        es.indices.refresh(index=INDEX)
        check_scores(es)
        check_refusals(es)
        check_scores(es)  # still serving, same answers
        check(server.stop() == 0, "graceful stop")
        server.start()
        es = Elasticsearch([server.url], timeout=60)
        check_scores(es)


if __name__ == "__main__":
    run_main(test)
