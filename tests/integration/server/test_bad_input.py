#!/usr/bin/python3
"""Bad input (issue 3, item 6): each request gets a 4xx with an Elasticsearch error body, and the
server keeps serving other requests (checked after every case)."""
import json
import socket
import zlib

from lk_server import Server, check, raw_exchange, run_main

DIM = 4


def error_body_ok(status, data):
    try:
        body = json.loads(data)
    except ValueError:
        return False
    err = body.get("error")
    return (400 <= status < 500 and body.get("status") == status and isinstance(err, dict)
            and "type" in err and "reason" in err and isinstance(err.get("root_cause"), list))


def parse_raw(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, body


def test(binary):
    with Server(binary).start() as server:
        def alive():
            status, data = server.request("GET", "/")
            check(status == 200, "server stopped serving")
            status, data = server.request("GET", "/v/_count")
            check(status == 200 and json.loads(data)["count"] == 1, data)

        status, data = server.request("PUT", "/v", {"mappings": {"properties": {
            "vec": {"type": "knn_vector", "dimension": DIM}, "n": {"type": "integer"}}}})
        check(status == 200, data)
        status, data = server.request("PUT", "/v/_doc/1?refresh=true", {"vec": [1, 2, 3, 4], "n": 1})
        check(status in (200, 201), data)

        knn = lambda vec: json.dumps({"query": {"knn": {"vec": {"vector": vec, "k": 3}}}})
        cases = [
            ("malformed JSON doc", "PUT", "/v/_doc/2", '{"vec": [1,2,3,4], '),
            ("not an object", "PUT", "/v/_doc/2", '[1,2,3]'),
            ("malformed JSON search", "POST", "/v/_search", '{"query": {'),
            ("malformed JSON create index", "PUT", "/w", '{"mappings": '),
            ("malformed NDJSON action", "POST", "/_bulk", '{"index": {"_index": "v"\n{"n": 1}\n'),
            ("NDJSON without final newline", "POST", "/_bulk", '{"index":{"_index":"v","_id":"3"}}\n{"n": 1}'),
            ("NDJSON unknown action", "POST", "/_bulk", '{"frobnicate":{"_index":"v"}}\n{}\n'),
            ("wrong dims doc", "PUT", "/v/_doc/2", '{"vec": [1, 2, 3]}'),
            ("wrong dims query", "POST", "/v/_search", knn([1, 2])),
            ("empty vector doc", "PUT", "/v/_doc/2", '{"vec": []}'),
            ("empty query vector", "POST", "/v/_search", knn([])),
            ("strings in a vector", "PUT", "/v/_doc/2", '{"vec": ["a", "b", "c", "d"]}'),
            ("strings in query vector", "POST", "/v/_search", knn(["a", 1, 2, 3])),
            ("NaN in a vector", "PUT", "/v/_doc/2", '{"vec": [NaN, 1, 2, 3]}'),
            ("unknown query type", "POST", "/v/_search", '{"query": {"fuzzy_wuzzy": {"n": 1}}}'),
            ("size 10^9", "POST", "/v/_search", '{"size": 1000000000}'),
            ("size 10^9 param", "GET", "/v/_search?size=1000000000", None),
            ("k 10^9", "POST", "/v/_search", json.dumps({"query": {"knn": {"vec": {"vector": [1, 2, 3, 4], "k": 1000000000}}}})),
            ("negative size", "POST", "/v/_search", '{"size": -5}'),
            ("uppercase index", "PUT", "/BadIndex", None),
            ("dotdot index", "PUT", "/..", None),
            ("slash index", "PUT", "/a%2Fb", None),
            ("leading underscore index", "PUT", "/_hidden", None),
            ("missing index search", "POST", "/nope/_search", "{}"),
            ("missing index doc", "GET", "/nope/_doc/1", None),
            ("wrong method", "DELETE", "/v/_search", None),
            ("wrong method 2", "PATCH", "/v", None),
            ("bad refresh value", "PUT", "/v/_doc/2?refresh=sometimes", '{"n": 2}'),
            ("bad mapping type", "PUT", "/w", '{"mappings":{"properties":{"x":{"type":"no_such_type"}}}}'),
            ("bad field value", "PUT", "/v/_doc/2", '{"n": "not a number"}'),
            ("stale if_seq_no", "PUT", "/v/_doc/1?if_seq_no=999&if_primary_term=1", '{"n": 1}'),
            ("half a condition", "PUT", "/v/_doc/1?if_seq_no=0", '{"n": 1}'),
            ("search_after without sort", "POST", "/v/_search", '{"search_after": [1]}'),
            ("mget no body", "POST", "/v/_mget", None),
            ("mget docs not a list", "POST", "/_mget", '{"docs": "x"}'),
            ("mget doc not an object", "POST", "/_mget", '{"docs": [1]}'),
            ("mget id an object", "POST", "/_mget", '{"docs": [{"_index": "v", "_id": {}}]}'),
            ("mget doc without index", "POST", "/_mget", '{"docs": [{"_id": "1"}]}'),
            ("mget ids not strings", "POST", "/v/_mget", '{"ids": [{}]}'),
            ("mget ids without index", "POST", "/_mget", '{"ids": ["1"]}'),
            ("mget empty object", "POST", "/v/_mget", '{}'),
            ("scroll keep-alive not a duration", "POST", "/v/_search?scroll=forever", '{}'),
            ("scroll keep-alive over 24h", "POST", "/v/_search?scroll=25h", '{}'),
            ("scroll without id", "POST", "/_search/scroll", '{"scroll": "1m"}'),
            ("scroll unknown id", "POST", "/_search/scroll", '{"scroll_id": "nope"}'),
            ("scroll body not JSON", "POST", "/_search/scroll", '{"scroll_id": '),
        ]
        for name, method, path, body in cases:
            status, data = server.request(method, path, body)
            check(error_body_ok(status, data), "%s: %s %s -> %d %r" % (name, method, path, status, data[:300]))
            alive()

        # Truncated body: Content-Length larger than what is sent, then the client half-closes.
        status, body = parse_raw(raw_exchange(server.port,
            b"PUT /v/_doc/9 HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"n\": 1"))
        check(error_body_ok(status, body), "truncated body -> %d %r" % (status, body))
        alive()
        # Truncated chunked body.
        status, body = parse_raw(raw_exchange(server.port,
            b"POST /_bulk HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"index\":"))
        check(error_body_ok(status, body), "truncated chunked -> %d %r" % (status, body))
        alive()
        # Malformed request line / headers.
        status, body = parse_raw(raw_exchange(server.port, b"THIS IS NOT HTTP\r\n\r\n"))
        check(error_body_ok(status, body), "garbage -> %d %r" % (status, body))
        alive()
        # Corrupt gzip body.
        status, data = server.request("PUT", "/v/_doc/2", b"\x1f\x8b not gzip at all",
                                      headers={"Content-Encoding": "gzip"})
        check(error_body_ok(status, data), "corrupt gzip -> %d" % status)
        alive()
        # A valid gzip body works.
        gz = zlib.compressobj(wbits=31)
        payload = gz.compress(json.dumps({"vec": [4, 3, 2, 1], "n": 2}).encode()) + gz.flush()
        status, data = server.request("PUT", "/v/_doc/2?refresh=true", payload,
                                      headers={"Content-Encoding": "gzip"})
        check(status in (200, 201), "gzip doc -> %d %r" % (status, data))
        status, data = server.request("DELETE", "/v/_doc/2?refresh=true")
        check(status == 200, data)
        alive()

        # A 200 MB body: 413 with an error body, the client can read it, server stays up.
        big = b"{\"vec\": [" + b"1.0," * (50 * 1024 * 1024) + b"1.0]}"
        check(len(big) > 200 * 1024 * 1024, len(big))
        status, data = server.request("PUT", "/v/_doc/big", big, timeout=120)
        check(status == 413 and error_body_ok(status, data), "200 MB body -> %d %r" % (status, data[:200]))
        alive()
        # Declared 200 MB but the client only sends headers: answered at once.
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(b"PUT /v/_doc/big HTTP/1.1\r\nContent-Length: 209715200\r\nContent-Type: application/json\r\n\r\n")
        resp = s.recv(65536)
        s.close()
        status, body = parse_raw(resp)
        check(status == 413, resp[:200])
        alive()



if __name__ == "__main__":
    run_main(test)
