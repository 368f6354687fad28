#!/usr/bin/python3
"""HTTPS end to end: `lookalike serve --tls-cert --tls-key` with certificates made here by the
`openssl` command (a test CA and a server certificate it signs; nothing is committed).

1. python's ssl/http.client trusting the test CA: GET /, PUT index, _bulk, _search.
2. Plain HTTP to the TLS port is closed promptly (no hang); a client trusting another CA fails.
3. python3-elasticsearch: Elasticsearch("https://...", ca_certs=CA) indexes and searches.
4. The CLI (ingest-images, search-image --server https://... --ca-cert CA) works; without
   --ca-cert it fails with a hint; --insecure-tls works.
5. SIGHUP reloads the certificate: new connections get the new one.
6. Start-up errors: a key that does not match, a missing file -> exit != 0 with a clear log; a
   key file readable by others -> a warning.

Usage: test_tls.py --binary BUILD/lookalike [--models BUILD/models]
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

from lk_server import Server, check, find_binary, run_main

warnings.simplefilter("ignore")  # the 7.17 client warns about 'body=' on every call

CLIPART = "/usr/share/openclipart/png/science/medicine"
DIM = 4


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=120)


def make_ca(work, name):
    key, cert = os.path.join(work, name + "_key.pem"), os.path.join(work, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=" + name, "-keyout", key, "-out", cert,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(work, name, ca_cert, ca_key):
    """A certificate for localhost/127.0.0.1 signed by the CA; the key file is mode 600."""
    key, csr = os.path.join(work, name + "_key.pem"), os.path.join(work, name + ".csr")
    cert, ext = os.path.join(work, name + ".pem"), os.path.join(work, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=localhost", "-keyout", key, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-extfile", ext, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key


class TlsServer(Server):
    """lk_server.Server speaking HTTPS, trusting `ca` for its own requests."""

    def __init__(self, binary, cert, key, ca, extra_args=()):
        super().__init__(binary, extra_args=["--tls-cert", cert, "--tls-key", key] +
                         list(extra_args))
        self.context = ssl.create_default_context(cafile=ca)

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, timeout=60, context=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context or self.context)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def wait_for_log(server, text, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in server.log():
            return True
        time.sleep(0.05)
    return False


def check_rest_api(server):
    status, body = server.json("GET", "/")
    check(status == 200 and "version" in body, "GET / over TLS: %s %s" % (status, body))
    status, body = server.json("PUT", "/vectors", {
        "settings": {"index.knn": True},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": DIM},
                                    "tag": {"type": "keyword"}}}})
    check(status == 200, "PUT index over TLS: %s %s" % (status, body))
    lines = []
    for i in range(200):
        lines.append(json.dumps({"index": {"_index": "vectors", "_id": str(i)}}))
        lines.append(json.dumps({"v": [i, i % 7, i % 3, 1.0], "tag": "t%d" % (i % 5)}))
    status, data = server.request("POST", "/_bulk?refresh=wait_for", "\n".join(lines) + "\n",
                                  headers={"Content-Type": "application/x-ndjson"})
    bulk = json.loads(data)
    check(status == 200 and not bulk["errors"] and len(bulk["items"]) == 200,
          "_bulk over TLS: %s %s" % (status, data[:300]))
    status, body = server.json("POST", "/vectors/_search", {
        "size": 3, "query": {"knn": {"v": {"vector": [42, 0, 0, 1.0], "k": 3}}}})
    hits = body["hits"]["hits"] if status == 200 else []
    check(len(hits) == 3 and hits[0]["_id"] == "42", "_search over TLS: %s %s" % (status, body))


def check_plain_http_is_closed(server):
    """Plain HTTP to the TLS port: closed or reset, within the 10 s timeout (never a hang)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        check(False, "plain HTTP to the TLS port got an answer: %s" % resp.status)
    except socket.timeout:
        check(False, "plain HTTP to the TLS port hung")
    except (http.client.HTTPException, ConnectionError):
        pass
    finally:
        conn.close()
    status, _ = server.request("GET", "/")  # and the server is still fine
    check(status == 200, "server after a plain HTTP request: %s" % status)


def check_wrong_ca_fails(server, other_ca):
    try:
        server.request("GET", "/", context=ssl.create_default_context(cafile=other_ca))
        check(False, "a client trusting another CA connected")
    except ssl.SSLCertVerificationError:
        pass


def check_elasticsearch_client(server, ca):
    from elasticsearch import Elasticsearch, helpers
    es = Elasticsearch([server.url], ca_certs=ca, verify_certs=True, timeout=60)
    check(es.info()["version"]["number"].startswith("7."), "es.info over TLS")
    es.indices.create(index="es_tls", body={
        "settings": {"index.knn": True},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": DIM}}}})
    helpers.bulk(es, ({"_index": "es_tls", "_id": str(i), "v": [i, 1, 2, 3]}
                      for i in range(50)), refresh="wait_for")
    res = es.search(index="es_tls", body={
        "size": 1, "query": {"knn": {"v": {"vector": [7, 1, 2, 3], "k": 1}}}})
    check(res["hits"]["hits"][0]["_id"] == "7", "es.search over TLS: %s" % res)


def run_cli(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def check_cli(binary, server, ca, models, work):
    images = os.path.join(work, "images", "medicine")
    os.makedirs(images)
    picked = sorted(f for f in os.listdir(CLIPART) if f.endswith(".png"))[:3]
    check(len(picked) == 3, "not enough clip-art images in " + CLIPART)
    for f in picked:
        shutil.copy(os.path.join(CLIPART, f), images)
    target = ["--index", "pics", "--server", server.url, "--models", models]
    rc, out, err = run_cli(binary, "ingest-images", os.path.dirname(images), *target,
                           "--ca-cert", ca, "--no-progress")
    check(rc == 0 and "3 indexed" in err, "ingest-images over TLS: rc %d\n%s" % (rc, err))
    query = os.path.join(images, picked[0])
    rc, out, err = run_cli(binary, "search-image", query, *target, "--ca-cert", ca, "-k", "2")
    check(rc == 0 and "2 hits" in out and picked[0] in out.splitlines()[1],
          "search-image over TLS: rc %d\n%s%s" % (rc, out, err))
    # Without the CA the self-made certificate is not trusted: a clear error, not a hang.
    rc, out, err = run_cli(binary, "search-image", query, *target, "-k", "2")
    check(rc != 0 and "certificate verify failed" in err and "--ca-cert" in err,
          "search-image without --ca-cert: rc %d\n%s" % (rc, err))
    rc, out, err = run_cli(binary, "search-image", query, *target, "--insecure-tls", "-k", "2")
    check(rc == 0 and "2 hits" in out, "search-image --insecure-tls: rc %d\n%s" % (rc, err))


def check_reload(server, cert, key, work, ca, new_ca, new_ca_key):
    new_cert, new_key = make_server_cert(work, "renewed", new_ca, new_ca_key)
    shutil.copy(new_cert, cert)
    shutil.copy(new_key, key)
    server.proc.send_signal(signal.SIGHUP)
    check(wait_for_log(server, "reloaded"), "no reload logged after SIGHUP:\n" + server.log())
    status, _ = server.request("GET", "/", context=ssl.create_default_context(cafile=new_ca))
    check(status == 200, "after reload, the new certificate's CA: %s" % status)
    check_wrong_ca_fails(server, ca)


def check_start_up_errors(binary, cert, key, other_key, work):
    def serve(*args):
        data = tempfile.mkdtemp(prefix="lookalike-tls-it-", dir=work)
        return subprocess.run([binary, "serve", "--data", data, "--port", "0", *args],
                              capture_output=True, text=True, timeout=120)
    p = serve("--tls-cert", cert, "--tls-key", other_key)
    check(p.returncode != 0 and "does not match" in p.stderr,
          "mismatched key: rc %d\n%s" % (p.returncode, p.stderr))
    p = serve("--tls-cert", os.path.join(work, "missing.pem"), "--tls-key", key)
    check(p.returncode != 0 and "missing.pem" in p.stderr,
          "missing certificate: rc %d\n%s" % (p.returncode, p.stderr))
    p = serve("--tls-cert", cert)
    check(p.returncode != 0 and "--tls-key" in p.stderr,
          "--tls-cert without --tls-key: rc %d\n%s" % (p.returncode, p.stderr))


def test(binary):
    models = (sys.argv[sys.argv.index("--models") + 1] if "--models" in sys.argv
              else os.path.join(os.path.dirname(binary), "models"))
    work = tempfile.mkdtemp(prefix="lookalike-tls-it-")
    try:
        ca, ca_key = make_ca(work, "test-ca")
        other_ca, other_ca_key = make_ca(work, "other-ca")
        cert, key = make_server_cert(work, "server", ca, ca_key)
        _, other_key = make_server_cert(work, "unrelated", other_ca, other_ca_key)

        with TlsServer(binary, cert, key, ca, ["--models", models]).start() as server:
            check("listening on https://" in server.log(), "no https URL in the log")
            check("chmod 600" not in server.log(), "warned about a mode-600 key")
            check_rest_api(server)
            check_plain_http_is_closed(server)
            check_wrong_ca_fails(server, other_ca)
            check_elasticsearch_client(server, ca)
            check_cli(binary, server, ca, models, work)
            check_reload(server, cert, key, work, ca, other_ca, other_ca_key)
        print("REST, plain-HTTP rejection, wrong CA, elasticsearch client, CLI, reload: ok")

        os.chmod(key, 0o644)
        with TlsServer(binary, cert, key, other_ca).start() as server:
            check("chmod 600" in server.log(), "no warning for a world-readable key:\n" +
                  server.log())
        check_start_up_errors(binary, cert, key, other_key, work)
        print("start-up errors and the key-mode warning: ok")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(test)
