#!/usr/bin/python3
"""Restart (issue 3, item 6): data and the vector index survive a clean restart (SIGTERM, exit 0)
and the same queries give the same answers afterwards; persistent cluster settings survive too."""
import json
import signal
import time

import numpy as np

from lk_server import Server, check, run_main

DIM = 128
N = 3000
INDEX = "persist"


def test(binary):
    with Server(binary).start() as server:
        status, data = server.request("PUT", "/" + INDEX, {
            "settings": {"index": {"knn": True}},
            "mappings": {"properties": {
                "v": {"type": "knn_vector", "dimension": DIM,
                      "method": {"name": "hnsw", "space_type": "cosinesimil",
                                 "parameters": {"m": 16, "ef_construction": 64}}},
                "tag": {"type": "keyword"}}}})
        check(status == 200, data)
        rng = np.random.default_rng(11)
        X = np.round(rng.standard_normal((N, DIM)), 4).astype(np.float32)
        for start in range(0, N, 500):
            lines = []
            for i in range(start, min(N, start + 500)):
                lines.append(json.dumps({"index": {"_id": str(i)}}))
                lines.append(json.dumps({"v": X[i].tolist(), "tag": "t%d" % (i % 3)}))
            status, data = server.request("POST", "/%s/_bulk" % INDEX, "\n".join(lines) + "\n",
                                          headers={"Content-Type": "application/x-ndjson"})
            check(status == 200 and not json.loads(data)["errors"], data[:300])
        status, data = server.request("POST", "/%s/_refresh" % INDEX)
        check(status == 200, data)
        # Deletes and updates must survive too.
        check(server.request("DELETE", "/%s/_doc/7?refresh=true" % INDEX)[0] == 200, "delete")
        check(server.request("POST", "/%s/_update/8?refresh=true" % INDEX,
                             {"doc": {"tag": "changed"}})[0] == 200, "update")

        queries = [X[i] + 0.05 for i in range(0, 200, 20)]

        def answers():
            out = []
            for q in queries:
                status, body = server.json("POST", "/%s/_search" % INDEX, {
                    "size": 10, "_source": False,
                    "query": {"knn": {"v": {"vector": q.tolist(), "k": 10,
                                            "filter": {"term": {"tag": "t1"}}}}}})
                check(status == 200, body)
                out.append([h["_id"] for h in body["hits"]["hits"]])
            return out

        before = answers()
        status, data = server.request("PUT", "/_cluster/settings", {
            "persistent": {"knn.algo_param.index_thread_qty": 2},
            "transient": {"indices.recovery.max_bytes_per_sec": "50mb"}})
        check(status == 200, data)
        status, mapping_before = server.json("GET", "/%s/_mapping" % INDEX)
        rc = server.stop()
        check(rc == 0, "graceful exit code %s" % rc)

        t0 = time.time()
        server.start()
        print("restart to first answer: %.2f s" % (time.time() - t0))
        status, body = server.json("GET", "/%s/_count" % INDEX)
        check(body["count"] == N - 1, body)
        # No rebuild: every vector field opened on its snapshot, nothing replayed.
        status, stats = server.json("GET", "/%s/_stats" % INDEX)
        fields = stats["indices"][INDEX]["knn"]["fields"]
        check(fields and all(f["loaded_from_snapshot"] and f["replayed_on_open"] == 0
                             for f in fields.values()), fields)
        check(sum(f["vectors"] for f in fields.values()) >= N - 1, fields)
        check(server.request("GET", "/%s/_doc/7" % INDEX)[0] == 404, "deleted doc came back")
        status, doc = server.json("GET", "/%s/_doc/8" % INDEX)
        check(doc["_source"]["tag"] == "changed", doc)
        status, mapping_after = server.json("GET", "/%s/_mapping" % INDEX)
        check(mapping_before == mapping_after, (mapping_before, mapping_after))
        # Persistent cluster settings survive a restart; transient ones do not (as in ES).
        status, settings = server.json("GET", "/_cluster/settings")
        check(settings == {"persistent": {"knn.algo_param.index_thread_qty": "2"},
                           "transient": {}}, settings)
        after = answers()
        check(before == after, "answers changed after restart:\n%s\n%s" % (before, after))

        # SIGINT (Ctrl-C) stops as gracefully as SIGTERM: exit 0, snapshot taken, no replay.
        check(server.request("PUT", "/%s/_doc/late?refresh=true" % INDEX,
                             {"v": X[0].tolist(), "tag": "late"})[0] == 201, "late write")
        rc = server.stop(sig=signal.SIGINT)
        check(rc == 0, "SIGINT exit code %s" % rc)
        server.start()
        status, body = server.json("GET", "/%s/_count" % INDEX)
        check(body["count"] == N, body)
        status, stats = server.json("GET", "/%s/_stats" % INDEX)
        fields = stats["indices"][INDEX]["knn"]["fields"]
        check(all(f["loaded_from_snapshot"] and f["replayed_on_open"] == 0
                  for f in fields.values()), fields)


if __name__ == "__main__":
    run_main(test)
