#!/usr/bin/python3
"""GET /_prometheus/metrics against `lookalike serve` (issue 13, item 1, first part).

1. The exposition parses as the Prometheus text format: HELP/TYPE before a family's samples,
   label values quoted, numbers parse; histograms have cumulative buckets ending in +Inf = count.
2. Request counters move by exactly what was sent, per route pattern, method and status class;
   made-up paths count as "unmatched" (no new series per path).
3. Per-index gauges follow the data (docs after a refreshed _bulk); process gauges are filled.
4. With security on, scraping needs the cluster "monitor" privilege: 403 for a role without it;
   the _security API counts under its pseudo route.
"""
import json
import re

from lk_server import Server, add_user, basic_auth, check, run_main

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_exposition(text):
    """{(name, frozenset(labels)): value}; raises on any line outside the format."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            check(kind in ("counter", "gauge", "histogram"), line)
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        family = re.sub(r'_(bucket|sum|count)$', '', name) if name not in types else name
        check(family in types, "sample before its TYPE: %r" % line)
        labels, pos = {}, 0
        while pos < len(labels_text):
            lm = LABEL.match(labels_text, pos)
            check(lm is not None, "bad labels in %r" % line)
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        samples[(name, frozenset(labels.items()))] = float(value)
    return types, samples


def scrape(server):
    status, body = server.request("GET", "/_prometheus/metrics")
    check(status == 200, "scrape: %s %s" % (status, body[:300]))
    return parse_exposition(body.decode())


def requests_total(samples, route, method, status):
    key = ("lookalike_http_requests_total",
           frozenset({"route": route, "method": method, "status": status}.items()))
    return samples.get(key, 0.0)


def check_histograms(types, samples):
    for family, kind in types.items():
        if kind != "histogram":
            continue
        routes = {dict(k[1])["route"] for k in samples if k[0] == family + "_count"}
        check(routes, "histogram %s has series" % family)
        for route in routes:
            buckets = sorted(
                (float(dict(k[1])["le"]), v) for k, v in samples.items()
                if k[0] == family + "_bucket" and dict(k[1])["route"] == route)
            counts = [v for _, v in buckets]
            check(counts == sorted(counts), "cumulative buckets for %s: %s" % (route, buckets))
            check(buckets[-1][0] == float("inf"), "last bucket is +Inf for %s" % route)
            total = samples[(family + "_count", frozenset({"route": route}.items()))]
            check(buckets[-1][1] == total, "+Inf bucket %s == count %s" % (buckets[-1][1], total))


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


def main(binary):
    test_counters_and_gauges(binary)
    test_needs_monitor_privilege(binary)
    print("ok")


if __name__ == "__main__":
    run_main(main)
