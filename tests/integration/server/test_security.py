#!/usr/bin/python3
"""Users, API keys and roles against `lookalike serve` (issue 7, authentication part).

1. A data directory with users (made by `lookalike users add`) starts with security on even on
   loopback: no credentials → 401 with the WWW-Authenticate challenges; a wrong password → 401.
2. A viewer can search; its _bulk is refused with 403 and writes nothing. A _bulk is authorised
   item by item (a writer of one index gets 403 items for others); a scroll answers only the
   user that opened it.
3. API keys over REST: create (limited to read on one index), use, list, invalidate.
4. The CLI edits a running server's users and keys: `api-key create` works within seconds,
   `users remove` locks the user out; `ingest-images --server` sends --user credentials.
5. A restart keeps users and keys.
6. Binding a non-loopback address without users refuses to start (exit code != 0, a clear
   message); with --insecure it starts and serves without credentials.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from lk_server import Server, add_user, basic_auth, check, find_binary, free_port, run_main

ADMIN = ("admin", "admin-secret")
READER = ("reader", "reader-secret")
INDEX = "docs"
CLIPART = "/usr/share/openclipart/png"


def run(binary, *args, stdin=None, env=None):
    p = subprocess.run([binary] + list(args), input=stdin, capture_output=True, env=env,
                       timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def raw_request(server, method, path, auth=None, body=None):
    """Like server.request, but returns the headers too and uses `auth` only."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        hdrs = {"Content-Type": "application/json"}
        if auth:
            hdrs["Authorization"] = auth
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def eventually(fn, message, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def check_refusals(server):
    import json
    status, headers, body = raw_request(server, "GET", "/%s/_search" % INDEX)
    check(status == 401, "no credentials: %s %s" % (status, body))
    challenges = header(headers, "WWW-Authenticate")
    check(any(c.startswith('Basic realm="security"') for c in challenges) and "ApiKey" in challenges,
          challenges)
    err = json.loads(body)["error"]
    check(err["type"] == "security_exception" and err["reason"] ==
          "missing authentication credentials for REST request [/%s/_search]" % INDEX, err)
    status, _, body = raw_request(server, "GET", "/", auth=basic_auth(ADMIN[0], "wrong-password"))
    check(status == 401 and b"unable to authenticate user [admin]" in body, body)
    status, _, _ = raw_request(server, "GET", "/", auth="ApiKey " +
                               base64.b64encode(b"nosuchid:nosuchkey").decode())
    check(status == 401, "unknown API key: %s" % status)


def check_reader(server):
    import json
    reader = basic_auth(*READER)
    status, _, body = raw_request(server, "POST", "/%s/_search" % INDEX, auth=reader,
                                  body='{"query":{"match_all":{}}}')
    check(status == 200 and json.loads(body)["hits"]["total"]["value"] == 2, body)
    bulk = '{"index":{"_index":"%s","_id":"x"}}\n{"title":"by reader"}\n' % INDEX
    status, _, body = raw_request(server, "POST", "/_bulk?refresh=true", auth=reader, body=bulk)
    err = json.loads(body)["error"]
    check(status == 403 and err["type"] == "security_exception", body)
    check("action [indices:data/write/bulk] is unauthorized for user [reader] with roles [viewer]"
          " on indices [%s]" % INDEX in err["reason"], err)
    status, _, body = raw_request(server, "DELETE", "/" + INDEX, auth=reader)
    check(status == 403, body)
    status, count = server.json("GET", "/%s/_count" % INDEX)
    check(status == 200 and count["count"] == 2, "nothing written by the reader: %s" % count)


def check_api_keys(server):
    import json
    status, created = server.json("POST", "/_security/api_key", {
        "name": "reader-key", "role_descriptors": {
            "r": {"indices": [{"names": [INDEX], "privileges": ["read"]}]}}})
    check(status == 200 and set(created) >= {"id", "name", "api_key", "encoded"}, created)
    key = "ApiKey " + created["encoded"]
    status, _, body = raw_request(server, "GET", "/%s/_count" % INDEX, auth=key)
    check(status == 200 and json.loads(body)["count"] == 2, body)
    status, _, body = raw_request(server, "PUT", "/%s/_doc/k" % INDEX, auth=key, body='{"a":1}')
    check(status == 403, body)
    status, _, body = raw_request(server, "GET", "/_security/_authenticate", auth=key)
    me = json.loads(body)
    check(me["authentication_type"] == "api_key" and me["api_key"]["id"] == created["id"], me)
    status, listed = server.json("GET", "/_security/api_key?name=reader-key")
    check([k["id"] for k in listed["api_keys"]] == [created["id"]], listed)
    check("api_key" not in listed["api_keys"][0], "secrets are never listed")
    status, r = server.json("DELETE", "/_security/api_key", {"ids": [created["id"]]})
    check(r["invalidated_api_keys"] == [created["id"]], r)
    status, _, _ = raw_request(server, "GET", "/%s/_count" % INDEX, auth=key)
    check(status == 401, "an invalidated key is refused: %s" % status)


def check_cli_edits_running_server(binary, server):
    rc, out, err = run(binary, "api-key", "create", "--data", server.data_dir, "--name", "cli",
                       "--roles", "viewer", "--expiration", "1d")
    check(rc == 0 and out.strip(), "api-key create: %d %s" % (rc, err))
    key = "ApiKey " + out.strip()
    eventually(lambda: raw_request(server, "GET", "/%s/_count" % INDEX, auth=key)[0] == 200,
               "the running server picks up a key made by the CLI")
    rc, out, _ = run(binary, "api-key", "list", "--data", server.data_dir)
    check(rc == 0 and "cli" in out and out.strip().split("\n")[0].startswith("id"), out)
    rc, _, err = run(binary, "api-key", "invalidate", "--data", server.data_dir, "--name", "cli")
    check(rc == 0, err)
    eventually(lambda: raw_request(server, "GET", "/", auth=key)[0] == 401,
               "a key invalidated by the CLI stops working")
    add_user(binary, server.data_dir, "temp", "temp-secret", "viewer")
    temp = basic_auth("temp", "temp-secret")
    eventually(lambda: raw_request(server, "GET", "/", auth=temp)[0] == 200, "new user works")
    rc, _, err = run(binary, "users", "remove", "temp", "--data", server.data_dir)
    check(rc == 0, err)
    eventually(lambda: raw_request(server, "GET", "/", auth=temp)[0] == 401,
               "a removed user is locked out")
    rc, out, _ = run(binary, "users", "list", "--data", server.data_dir)
    check("admin" in out and "reader" in out and "temp" not in out, out)
    rc, _, err = run(binary, "users", "add", "x", "--data", server.data_dir, "--password-stdin",
                     stdin=b"short\n")
    check(rc != 0 and "at least [6]" in err, err)


def check_cli_credentials(binary, server, models):
    """ingest-images --server with and without credentials (needs the model and clip art)."""
    if not (os.path.isdir(CLIPART) and os.path.isdir(models)):
        print("skipping ingest-images with credentials: no clip art or models")
        return
    images = tempfile.mkdtemp(prefix="lookalike-sec-img-")
    try:
        n = 0
        for root, _, files in os.walk(CLIPART):
            for f in sorted(files):
                if f.endswith(".png") and n < 3:
                    shutil.copy(os.path.join(root, f), os.path.join(images, "%d.png" % n))
                    n += 1
        args = ["ingest-images", images, "--index", "pics", "--server", server.url,
                "--models", models]
        env = dict(os.environ)
        for k in ("LOOKALIKE_USER", "LOOKALIKE_PASSWORD", "LOOKALIKE_API_KEY"):
            env.pop(k, None)
        rc, _, err = run(binary, *args, stdin=b"", env=env)
        check(rc != 0 and "security_exception" in err, "without credentials: %d %s" % (rc, err))
        rc, _, err = run(binary, *args, "--user", "%s:%s" % ADMIN, env=env)
        check(rc == 0, "with --user: %d %s" % (rc, err))
        env.update(LOOKALIKE_USER=READER[0], LOOKALIKE_PASSWORD=READER[1])
        rc, _, err = run(binary, *args, env=env)
        check(rc != 0 and "security_exception" in err, "a viewer cannot ingest: %s" % err)
        status, count = server.json("GET", "/pics/_count")
        check(status == 200 and count["count"] == n, count)
    finally:
        shutil.rmtree(images, ignore_errors=True)


def check_bind_rules(binary):
    data = tempfile.mkdtemp(prefix="lookalike-sec-bind-")
    try:
        p = subprocess.run([binary, "serve", "--data", data, "--host", "0.0.0.0", "--port",
                            str(free_port())], capture_output=True, timeout=120)
        err = p.stderr.decode()
        check(p.returncode != 0 and "refusing to listen on 0.0.0.0" in err and "users add" in err,
              "0.0.0.0 without users: %d %s" % (p.returncode, err))
        server = Server(binary, data_dir=data, extra_args=["--host", "0.0.0.0", "--insecure"])
        with server.start():
            status, _ = server.request("GET", "/")
            check(status == 200, "--insecure serves without credentials")
            check("security OFF (--insecure)" in server.log(), server.log())
    finally:
        shutil.rmtree(data, ignore_errors=True)


def check_role_limits(server):
    """Over-long or too many index patterns in a role or an API key are refused with 400 and
    change nothing; a role within the bounds is accepted."""
    long_pattern = "a" * 1025
    status, body = server.json("PUT", "/_security/role/huge", {
        "indices": [{"names": [long_pattern], "privileges": ["read"]}]})
    check(status == 400 and "index pattern longer than" in json.dumps(body), (status, body))
    status, body = server.json("POST", "/_security/api_key", {"name": "wide", "role_descriptors": {
        "r": {"indices": [{"names": ["i%d" % i for i in range(1001)], "privileges": ["read"]}]}}})
    check(status == 400 and "at most 1000" in json.dumps(body), (status, body))
    status, _ = server.json("GET", "/_security/role/huge")
    check(status == 404, "the refused role was not stored: %s" % status)
    status, body = server.json("PUT", "/_security/role/fine", {
        "indices": [{"names": ["logs-*"], "privileges": ["read"]}]})
    check(status == 200, (status, body))


def check_bulk_items_and_scroll_owner(server):
    """_bulk is authorised item by item; a scroll answers only the caller that opened it."""
    status, body = server.json("PUT", "/_security/role/docs_writer", {
        "indices": [{"names": [INDEX], "privileges": ["index"]}]})
    check(status == 200, body)
    status, body = server.json("PUT", "/_security/user/writer", {
        "password": "writer-secret", "roles": ["docs_writer"]})
    check(status == 200, body)
    writer = basic_auth("writer", "writer-secret")
    bulk = ('{"index":{"_index":"%s","_id":"w1"}}\n{"title":"by writer"}\n'
            '{"index":{"_index":"secret","_id":"w2"}}\n{"title":"elsewhere"}\n'
            '{"delete":{"_index":"%s","_id":"1"}}\n' % (INDEX, INDEX))
    status, _, raw = raw_request(server, "POST", "/_bulk?refresh=true", auth=writer, body=bulk)
    check(status == 200, raw)
    reply = json.loads(raw)
    items = [list(item.values())[0] for item in reply["items"]]
    check(reply["errors"] and items[0]["status"] == 201, reply)
    for denied in items[1:]:
        check(denied["status"] == 403 and denied["error"]["type"] == "security_exception", denied)
    check("on indices [secret]" in items[1]["error"]["reason"], items[1])
    status, doc = server.json("GET", "/%s/_doc/w1" % INDEX)
    check(status == 200 and doc["_source"]["title"] == "by writer", doc)
    status, doc = server.json("GET", "/%s/_doc/1" % INDEX)
    check(status == 200, "the refused delete deleted nothing: %s" % doc)
    status, _ = server.json("DELETE", "/%s/_doc/w1?refresh=true" % INDEX)
    check(status == 200, "clean up")

    status, page = server.json("POST", "/%s/_search?scroll=1m" % INDEX, {"size": 1})
    check(status == 200 and "_scroll_id" in page, page)
    scroll = json.dumps({"scroll_id": page["_scroll_id"], "scroll": "1m"})
    status, _, raw = raw_request(server, "POST", "/_search/scroll", auth=basic_auth(*READER),
                                 body=scroll)
    check(status == 404 and b"search_context_missing_exception" in raw, raw)
    status, _, raw = raw_request(server, "DELETE", "/_search/scroll", auth=basic_auth(*READER),
                                 body=scroll)
    check(status == 404, raw)
    status, page = server.json("POST", "/_search/scroll", json.loads(scroll))
    check(status == 200 and len(page["hits"]["hits"]) == 1, "the owner goes on: %s" % page)


def check_lookup_reads_need_rights(server):
    """A knn lookup reads another index: the caller needs read on it too."""
    mapping = {"mappings": {"properties": {"v": {"type": "dense_vector", "dims": 2,
                                                 "similarity": "l2_norm"}}}}
    for name in ("vecs", "secretvecs"):
        status, body = server.json("PUT", "/" + name, mapping)
        check(status == 200, body)
        status, body = server.json("PUT", "/%s/_doc/a?refresh=true" % name, {"v": [1.0, 2.0]})
        check(status in (200, 201), body)
    status, body = server.json("PUT", "/_security/role/vec_reader", {
        "indices": [{"names": ["vecs"], "privileges": ["read"]}]})
    check(status == 200, body)
    status, body = server.json("PUT", "/_security/user/vr", {"password": "vr-secret-1",
                                                             "roles": ["vec_reader"]})
    check(status == 200, body)
    vr = basic_auth("vr", "vr-secret-1")

    def lookup_search(source_index):
        query = {"knn": {"field": "v", "k": 1, "query_vector_builder": {"lookup": {
            "index": source_index, "id": "a", "path": "v"}}}}
        return raw_request(server, "POST", "/vecs/_search", auth=vr, body=json.dumps(query))
    status, _, raw = lookup_search("vecs")
    check(status == 200 and json.loads(raw)["hits"]["hits"][0]["_id"] == "a", raw)
    status, _, raw = lookup_search("secretvecs")
    err = json.loads(raw)["error"]
    check(status == 403 and err["type"] == "security_exception" and
          "on indices [secretvecs]" in err["reason"], raw)
    # The recommend builder reads stored vectors the same way: read on its index is needed.
    query = {"knn": {"field": "v", "k": 1, "query_vector_builder": {"recommend": {
        "index": "secretvecs", "positive": ["a"], "path": "v"}}}}
    status, _, raw = raw_request(server, "POST", "/vecs/_search", auth=vr, body=json.dumps(query))
    err = json.loads(raw)["error"]
    check(status == 403 and err["type"] == "security_exception" and
          "on indices [secretvecs]" in err["reason"], raw)


def test(binary):
    models = os.path.join(os.path.dirname(binary), "models")
    if "--models" in sys.argv:
        models = sys.argv[sys.argv.index("--models") + 1]
    data = tempfile.mkdtemp(prefix="lookalike-sec-")
    try:
        add_user(binary, data, *ADMIN, roles="superuser")
        add_user(binary, data, *READER, roles="viewer")
        # No --security: users exist, so security is on even on loopback.
        server = Server(binary, data_dir=data, auth=basic_auth(*ADMIN))
        with server.start():
            check("security ON" in server.log(), server.log())
            status, _ = server.json("PUT", "/" + INDEX, {"mappings": {"properties": {
                "title": {"type": "text"}}}})
            check(status == 200, "create index")
            server.request("POST", "/_bulk?refresh=true", '{"index":{"_index":"%s","_id":"1"}}\n'
                           '{"title":"one"}\n{"index":{"_index":"%s","_id":"2"}}\n'
                           '{"title":"two"}\n' % (INDEX, INDEX),
                           headers={"Content-Type": "application/x-ndjson"})
            check_refusals(server)
            check_reader(server)
            check_api_keys(server)
            check_role_limits(server)
            check_bulk_items_and_scroll_owner(server)
            check_lookup_reads_need_rights(server)
            check_cli_edits_running_server(binary, server)
            status, created = server.json("POST", "/_security/api_key", {"name": "kept"})
            check(status == 200, created)
            check_cli_credentials(binary, server, models)
        # A restart keeps users and keys.
        with server.start():
            status, _, _ = raw_request(server, "GET", "/", auth=basic_auth(*READER))
            check(status == 200, "reader after restart")
            status, _, _ = raw_request(server, "GET", "/", auth="ApiKey " + created["encoded"])
            check(status == 200, "API key after restart")
            check_refusals(server)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if os.path.exists(data + ".log"):
            os.remove(data + ".log")
    check_bind_rules(binary)


if __name__ == "__main__":
    run_main(test)
