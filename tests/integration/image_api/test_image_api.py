"""ingest-images and the image REST API end to end, with bad input.

1. ingest-images --data on a small clip-art folder (openclipart-png) plus hostile files: a
   zero-byte .jpg, a text file named .jpg, a corrupt JPEG, a truncated PNG, a PNG "bomb" header
   (100k x 100k): the good images are indexed, each bad file gets a report line, the exit code
   is 0; an unknown --model is a clear error (non-zero exit) that indexes nothing.
2. Re-running adds nothing; a changed file is re-indexed; a new file is added.
3. search-image finds an indexed image as its own best match, --like ID finds the next ones;
   `embed` prints vectors as JSON
   lines or raw float32 and reports files it cannot read.
4. `lookalike serve --image-root`: POST /{index}/_search/image (multipart) and the neural query
   answer like _search plus embed_took; filters hold; GET /{index}/_image/{id} returns the
   file's bytes; paths outside the root (absolute, "..", symlink) are refused; bad uploads and
   bad base64, unknown models (upload, neural model_id, mappings) get 4xx; a GIF of 10,000
   frames is answered from its first frame; afterwards the server still serves and nothing
   indexed changed; /_ui/.
5. Index-time embedding ("source_field"): documents, _bulk index/create/update and _update
   with image paths or base64 get the image's vector; bad images are refused per item.
Usage: test_image_api.py --binary BUILD/lookalike --models BUILD/models
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from lk_server import Server, check, find_binary  # noqa: E402

CLIPART = "/usr/share/openclipart/png"
CATEGORIES = {"fruit": "food/fruit", "birds": "animals/birds", "flags": "signs_and_symbols/flags"}
PER_CATEGORY = 4
INDEX = "clipart"


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def png_bomb():
    """A valid PNG signature + IHDR claiming 100000 x 100000 pixels, then junk."""
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk +
            struct.pack(">I", zlib.crc32(chunk)) + b"\0" * 64)


def corrupt_jpeg():
    """A JFIF header followed by noise: no frame header (SOF), so no decoder can use it."""
    noise = bytes((i * 73 + 41) % 255 for i in range(3000))  # never 0xFF: no markers
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + noise + b"\xff\xd9"


def many_frame_gif(frames=10000):
    """A 1x1 GIF with `frames` image frames (about 150 KB)."""
    frame = bytes.fromhex("2c0000000001000100000202440100")
    return (b"GIF89a" + struct.pack("<HH", 1, 1) + bytes([0x80, 0, 0]) +
            b"\x00\x00\x00\xff\xff\xff" + frame * frames + b"\x3b")


def make_images(root):
    """PER_CATEGORY small PNGs per category, copied from the Debian package."""
    files = {}
    for name, src in CATEGORIES.items():
        os.makedirs(os.path.join(root, name))
        picked = []
        for f in sorted(os.listdir(os.path.join(CLIPART, src))):
            p = os.path.join(CLIPART, src, f)
            if f.endswith(".png") and os.path.isfile(p):
                w, h = png_size(p)
                if w * h <= 1_000_000:
                    picked.append(p)
            if len(picked) == PER_CATEGORY:
                break
        check(len(picked) == PER_CATEGORY, "not enough images in " + src)
        for p in picked:
            dst = os.path.join(root, name, os.path.basename(p))
            shutil.copy(p, dst)
            files[dst] = name
    return files


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def multipart(fields):
    """fields: list of (name, value bytes, filename or None) → (body, content type)."""
    boundary = "----lookalike" + uuid.uuid4().hex
    out = b""
    for name, value, filename in fields:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out += b"Content-Disposition: " + disp.encode() + b"\r\n"
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


def image_search(server, index, fields):
    body, ctype = multipart(fields)
    status, data = server.request("POST", "/%s/_search/image" % index, body,
                                  headers={"Content-Type": ctype})
    return status, json.loads(data) if data else None


def test(binary):
    models = arg("--models", os.path.join(os.path.dirname(binary), "models"))
    work = tempfile.mkdtemp(prefix="lookalike-image-it-")
    server = None
    try:
        images = os.path.join(work, "images")
        data = os.path.join(work, "data")
        files = make_images(images)
        bad = {
            os.path.join(images, "fruit", "empty.jpg"): b"",
            os.path.join(images, "fruit", "notes.jpg"): b"this is not a JPEG\n" * 10,
            os.path.join(images, "fruit", "corrupt.jpg"): corrupt_jpeg(),
            os.path.join(images, "birds", "truncated.png"):
                open(next(iter(files)), "rb").read()[:120],
            os.path.join(images, "flags", "bomb.png"): png_bomb(),
        }
        for p, content in bad.items():
            with open(p, "wb") as f:
                f.write(content)
        with open(os.path.join(images, "README.txt"), "w") as f:
            f.write("not an image name: ignored\n")

        # --- 1. first ingest (after one with an unknown model, which must index nothing)
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                           "--models", models, "--model", "no_such_model")
        check(rc != 0 and "no_such_model" in err and "known models" in err,
              "unknown --model: rc %d\n%s" % (rc, err))
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                           "--models", models, "--batch", "4")
        print(err)
        check(rc == 0, "ingest-images failed: %d" % rc)
        n = len(files)
        check("%d indexed" % n in err, "expected %d indexed" % n)
        check("%d failed" % len(bad) in err, "expected %d failed files" % len(bad))
        for p in bad:
            check(p in err, "no report line for " + p)
        check("1 files without an image extension ignored" in err, "README.txt not reported")

        # --- 2. re-runs
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                           "--models", models)
        check(rc == 0 and "0 indexed" in err and "%d unchanged" % n in err,
              "re-run was not a no-op:\n" + err)
        changed = sorted(files)[0]
        with open(changed, "ab") as f:
            f.write(b"\0")  # bytes after IEND: same picture, new content hash
        extra = os.path.join(images, "fruit", "copy.png")
        shutil.copy(sorted(files)[1], extra)
        files[extra] = "fruit"
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                           "--models", models)
        check(rc == 0 and "2 indexed" in err, "changed + new file not indexed:\n" + err)
        n += 1

        # --- 3. search-image
        query = sorted(p for p, c in files.items() if c == "birds")[0]
        rc, out, err = run(binary, "search-image", query, "--index", INDEX, "--data", data,
                           "--models", models, "-k", "3", "--json")
        check(rc == 0, "search-image failed:\n" + err)
        hits = json.loads(out)["hits"]["hits"]
        check(len(hits) == 3 and hits[0]["_source"]["path"] == os.path.realpath(query),
              "search-image: the image is not its own best match: %s" % hits[:1])
        # --like ID searches by the stored vector of an indexed document and leaves that
        # document out: the next k hits of the search by its file.
        rc, out, err = run(binary, "search-image", query, "--index", INDEX, "--data", data,
                           "--models", models, "-k", "4", "--json")
        by_file = [h["_id"] for h in json.loads(out)["hits"]["hits"]]
        rc, out, err = run(binary, "search-image", "--like", hits[0]["_id"], "--index", INDEX,
                           "--data", data, "-k", "3", "--json")
        check(rc == 0, "search-image --like failed:\n" + err)
        by_like = [h["_id"] for h in json.loads(out)["hits"]["hits"]]
        check(by_like == by_file[1:], "search-image --like %s != %s" % (by_like, by_file[1:]))
        rc, out, err = run(binary, "search-image", "--like", "no-such-id", "--index", INDEX,
                           "--data", data)
        check(rc == 1 and "not found" in err, "--like of a missing id: rc %d %s" % (rc, err))
        rc, out, err = run(binary, "search-image", query, "--like", hits[0]["_id"], "--index",
                           INDEX, "--data", data)
        check(rc != 0 and "--like" in err, "FILE and --like together: rc %d %s" % (rc, err))

        # Tighter decode limits from the command line: 0.01 megapixels (100 x 100) refuses every
        # clip-art image (all larger), into a separate data directory.
        rc, out, err = run(binary, "ingest-images", images, "--index", "tiny", "--data",
                           os.path.join(work, "tiny"), "--models", models,
                           "--max-megapixels", "0.01")
        check(rc == 0 and "0 indexed" in err and "over the limit of 10000" in err,
              "--max-megapixels: rc %d\n%s" % (rc, err[-600:]))

        # embed: JSON lines (one per image, unit-length vectors of the model's size), raw float32,
        # and a report plus exit code 1 for a file that is not an image.
        rc, out, err = run(binary, "embed", query, changed, "--models", models, "--format", "json")
        check(rc == 0, "embed failed:\n" + err)
        rows = [json.loads(line) for line in out.splitlines()]
        check([r["path"] for r in rows] == [query, changed], "embed rows: %s" % [r["path"] for r in rows])
        dims = len(rows[0]["vector"])
        check(dims > 100 and all(len(r["vector"]) == dims for r in rows), "embed dims")
        check(all(abs(sum(x * x for x in r["vector"]) - 1) < 1e-3 for r in rows), "not unit length")
        raw = subprocess.run([binary, "embed", query, os.path.join(images, "fruit", "notes.jpg"),
                              "--models", models, "--format", "raw"], capture_output=True, timeout=600)
        check(raw.returncode == 1 and len(raw.stdout) == 4 * dims and b"notes.jpg" in raw.stderr,
              "embed raw with a bad file: rc %d, %d bytes, %s" % (raw.returncode, len(raw.stdout),
                                                                raw.stderr[-300:]))
        floats = struct.unpack("<%df" % dims, raw.stdout)
        check(max(abs(a - b) for a, b in zip(floats, rows[0]["vector"])) < 1e-6, "raw != json")

        # --- 4. REST
        outside = os.path.join(work, "secret.png")
        shutil.copy(query, outside)
        server = Server(binary, data_dir=os.path.join(work, "data"),
                        extra_args=["--models", models, "--image-root", images]).start()
        status, body = server.json("GET", "/%s/_count" % INDEX)
        check(status == 200 and body["count"] == n, "count %s != %d" % (body, n))

        # The same tools over HTTP (_bulk through the server).
        added = os.path.join(images, "flags", "added.png")
        shutil.copy(sorted(p for p, c in files.items() if c == "flags")[0], added)
        files[added] = "flags"
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--server",
                           server.url, "--models", models)
        check(rc == 0 and "1 indexed" in err and "%d unchanged" % n in err,
              "ingest-images --server:\n" + err)
        n += 1
        rc, out, err = run(binary, "search-image", added, "--index", INDEX, "--server",
                           server.url, "--models", models, "-k", "2")
        check(rc == 0 and "rank" in out and "2 hits" in out, "search-image --server:\n" + out + err)
        check(os.path.realpath(added) in out.splitlines()[1] or
              os.path.basename(sorted(p for p, c in files.items() if c == "flags")[0]) in out,
              "search-image --server: the added image is not a top hit:\n" + out)

        os.symlink(outside, os.path.join(images, "birds", "link.png"))
        qbytes = open(query, "rb").read()
        status, res = image_search(server, INDEX, [("file", qbytes, "q.png"), ("k", b"5", None)])
        check(status == 200, "_search/image: %d %s" % (status, res))
        check("embed_took" in res and "took" in res and res["model"], "no embed_took/model")
        hits = res["hits"]["hits"]
        check(len(hits) == 5, "k=5 gave %d hits" % len(hits))
        check(hits[0]["_source"]["path"] == os.path.realpath(query), "upload: self not first")
        check("embedding" not in hits[0]["_source"], "vector returned in _source")
        top_id = hits[0]["_id"]

        flt = json.dumps({"term": {"category": "flags"}}).encode()
        status, res = image_search(server, INDEX, [("file", qbytes, "q.png"), ("k", b"3", None),
                                                   ("filter", flt, None)])
        check(status == 200, "filtered upload failed: %s" % res)
        cats = [h["_source"]["category"] for h in res["hits"]["hits"]]
        check(len(cats) == 3 and set(cats) == {"flags"}, "filter not applied: %s" % cats)

        neural = {"size": 3, "_source": ["path", "category"], "query": {"neural": {"embedding": {
            "query_image": base64.b64encode(qbytes).decode(), "k": 3}}}}
        status, res = server.json("POST", "/%s/_search" % INDEX, neural)
        check(status == 200, "neural query failed: %s" % res)
        check(res["hits"]["hits"][0]["_id"] == top_id, "neural and upload disagree")
        check("embed_took" in res, "neural: no embed_took")

        status, img = server.request("GET", "/%s/_image/%s" % (INDEX, top_id))
        check(status == 200 and img == qbytes, "_image did not return the file")
        # Thumbnails over HTTP: a JPEG whose longer side is the requested size (never larger),
        # the same bytes from the cache, and a bad size refused.
        status, thumb = server.request("GET", "/%s/_image/%s?size=64" % (INDEX, top_id))
        check(status == 200 and thumb[:3] == b"\xff\xd8\xff", "thumbnail: %d" % status)
        status, again = server.request("GET", "/%s/_image/%s?size=64" % (INDEX, top_id))
        check(status == 200 and again == thumb, "cached thumbnail differs")
        check(os.path.isdir(os.path.join(work, "data", "thumbnails")), "no thumbnail cache on disk")
        status, _ = server.request("GET", "/%s/_image/%s?size=0" % (INDEX, top_id))
        check(status == 400, "thumbnail size=0: %d" % status)

        # Paths outside the root, planted directly into documents.
        for doc_id, path in [("abs", "/etc/passwd"), ("dotdot", images + "/../secret.png"),
                             ("symlink", os.path.join(images, "birds", "link.png")),
                             ("relative", "birds/x.png")]:
            status, _ = server.json("PUT", "/%s/_doc/%s?refresh=true" % (INDEX, doc_id),
                                    {"path": path, "category": "evil"})
            check(status in (200, 201), "could not plant " + doc_id)
            status, data = server.request("GET", "/%s/_image/%s" % (INDEX, doc_id))
            check(status == 404 and b"resource_not_found_exception" in data,
                  "%s: served %s with %d" % (doc_id, path, status))
            server.json("DELETE", "/%s/_doc/%s?refresh=true" % (INDEX, doc_id))
        status, _ = server.request("GET", "/%s/_image/nope" % INDEX)
        check(status == 404, "missing document: %d" % status)

        # Bad uploads and queries: 4xx each, with an Elasticsearch error body.
        bad_requests = [
            ("zero-byte", [("file", b"", "e.jpg")]),
            ("text", [("file", b"hello, not an image", "t.jpg")]),
            ("truncated", [("file", qbytes[:200], "t.png")]),
            ("bomb", [("file", png_bomb(), "b.png")]),
            ("no file", [("k", b"3", None)]),
            ("k=0", [("file", qbytes, "q.png"), ("k", b"0", None)]),
            ("k not a number", [("file", qbytes, "q.png"), ("k", b"ten", None)]),
            ("filter not JSON", [("file", qbytes, "q.png"), ("filter", b"{oops", None)]),
            ("unknown model", [("file", qbytes, "q.png"), ("model", b"no_such_model", None)]),
            ("corrupt jpeg", [("file", corrupt_jpeg(), "c.jpg")]),
            ("unknown field", [("file", qbytes, "q.png"), ("field", b"path", None)]),
        ]
        for what, fields in bad_requests:
            status, res = image_search(server, INDEX, fields)
            check(400 <= status < 500 and res and "error" in res,
                  "%s: expected 4xx, got %d %s" % (what, status, res))
        status, _ = server.request("POST", "/%s/_search/image" % INDEX, b"{}")
        check(status == 400, "non-multipart body: %d" % status)
        status, _ = image_search(server, "no_such_index", [("file", qbytes, "q.png")])
        check(status == 404, "unknown index: %d" % status)
        # A GIF with 10,000 frames: its first frame is the query, at no cost for the others.
        status, res = image_search(server, INDEX, [("file", many_frame_gif(), "many.gif"),
                                                   ("k", b"2", None)])
        check(status == 200 and len(res["hits"]["hits"]) == 2, "10,000-frame GIF: %d" % status)
        for q in [{"query": {"neural": {"embedding": {"query_image": "%%%not base64"}}}},
                  {"query": {"neural": {"embedding": {"query_image": base64.b64encode(qbytes).decode(),
                                                      "model_id": "no_such_model"}}}},
                  {"query": {"neural": {"embedding": {"query_text": "a bird"}}}},
                  {"query": {"neural": {"embedding": {
                      "query_image": base64.b64encode(b"not an image").decode()}}}}]:
            status, res = server.json("POST", "/%s/_search" % INDEX, q)
            check(400 <= status < 500, "bad neural query: %d %s" % (status, res))

        # The page.
        status, page = server.request("GET", "/_ui/")
        check(status == 200 and b"<!doctype html>" in page, "/_ui/ not served")
        status, _ = server.request("GET", "/_ui/nope.js")
        check(status == 404, "/_ui/nope.js: %d" % status)
        status, data = server.request("GET", "/_ui/..%2F..%2Fetc%2Fpasswd")
        check(status != 200 and b"root:" not in data, "page traversal")

        # Index-time embedding: a vector field filled from an image field ("source_field").
        status, listed = server.json("GET", "/_models")
        check(status == 200 and listed["default"], "GET /_models: %s" % listed)
        default = [m for m in listed["models"] if m["name"] == listed["default"]][0]
        mapping = {"mappings": {"properties": {
            "embedding": {"type": "knn_vector", "dimension": default["dims"],
                          "model": default["name"], "source_field": "image"},
            "category": {"type": "keyword"}}}}
        # A mapping naming an unknown model, or a size the model does not make, is refused.
        for bad_mapping in [
                {"mappings": {"properties": {"embedding": {
                    "type": "knn_vector", "dimension": default["dims"], "model": "no_such_model",
                    "source_field": "image"}}}},
                {"mappings": {"properties": {"embedding": {
                    "type": "dense_vector", "dims": default["dims"] + 1, "source_field": "image"}}}}]:
            status, data = server.request("PUT", "/pipe_bad", json.dumps(bad_mapping))
            check(status == 400 and b"mapper_parsing_exception" in data, "bad mapping: %d %s"
                  % (status, data[:200]))
        check(server.request("HEAD", "/pipe_bad")[0] == 404, "a refused mapping created an index")
        status, res = server.json("PUT", "/pipe", mapping)
        check(status == 200, "create pipe: %s" % res)
        status, data = server.request("PUT", "/pipe/_mapping", json.dumps({"properties": {
            "other": {"type": "knn_vector", "dimension": 8, "model": "nope", "source_field": "img"}}}))
        check(status == 400 and b"nope" in data, "bad put-mapping: %d %s" % (status, data[:200]))
        qb64 = base64.b64encode(qbytes).decode()
        status, res = server.json("PUT", "/pipe/_doc/p1?refresh=true",
                                  {"image": {"path": query}, "category": "birds"})
        check(status == 201, "doc with image path: %d %s" % (status, res))
        status, doc = server.json("GET", "/pipe/_doc/p1")
        check(len(doc["_source"].get("embedding", [])) == default["dims"], "vector not filled in")
        status, res = server.json("PUT", "/pipe/_doc/b1?refresh=true",
                                  {"image": {"base64": qb64}, "category": "birds"})
        check(status == 201, "doc with base64 image: %d %s" % (status, res))
        # The page can show both: the image field's file (below the root) and its base64 bytes.
        for doc_id in ("p1", "b1"):
            status, img = server.request("GET", "/pipe/_image/" + doc_id)
            check(status == 200 and img == qbytes, "_image of %s: %d" % (doc_id, status))
            status, thumb = server.request("GET", "/pipe/_image/%s?size=32" % doc_id)
            check(status == 200 and thumb[:3] == b"\xff\xd8\xff", "thumb of %s: %d" % (doc_id, status))
        for doc_id, bad_doc, kind, want in [
                ("evil", {"image": {"path": "/etc/passwd"}}, b"resource_not_found_exception", 404),
                ("b64", {"image": {"base64": "!!"}}, b"mapper_parsing_exception", 400),
                ("txt", {"image": {"base64": base64.b64encode(b"text").decode()}},
                 b"mapper_parsing_exception", 400),
                ("shape", {"image": "/x.png"}, b"mapper_parsing_exception", 400)]:
            status, data = server.request("PUT", "/pipe/_doc/" + doc_id, json.dumps(bad_doc))
            check(status == want and kind in data, "%s: %d %s" % (doc_id, status, data[:200]))
        lines = [{"index": {"_index": "pipe", "_id": "k1"}}, {"image": {"path": query}},
                 {"index": {"_index": "pipe", "_id": "k2"}}, {"image": {"base64": "bm90IGFuIGltYWdl"}},
                 {"create": {"_index": "pipe", "_id": "k3"}}, {"image": {"base64": qb64}},
                 {"delete": {"_index": "pipe", "_id": "nope"}}]
        ndjson = "".join(json.dumps(x) + "\n" for x in lines)
        status, data = server.request("POST", "/_bulk?refresh=true", ndjson,
                                      headers={"Content-Type": "application/x-ndjson"})
        res = json.loads(data)
        check(status == 200 and res["errors"] is True, "bulk: %d %s" % (status, data[:300]))
        got = [(list(i)[0], list(i.values())[0]["_id"], list(i.values())[0]["status"])
               for i in res["items"]]
        check(got == [("index", "k1", 201), ("index", "k2", 400), ("create", "k3", 201),
                      ("delete", "nope", 404)], "bulk items: %s" % got)
        vec = doc["_source"]["embedding"]
        status, res = server.json("POST", "/pipe/_search", {"size": 10, "_source": False, "query": {
            "knn": {"embedding": {"vector": vec, "k": 10}}}})
        ids = [h["_id"] for h in res["hits"]["hits"]]
        check(status == 200 and sorted(ids) == ["b1", "k1", "k3", "p1"], "pipe search: %s" % ids)
        check(min(h["_score"] for h in res["hits"]["hits"]) > 0.999, "same image, different vector")

        # Updates that bring a new image get the new image's vector: _update with base64, a
        # bulk update with a path; a bad image in an update is refused and changes nothing.
        other = open(added, "rb").read()
        status, res = server.json("POST", "/pipe/_update/p1?refresh=true", {"doc": {
            "image": {"base64": base64.b64encode(other).decode()}}})
        check(status == 200, "_update with an image: %d %s" % (status, res))
        ndjson = (json.dumps({"update": {"_index": "pipe", "_id": "b1"}}) + "\n" +
                  json.dumps({"doc": {"image": {"path": added}}}) + "\n")
        status, data = server.request("POST", "/_bulk?refresh=true", ndjson,
                                      headers={"Content-Type": "application/x-ndjson"})
        check(status == 200 and json.loads(data)["errors"] is False, "bulk update: %s" % data[:300])
        p1 = server.json("GET", "/pipe/_doc/p1")[1]["_source"]
        b1 = server.json("GET", "/pipe/_doc/b1")[1]["_source"]
        check(p1["category"] == "birds", "partial update lost a field: %s" % list(p1))
        check(max(abs(a - b) for a, b in zip(p1["embedding"], b1["embedding"])) < 1e-5,
              "same new image, different vectors")
        check(max(abs(a - b) for a, b in zip(p1["embedding"], vec)) > 1e-3,
              "the update kept the old image's vector")
        status, data = server.request("POST", "/pipe/_update/p1", json.dumps(
            {"doc": {"image": {"base64": "!!"}, "category": "broken"}}))
        check(status == 400 and b"mapper_parsing_exception" in data, "bad update: %d" % status)
        check(server.json("GET", "/pipe/_doc/p1")[1]["_source"]["category"] == "birds",
              "a refused update changed the document")

        # Still serving, nothing indexed changed.
        status, body = server.json("GET", "/%s/_count" % INDEX)
        check(status == 200 and body["count"] == n, "count changed: %s" % body)
        status, res = image_search(server, INDEX, [("file", qbytes, "q.png")])
        check(status == 200 and res["hits"]["hits"][0]["_id"] == top_id, "search after abuse")
        rc = server.stop()
        server = None
        check(rc == 0, "server exit code %s" % rc)

        # The server's own limits: an upload over --max-file-mb 1 or --max-megapixels is a 4xx.
        server = Server(binary, data_dir=os.path.join(work, "data"),
                        extra_args=["--models", models, "--max-megapixels", "0.01",
                                    "--max-file-mb", "1"]).start()
        status, res = image_search(server, INDEX, [("file", qbytes, "q.png")])
        check(status == 413 and "10000" in json.dumps(res), "--max-megapixels: %d %s"
              % (status, res))
        status, res = image_search(server, INDEX, [("file", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 << 20),
                                                    "big.png")])
        check(status == 413 and "1048576" in json.dumps(res), "--max-file-mb: %d %s" % (status, res))
        rc = server.stop()
        server = None
        check(rc == 0, "server exit code %s" % rc)
    finally:
        if server is not None:
            print(server.log())
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    binary = find_binary(sys.argv)
    try:
        test(binary)
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)
    print("OK")
