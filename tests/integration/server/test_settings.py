#!/usr/bin/python3
"""PUT /{index}/_settings and the slow log through python3-elasticsearch 7.17 (issue 13, item 3).

The client's indices.put_settings / get_settings work unchanged: a dynamic setting takes effect
(max_result_window), a static one raises the client's RequestError with Elasticsearch's type,
null resets, and the settings survive a restart. A search slow-log threshold of 0ms makes a knn
search appear in the server log (one parseable line, vector elided) and in
GET /_lookalike/slowlog; -1 turns it off again.
"""
import json
import warnings

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exc

from lk_server import Server, check, run_main

warnings.simplefilter("ignore")  # the 7.17 client warns about 'body=' on every call

INDEX = "tuned"
DIM = 8


def window_refused(es):
    try:
        es.search(index=INDEX, body={"size": 10, "query": {"match_all": {}}})
        return False
    except es_exc.RequestError as e:
        check(e.error == "illegal_argument_exception", e.info)
        return True


def test(binary):
    server = Server(binary).start()
    try:
        es = Elasticsearch([server.url], timeout=60)
        es.indices.create(index=INDEX, body={
            "settings": {"index": {"knn": True, "number_of_replicas": 0}},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": DIM}}}})
        for i in range(20):
            es.index(index=INDEX, id=str(i), body={"v": [float(i + j) for j in range(DIM)]})
        es.indices.refresh(index=INDEX)

        # A dynamic setting, nested and flat.
        check(not window_refused(es), "default window")
        r = es.indices.put_settings(index=INDEX, body={"index": {"max_result_window": 5}})
        check(r == {"acknowledged": True}, r)
        check(window_refused(es), "max_result_window 5 not applied")
        got = es.indices.get_settings(index=INDEX)
        check(got[INDEX]["settings"]["index"]["max_result_window"] == "5", got)
        es.indices.put_settings(index=INDEX, body={"index.refresh_interval": "30s"})
        flat = es.indices.get_settings(index=INDEX, flat_settings=True)
        check(flat[INDEX]["settings"]["index.refresh_interval"] == "30s", flat)

        # Static and unknown settings: the client's RequestError, nothing changed.
        got = es.indices.get_settings(index=INDEX)
        for body, expected in ((({"index": {"number_of_shards": 2}}),
                                "Can't update non dynamic settings [[index.number_of_shards]]"),
                               ({"index.foo": 1}, "unknown setting [index.foo]")):
            try:
                es.indices.put_settings(index=INDEX, body=body)
                raise AssertionError("accepted %s" % body)
            except es_exc.RequestError as e:
                check(e.status_code == 400 and e.error == "illegal_argument_exception", e.info)
                check(expected in e.info["error"]["reason"], e.info)
        check(es.indices.get_settings(index=INDEX) == got, "a refused update changed settings")

        # Slow log: every search of this index is slow at 0ms.
        es.indices.put_settings(index=INDEX, body={
            "index.search.slowlog.threshold.query.warn": "0ms"})
        es.search(index=INDEX, body={"size": 3, "_source": False, "query": {"knn": {"v": {
            "vector": [0.5] * DIM, "k": 3}}}})
        slow = es.transport.perform_request("GET", "/_lookalike/slowlog")
        searches = [e for e in slow["entries"] if e["type"] == "search"]
        check(len(searches) == 1, slow)
        entry = searches[0]
        check(entry["index"] == INDEX and entry["kind"] == "knn" and entry["level"] == "warn",
              entry)
        check("%d floats" % DIM in entry["source"] and "0.5" not in entry["source"], entry)
        lines = [l for l in server.log().splitlines() if "slowlog type[search]" in l]
        check(len(lines) == 1 and "[warn" in lines[0] and "index[%s]" % INDEX in lines[0]
              and "kind[knn]" in lines[0], lines)
        es.indices.put_settings(index=INDEX, body={
            "index.search.slowlog.threshold.query.warn": "-1"})
        es.search(index=INDEX, body={"size": 1})
        again = es.transport.perform_request("GET", "/_lookalike/slowlog")
        check(len([e for e in again["entries"] if e["type"] == "search"]) == 1, again)

        # The settings survive a restart; null resets.
        check(server.stop() in (0, None), "graceful stop")
        server.start()
        es = Elasticsearch([server.url], timeout=60)
        check(window_refused(es), "max_result_window lost in the restart")
        es.indices.put_settings(index=INDEX, body={"index": {"max_result_window": None}})
        check(not window_refused(es), "null did not reset max_result_window")
        after = es.indices.get_settings(index=INDEX)
        check("max_result_window" not in after[INDEX]["settings"]["index"], after)
        check(after[INDEX]["settings"]["index"]["refresh_interval"] == "30s", after)
        check(server.stop() in (0, None), "graceful stop")
    except Exception:
        print(server.log())
        raise
    finally:
        server.cleanup()


if __name__ == "__main__":
    run_main(test)
