#!/usr/bin/python3
"""GET /_prometheus/metrics against `lookalike serve` (issue 13, item 1, first part).

1. The exposition parses as the Prometheus text format: HELP/TYPE before a family's samples,
   label values quoted, numbers parse; histograms have cumulative buckets ending in +Inf = count.
2. Request counters move by exactly what was sent, per route pattern, method and status class;
   made-up paths count as "unmatched" (no new series per path).
3. Per-index gauges follow the data (docs after a refreshed _bulk); process gauges are filled.
4. With security on, scraping needs the cluster "monitor" privilege: 403 for a role without it;
   the _security API counts under its pseudo route.
5. The engine's series (issue 13, item 1, second part): searches per index and kind (knn,
   filtered_knn, text, image when the converted models are there) with latency histograms,
   documents indexed/deleted, vector index sizes per field and code type, the vector queue,
   page-cache residency of mapped vectors and RocksDB's state; a deleted index's series go.

Usage: test_metrics.py --binary BUILD/lookalike [--models BUILD/models]
"""
import base64
import glob
import json
import os
import re
import sys

from lk_server import Server, add_user, basic_auth, check, run_main

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_exposition(text):
    """(types, {(name, frozenset(labels)): value}); raises on any line outside the format:
    HELP then TYPE once per family before its samples, no sample twice, names and labels as
    the format spells them, numbers that parse, the text ends with a newline."""
    check(text.endswith("\n"), "exposition ends with a newline")
    types, samples, helped = {}, {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            check(name not in helped and name not in types, "HELP once, before TYPE: %r" % line)
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            check(kind in ("counter", "gauge", "histogram"), line)
            check(name in helped and name not in types, "TYPE once, after HELP: %r" % line)
            types[name] = kind
            continue
        check(not line.startswith("#") and line.strip() == line and line, "stray line %r" % line)
        m = SAMPLE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        family = re.sub(r'_(bucket|sum|count)$', '', name) if name not in types else name
        check(family in types, "sample before its TYPE: %r" % line)
        check(family == name or types[family] == "histogram", "suffix on a non-histogram %r" % line)
        labels, pos = {}, 0
        while pos < len(labels_text):
            lm = LABEL.match(labels_text, pos)
            check(lm is not None, "bad labels in %r" % line)
            check(lm.group(1) not in labels, "label twice in %r" % line)
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        check(("le" in labels) == name.endswith("_bucket") or types.get(name) is not None,
              "le only on buckets: %r" % line)
        key = (name, frozenset(labels.items()))
        check(key not in samples, "sample twice: %r" % line)
        number = float(value)  # raises on anything but a number, +Inf, -Inf, NaN
        if types[family] == "counter" or name.endswith(("_bucket", "_count")):
            check(number >= 0, "negative count %r" % line)
        samples[key] = number
    return types, samples


def series(samples, name, **labels):
    """The value of one series, None when absent."""
    return samples.get((name, frozenset(labels.items())))


def scrape(server):
    status, body = server.request("GET", "/_prometheus/metrics")
    check(status == 200, "scrape: %s %s" % (status, body[:300]))
    return parse_exposition(body.decode())


def requests_total(samples, route, method, status):
    key = ("lookalike_http_requests_total",
           frozenset({"route": route, "method": method, "status": status}.items()))
    return samples.get(key, 0.0)


def check_histograms(types, samples):
    """Every histogram series: buckets cumulative, ending in +Inf == _count, with a _sum."""
    for family, kind in types.items():
        if kind != "histogram":
            continue
        groups = {}
        for (name, labels), value in samples.items():
            if name == family + "_bucket":
                rest = frozenset((k, v) for k, v in labels if k != "le")
                groups.setdefault(rest, []).append((float(dict(labels)["le"]), value))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            check(counts == sorted(counts), "cumulative buckets %s %s: %s" % (family, rest, buckets))
            check(buckets[-1][0] == float("inf"), "last bucket is +Inf for %s %s" % (family, rest))
            total = samples.get((family + "_count", rest))
            check(buckets[-1][1] == total, "+Inf bucket %s == count %s" % (buckets[-1][1], total))
            check((family + "_sum", rest) in samples, "%s_sum for %s" % (family, rest))


def any_png():
    for path in sorted(glob.glob("/usr/share/openclipart/png/**/*.png", recursive=True))[:1]:
        return open(path, "rb").read()
    return None


def test_engine_series(binary, models):
    """Searches of each kind, a bulk and deletes move exactly their series."""
    image = any_png() if models and os.path.isdir(models) else None
    extra = ["--models", models] if image else []
    with Server(binary, extra_args=extra).start() as server:
        vec = {"type": "knn_vector", "dimension": 4,
               "method": {"name": "hnsw", "space_type": "l2", "parameters": {"m": 8}}}
        check(server.request("PUT", "/e", {"mappings": {"properties": {
            "v": vec, "tag": {"type": "keyword"}}}})[0] == 200, "create e")
        bulk = "".join('{"index":{"_id":"%d"}}\n{"v":[%d,1,0,%d],"tag":"t%d"}\n' % (i, i, i % 5, i % 3)
                       for i in range(30))
        status, body = server.request("POST", "/e/_bulk?refresh=true", bulk,
                                      headers={"Content-Type": "application/x-ndjson"})
        check(status == 200 and not json.loads(body)["errors"], body[:300])
        for doc in ("1", "2"):
            check(server.request("DELETE", "/e/_doc/%s?refresh=true" % doc)[0] == 200, "delete")
        knn = {"knn": {"v": {"vector": [1, 1, 0, 1], "k": 3}}}
        searches = [
            ("knn", {"query": knn}, 3),
            ("filtered_knn", {"query": {"knn": {"v": {"vector": [1, 1, 0, 1], "k": 3,
                                                      "filter": {"term": {"tag": "t1"}}}}}}, 2),
            ("text", {"query": {"term": {"tag": "t2"}}}, 4),
        ]
        for _kind, body, times in searches:
            for _ in range(times):
                status, res = server.request("POST", "/e/_search", body)
                check(status == 200, "search %s: %s" % (body, res[:300]))
        check(server.request("POST", "/e/_flush")[0] == 200, "flush writes the vector snapshot")
        if image:
            dims = 1280
            check(server.request("PUT", "/img", {"mappings": {"properties": {"embedding": {
                "type": "knn_vector", "dimension": dims, "model": "mobilenet_v2"}}}})[0] == 200,
                  "create img")
            neural = {"query": {"neural": {"embedding": {
                "query_image": base64.b64encode(image).decode(), "k": 1}}}}
            status, res = server.request("POST", "/img/_search", neural)
            check(status == 200, "neural search: %s" % res[:300])
        types, after = scrape(server)
        check_histograms(types, after)
        for kind, _body, times in searches:
            n = series(after, "lookalike_searches_total", index="e", kind=kind)
            check(n == times, "lookalike_searches_total{kind=%s} = %s, want %d" % (kind, n, times))
            c = series(after, "lookalike_search_duration_seconds_count", index="e", kind=kind)
            check(c == times, "duration count{kind=%s} = %s" % (kind, c))
            le = series(after, "lookalike_search_duration_seconds_bucket", index="e", kind=kind,
                        le="+Inf")
            check(le == times, "+Inf bucket{kind=%s} = %s" % (kind, le))
        check(series(after, "lookalike_searches_total", index="e", kind="image") is None,
              "no image series for e")
        check(series(after, "lookalike_docs_indexed_total", index="e") == 30, "30 docs indexed")
        check(series(after, "lookalike_docs_deleted_total", index="e") == 2, "2 docs deleted")
        field = {"index": "e", "field": "v", "code": "int8"}
        check(series(after, "lookalike_vector_index_vectors", **field) == 28, "28 vectors")
        check(series(after, "lookalike_vector_index_memory_bytes", **field) > 0, "memory bytes")
        check(series(after, "lookalike_vector_index_disk_bytes", **field) > 0, "disk bytes")
        mapped = series(after, "lookalike_vector_index_mapped_bytes", **field)
        resident = series(after, "lookalike_vector_index_mapped_resident_bytes", **field)
        check(mapped is not None and resident is not None and 0 <= resident <= max(mapped, 0),
              "residency %s of mapped %s" % (resident, mapped))
        check(series(after, "lookalike_vector_queue_vectors") == 0, "queue drained by refresh")
        check(series(after, "lookalike_rocksdb_wal_syncs_total") >= 3, "synced writes counted")
        check(series(after, "lookalike_rocksdb_live_sst_bytes") > 0, "flush wrote an SST")
        for name in ("lookalike_rocksdb_pending_compaction_bytes",
                     "lookalike_rocksdb_memtable_bytes", "lookalike_rocksdb_running_compactions"):
            check(series(after, name) is not None, name)
        if image:
            check(series(after, "lookalike_searches_total", index="img", kind="image") == 1,
                  "image search counted")
            check(series(after, "lookalike_image_embed_duration_seconds_count",
                         model="mobilenet_v2", use="query") == 1, "embedding time recorded")
        else:
            print("test_metrics: no models or images, image series not checked")
        # The status page's history and index table (GET /_lookalike/status).
        status, body = server.request("GET", "/_lookalike/status")
        check(status == 200, "status: %s %s" % (status, body[:300]))
        page = json.loads(body)
        check(page["interval_seconds"] == 10 and page["capacity"] == 360, page["capacity"])
        check(len(page["samples"]) >= 1 and page["samples"][0]["rss_bytes"] > 0, page["samples"])
        row = [i for i in page["indices"] if i["index"] == "e"]
        check(row and row[0]["docs"] == 28 and row[0]["vectors"] == 28, "status row %s" % row)
        # A deleted index's series go with it.
        check(server.request("DELETE", "/e")[0] == 200, "delete e")
        _, gone = scrape(server)
        check(not any(dict(k[1]).get("index") == "e" for k in gone), "series of e removed")


def test_counters_and_gauges(binary):
    with Server(binary).start() as server:
        status, data = server.request("GET", "/_prometheus/metrics")
        check(status == 200, data)
        _, before = parse_exposition(data.decode())
        check(server.request("PUT", "/m", {"mappings": {"properties": {
            "v": {"type": "knn_vector", "dimension": 2}, "tag": {"type": "keyword"}}}})[0] == 200,
              "create index")
        bulk = "".join('{"index":{"_id":"%d"}}\n{"v":[%d,1],"tag":"t%d"}\n' % (i, i, i % 3)
                       for i in range(7))
        status, body = server.request("POST", "/m/_bulk?refresh=true", bulk,
                                      headers={"Content-Type": "application/x-ndjson"})
        check(status == 200 and not json.loads(body)["errors"], body[:300])
        for _ in range(5):
            check(server.request("POST", "/m/_search", {"query": {"match_all": {}}})[0] == 200,
                  "search")
        for _ in range(2):
            check(server.request("GET", "/missing/_search")[0] == 404, "404 search")
        for path in ("/_no_such_api/a/b/c", "/_other_made_up/x/y/z"):
            check(server.request("GET", path)[0] == 400, "unmatched path")
        types, after = scrape(server)
        check_histograms(types, after)

        def delta(route, method, status):
            return (requests_total(after, route, method, status) -
                    requests_total(before, route, method, status))
        check(delta("/{index}/_search", "POST", "2xx") == 5, "5 searches counted")
        check(delta("/{index}/_search", "GET", "4xx") == 2, "2 failed searches counted")
        check(delta("/{index}/_bulk", "POST", "2xx") == 1, "1 bulk counted")
        check(delta("unmatched", "GET", "4xx") == 2, "unmatched paths counted")
        check(not any("_no_such_api" in str(k) for k in after), "no series per made-up path")
        docs = after.get(("lookalike_index_docs", frozenset({"index": "m"}.items())))
        check(docs == 7, "lookalike_index_docs{index=m} = %s" % docs)
        check(after[("lookalike_indices", frozenset())] == 1, "one index")
        check(after[("process_resident_memory_bytes", frozenset())] > 10e6, "RSS filled")
        check(after[("lookalike_thread_pool_threads", frozenset({"pool": "search"}.items()))] >= 1,
              "search lane threads")
        status, _ = server.request("GET", "/_prometheus/metrics")
        types, again = scrape(server)
        check(requests_total(again, "/_prometheus/metrics", "GET", "2xx") >= 3,
              "scrapes count themselves")


def test_needs_monitor_privilege(binary):
    with Server(binary, secure=True).start() as server:
        status, body = server.json("PUT", "/_security/role/no_monitor", {
            "cluster": [], "indices": [{"names": ["*"], "privileges": ["read"]}]})
        check(status == 200, "role: %s %s" % (status, body))
        status, body = server.json("PUT", "/_security/user/blind", {
            "password": "blind-password", "roles": ["no_monitor"]})
        check(status == 200, "user: %s %s" % (status, body))
        status, body = server.request("GET", "/_prometheus/metrics",
                                      headers={"Authorization": basic_auth("blind", "blind-password")})
        check(status == 403, "no monitor privilege: %s %s" % (status, body[:300]))
        check(b"security_exception" in body, body[:300])
        types, samples = scrape(server)
        check(requests_total(samples, "/_security/*", "PUT", "2xx") == 2,
              "the security API counts under its pseudo route")
        check(requests_total(samples, "/_prometheus/metrics", "GET", "4xx") == 1,
              "the refused scrape is counted as a 4xx of its route")
        status, _ = server.request("GET", "/_lookalike/status",
                                   headers={"Authorization": basic_auth("blind", "blind-password")})
        check(status == 403, "the status history needs monitor: %s" % status)
        check(server.request("GET", "/_lookalike/status")[0] == 200, "status with monitor")


def test_nodes_and_cat_with_the_real_client(binary):
    from elasticsearch import Elasticsearch
    with Server(binary).start() as server:
        es = Elasticsearch([server.url], timeout=60)
        es.indices.create(index="c", body={"mappings": {"properties": {"t": {"type": "keyword"}}}})
        for i in range(3):
            es.index(index="c", id=str(i), body={"t": "x"}, refresh=True)
        stats = es.nodes.stats()
        check(stats["_nodes"]["total"] == 1 and len(stats["nodes"]) == 1, stats["_nodes"])
        node = next(iter(stats["nodes"].values()))
        check(node["indices"]["docs"]["count"] == 3, node["indices"])
        check(node["process"]["mem"]["resident_in_bytes"] > 10e6, node["process"])
        check(node["fs"]["total"]["total_in_bytes"] >= node["fs"]["total"]["available_in_bytes"] > 0,
              node["fs"])
        check(set(node["thread_pool"]) == {"search", "write", "management"}, node["thread_pool"])
        only_os = es.nodes.stats(metric="os")
        check(set(next(iter(only_os["nodes"].values()))) & {"indices", "fs", "process"} == set(),
              "metric filter")
        # Clients sniff the HTTP address from node info.
        info = es.nodes.info(node_id="_all", metric="http")
        address = next(iter(info["nodes"].values()))["http"]["publish_address"]
        check(address == "127.0.0.1:%d" % server.port, address)
        check(es.nodes.stats(node_id="someone-else")["_nodes"]["total"] == 0, "other node id")
        health = es.cat.health(format="json")
        check(health[0]["status"] == "green" and health[0]["node.total"] == "1", health)
        check(es.cat.count(index="c", format="json")[0]["count"] == "3", "cat count")
        text = es.cat.count(index="c", v=True)
        check(text.splitlines()[0].split() == ["epoch", "timestamp", "count"], text)
        nodes = es.cat.nodes(format="json", h="name,master")
        check(nodes == [{"name": "lookalike", "master": "*"}], nodes)
        status, body = server.request("GET", "/_nodes/stats/nonsense")
        check(status == 400 and b"unrecognized metric" in body, body)
        status, body = server.request("GET", "/_cat/count/missing")
        check(status == 404 and b"index_not_found_exception" in body, body)


def main(binary):
    models = sys.argv[sys.argv.index("--models") + 1] if "--models" in sys.argv else \
        os.path.join(os.path.dirname(binary), "models")
    test_engine_series(binary, models)
    test_counters_and_gauges(binary)
    test_nodes_and_cat_with_the_real_client(binary)
    test_needs_monitor_privilege(binary)
    print("ok")


if __name__ == "__main__":
    run_main(main)
