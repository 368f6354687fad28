#!/usr/bin/python3
"""Worker lanes: with every write worker held (and the write queue full), searches,
_cluster/health, _cat and document reads still answer, extra writes get 429
es_rejected_execution_exception on a connection that stays usable, and the held writes finish
once released. Writers are held with the hidden --test-hold-writes-while FILE (write-lane
requests wait while FILE exists), which makes "every writer is blocked" deterministic without
loading the engine."""
import http.client
import json
import os
import shutil
import tempfile
import threading
import time

from lk_server import Server, check, run_main

WRITE_THREADS = 2
WRITE_QUEUE = 2
PROMPT = 10  # seconds: generous; a stalled lane would wait for the held writers (120 s)


def bulk_body(doc_id):
    return (json.dumps({"index": {"_index": "photos", "_id": doc_id}}) + "\n" +
            json.dumps({"vec": [1.0, 0.5, 0.25, float(doc_id)], "tag": "held"}) + "\n")


def post(port, path, body, timeout, conn=None):
    """(status, parsed body); reuses `conn` when given (keep-alive)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        ctype = "application/x-ndjson" if path.endswith("_bulk") or "_bulk?" in path \
            else "application/json"
        conn.request("POST", path, body=body, headers={"Content-Type": ctype})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        if own:
            conn.close()


def test(binary):
    work = tempfile.mkdtemp(prefix="lookalike-lanes-")
    gate = os.path.join(work, "hold-writes")
    models = os.path.join(work, "no-models")
    os.makedirs(models)
    args = ["--models", models, "--test-hold-writes-while", gate,
            "--thread-pool", "write.size=%d" % WRITE_THREADS,
            "--thread-pool", "write.queue_size=%d" % WRITE_QUEUE]
    try:
        with Server(binary, extra_args=args).start() as server:
            status, data = server.json("PUT", "/photos", {
                "settings": {"index.knn": True},
                "mappings": {"properties": {
                    "vec": {"type": "knn_vector", "dimension": 4},
                    "tag": {"type": "keyword"}}}})
            check(status == 200, "create: %s %s" % (status, data))
            status, data = post(server.port, "/_bulk?refresh=true", bulk_body(0), 60)
            check(status == 200 and not data["errors"], "first bulk: %s %s" % (status, data))

            open(gate, "w").close()  # from now on write-lane requests wait
            results = {}

            def writer(i):
                try:
                    results[i] = post(server.port, "/_bulk?refresh=wait_for", bulk_body(i), 180)
                except Exception as e:  # noqa: BLE001 - reported by the checks below
                    results[i] = (0, repr(e))

            # More writers than the lane holds: the surplus is rejected at once.
            writers = [threading.Thread(target=writer, args=(i,))
                       for i in range(1, WRITE_THREADS + WRITE_QUEUE + 3)]
            for t in writers:
                t.start()
            deadline = time.time() + 60
            while len(results) < 2 and time.time() < deadline:
                time.sleep(0.05)
            check(len(results) == 2, "expected 2 rejected writers, got %s" % results)
            for status, body in results.values():
                check(status == 429, "surplus writer: %s %s" % (status, body))
                check(body["error"]["type"] == "es_rejected_execution_exception", body)
                check("thread pool [write]" in body["error"]["reason"], body)
                check(body["status"] == 429, body)

            # Every write worker is held and the write queue is full; the other lanes answer.
            status, data = server.request("GET", "/_cluster/health", timeout=PROMPT)
            check(status == 200 and json.loads(data)["status"] in ("green", "yellow"),
                  "health while writes are held: %s %s" % (status, data))
            status, data = post(server.port, "/photos/_search", json.dumps({
                "query": {"knn": {"vec": {"vector": [1, 0.5, 0.25, 0], "k": 1}}}}), PROMPT)
            check(status == 200 and data["hits"]["hits"][0]["_id"] == "0",
                  "search while writes are held: %s %s" % (status, data))
            status, data = server.request("GET", "/_cat/indices?format=json", timeout=PROMPT)
            check(status == 200, "_cat while writes are held: %s %s" % (status, data))
            status, data = server.request("GET", "/photos/_doc/0", timeout=PROMPT)
            check(status == 200, "get while writes are held: %s %s" % (status, data))

            # A rejected write leaves its keep-alive connection usable.
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=PROMPT)
            try:
                status, body = post(server.port, "/_bulk", bulk_body(99), PROMPT, conn)
                check(status == 429, "write on a full lane: %s %s" % (status, body))
                status, body = post(server.port, "/photos/_count", "{}", PROMPT, conn)
                check(status == 200 and body["count"] == 1, "count after 429: %s %s" % (status, body))
            finally:
                conn.close()

            os.remove(gate)  # release the held writers
            for t in writers:
                t.join(120)
            held = [results[i] for i in sorted(results) if results[i][0] != 429]
            check(len(held) == WRITE_THREADS + WRITE_QUEUE, "held writers: %s" % results)
            for status, body in held:
                check(status == 200 and not body["errors"], "released writer: %s %s" % (status, body))
            status, body = post(server.port, "/photos/_count", "{}", 60)
            check(body["count"] == 1 + WRITE_THREADS + WRITE_QUEUE, "count: %s" % body)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(test)
