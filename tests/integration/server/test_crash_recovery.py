#!/usr/bin/python3
"""Crash (issue 3, item 6): kill -9 the server in the middle of a bulk load, restart, and check
that every acknowledged document is present and searchable and none is duplicated."""
import json
import threading
import time

import numpy as np

from lk_server import Server, check, run_main

DIM = 64
BATCH = 200
INDEX = "crash"


def bulk_body(start, X):
    lines = []
    for i in range(start, start + BATCH):
        lines.append(json.dumps({"index": {"_index": INDEX, "_id": str(i)}}))
        lines.append(json.dumps({"v": X[i].tolist(), "n": i}))
    return "\n".join(lines) + "\n"


def test(binary):
    with Server(binary).start() as server:
        status, data = server.request("PUT", "/" + INDEX, {"mappings": {"properties": {
            "v": {"type": "knn_vector", "dimension": DIM}, "n": {"type": "long"}}}})
        check(status == 200, data)
        rng = np.random.default_rng(3)
        X = np.round(rng.standard_normal((200 * BATCH, DIM)), 4).astype(np.float32)

        acked = []          # ids whose bulk call returned 200 without item errors
        stop = threading.Event()

        def loader():
            start = 0
            while not stop.is_set() and start + BATCH <= len(X):
                try:
                    status, data = server.request("POST", "/_bulk", bulk_body(start, X),
                                                  headers={"Content-Type": "application/x-ndjson"})
                except OSError:
                    return  # the server died under us: this batch is not acknowledged
                if status != 200:
                    return
                body = json.loads(data)
                if body["errors"]:
                    return
                acked.extend(range(start, start + BATCH))
                start += BATCH

        t = threading.Thread(target=loader)
        t.start()
        # Let a few batches through, then kill while more are in flight.
        deadline = time.time() + 60
        while len(acked) < 6 * BATCH and time.time() < deadline and t.is_alive():
            time.sleep(0.01)
        time.sleep(0.05)
        server.kill9()
        stop.set()
        t.join()
        n_acked = len(acked)
        check(n_acked >= 6 * BATCH, "only %d acknowledged before the kill" % n_acked)
        print("acknowledged before kill -9:", n_acked)

        server.start()
        status, data = server.request("POST", "/%s/_refresh" % INDEX)
        check(status == 200, data)
        status, body = server.json("GET", "/%s/_count" % INDEX)
        count = body["count"]
        # Documents from the batch in flight may or may not be there; acknowledged ones must be.
        check(count >= n_acked, "count %d < acknowledged %d" % (count, n_acked))
        check(count <= n_acked + 2 * BATCH, "count %d: more than was ever sent" % count)

        # Every document listed exactly once, with the right content.
        status, body = server.json("POST", "/%s/_search" % INDEX, {
            "size": count, "_source": ["n"], "query": {"match_all": {}}})
        check(status == 200, body)
        ids = [h["_id"] for h in body["hits"]["hits"]]
        check(len(ids) == len(set(ids)) == count, "duplicates: %d hits, %d distinct, count %d"
              % (len(ids), len(set(ids)), count))
        present = set(ids)
        missing = [i for i in acked if str(i) not in present]
        check(not missing, "acknowledged but missing: %s" % missing[:20])
        for h in body["hits"]["hits"]:
            check(h["_source"]["n"] == int(h["_id"]), h)

        # Acknowledged documents are searchable by vector.
        for i in rng.choice(acked, 20, replace=False):
            status, body = server.json("POST", "/%s/_search" % INDEX, {
                "size": 1, "_source": False,
                "query": {"knn": {"v": {"vector": X[i].tolist(), "k": 1}}}})
            check(status == 200 and body["hits"]["hits"][0]["_id"] == str(i),
                  "doc %d not found by its own vector: %s" % (i, body))


if __name__ == "__main__":
    run_main(test)
