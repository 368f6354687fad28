#!/usr/bin/python3
"""Limits at write time (issue 7): whatever the server accepts loads again after a restart, and
one index that cannot be loaded does not take the others down. One check per problem found by
the hostile tester: deep documents, field explosions, huge bool queries, invalid UTF-8 in URL
parts, long knn field names, and an index whose stored data is corrupt."""
import glob
import json
import os

from lk_server import Server, check, run_main


def nested(levels, leaf=1):
    doc = leaf
    for _ in range(levels):
        doc = {"a": doc}
    return doc


def deep_json(levels):
    # json.dumps recurses; build the text directly so any depth works.
    return '{"a":' * levels + "1" + "}" * levels


def error_type(body):
    return json.loads(body)["error"]["type"]


def decodes(data):
    """The body is valid UTF-8 (strict), and JSON when it looks like JSON."""
    text = data.decode("utf-8")  # raises on invalid bytes
    if text[:1] in "{[":
        json.loads(text)
    return text


def check_deep_documents(server):
    status, data = server.request("PUT", "/s/_doc/1", deep_json(515))
    check(status == 400, (status, data[:300]))
    status, data = server.request("PUT", "/s/_doc/2", nested(30))
    check(status == 400 and error_type(data) == "illegal_argument_exception", data)
    check(b"Limit of mapping depth [20] has been exceeded" in data, data)
    status, data = server.request("PUT", "/s/_doc/3?refresh=true", {"b": nested(18)})
    check(status == 201, data)


def check_field_explosion(server):
    doc = {"f%d" % i: i for i in range(1001)}
    status, data = server.request("PUT", "/fields/_doc/1", doc)
    check(status == 400 and error_type(data) == "illegal_argument_exception", data[:300])
    check(b"Limit of total fields [1000] has been exceeded" in data, data[:300])
    # The limit is an index setting.
    status, data = server.request("PUT", "/wide", {
        "settings": {"index.mapping.total_fields.limit": 1500}})
    check(status == 200, data)
    status, data = server.request("PUT", "/wide/_doc/1", doc)
    check(status == 201, data[:300])


def check_bool_clauses(server):
    should = [{"term": {"b": "x"}} for _ in range(2000)]
    status, data = server.request("POST", "/s/_search",
                                  {"query": {"bool": {"should": should}}})
    check(status == 400 and error_type(data) == "search_phase_execution_exception", data[:300])
    check(b"maxClauseCount is set to 1024" in data, data[:300])
    status, data = server.request("POST", "/s/_search",
                                  {"query": {"bool": {"should": should[:1024]}}})
    check(status == 200, data[:300])


def check_utf8(server):
    status, data = server.request("PUT", "/bad%FFname")
    check(status == 400 and error_type(data) == "invalid_index_name_exception", data)
    decodes(data)
    status, data = server.request("PUT", "/bad%C3/_doc/1", {"k": 1})
    check(status == 400, data)
    status, data = server.request("PUT", "/utf/_doc/id%FF", {"k": 1})
    check(status == 400 and error_type(data) == "illegal_argument_exception", data)
    decodes(data)
    status, data = server.request("PUT", "/utf/_doc/caf%C3%A9?refresh=true", {"k": 1})
    check(status == 201, data)
    status, data = server.request("GET", "/missing%FF/_mapping")
    check(status == 404, data)
    decodes(data)
    for path in ("/_cat/indices", "/_cat/indices?v", "/_cat/indices?format=json", "/_mapping",
                 "/_stats", "/_search?q=k:1"):
        status, data = server.request("GET", path)
        check(status == 200, (path, data[:300]))
        decodes(data)


LONG_FIELD = "v" * 200


def check_long_knn_field(server):
    status, data = server.request("PUT", "/knn", {"mappings": {"properties": {
        LONG_FIELD: {"type": "knn_vector", "dimension": 2}}}})
    check(status == 200, data)
    status, data = server.request("PUT", "/knn/_doc/1?refresh=true", {LONG_FIELD: [1.0, 2.0]})
    check(status == 201, data)
    status, data = server.request("POST", "/knn/_flush")
    check(status == 200, data)


def corrupt_index_files(data_dir, marker):
    """Flips the bytes of `marker` in the table files that hold it: RocksDB's block checksum
    then fails when the index's documents are read at startup."""
    hit = 0
    for path in glob.glob(os.path.join(data_dir, "db", "*.sst")):
        with open(path, "rb") as f:
            content = f.read()
        at = content.find(marker)
        if at < 0:
            continue
        with open(path, "r+b") as f:
            f.seek(at)
            f.write(bytes(b ^ 0x55 for b in marker))
        hit += 1
    check(hit > 0, "marker not found in any table file")


def test(binary):
    marker = b"lookalike-limits-test-marker-0123456789"
    with Server(binary).start() as server:
        check_deep_documents(server)
        check_field_explosion(server)
        check_bool_clauses(server)
        check_utf8(server)
        check_long_knn_field(server)
        status, data = server.request("PUT", "/victim/_doc/1?refresh=true",
                                      {"note": marker.decode()})
        check(status == 201, data)
        check(server.request("POST", "/victim/_flush")[0] == 200, "flush victim")
        check(server.stop() == 0, "graceful stop")

        # Everything accepted loads again.
        server.start()
        status, health = server.json("GET", "/_cluster/health")
        check(health["status"] != "red", health)
        status, body = server.json("GET", "/s/_count")
        check(status == 200 and body["count"] == 1, body)
        status, stats = server.json("GET", "/knn/_stats")
        check(stats["indices"]["knn"]["knn"]["fields"][LONG_FIELD]["loaded_from_snapshot"],
              stats)
        check(server.stop() == 0, "graceful stop")

        # One index's stored data is corrupt: the node starts, the others serve.
        corrupt_index_files(server.data_dir, marker)
        server.start()
        status, rows = server.json("GET", "/_cat/indices?format=json")
        check(status == 200, rows)
        by_name = {r["index"]: r for r in rows}
        check(by_name["victim"]["health"] == "red" and by_name["victim"]["status"] == "open",
              by_name["victim"])
        check(by_name["victim"].get("failure"), by_name["victim"])
        check(all(r["health"] != "red" for n, r in by_name.items() if n != "victim"), rows)
        status, data = server.request("GET", "/_cat/indices?v")
        check(status == 200 and b"failure" in data and b"red" in data, data)
        status, health = server.json("GET", "/_cluster/health")
        check(health["status"] == "red" and health["unassigned_shards"] == 1, health)
        status, data = server.request("GET", "/victim/_search")
        check(status == 503 and error_type(data) == "unavailable_shards_exception", data)
        status, data = server.request("PUT", "/victim/_doc/2", {"k": 1})
        check(status == 503, data)
        status, body = server.json("GET", "/s/_count")
        check(status == 200 and body["count"] == 1, body)
        status, body = server.json("GET", "/_search")
        check(status == 200, body)
        check(server.request("PUT", "/s/_doc/4", {"k": 1})[0] == 201, "write to a healthy index")
        # Deleting the failed index recovers the node.
        status, data = server.request("DELETE", "/victim")
        check(status == 200, data)
        status, health = server.json("GET", "/_cluster/health")
        check(health["status"] != "red", health)
        status, data = server.request("PUT", "/victim/_doc/1", {"k": 1})
        check(status == 201, data)


if __name__ == "__main__":
    run_main(test)
