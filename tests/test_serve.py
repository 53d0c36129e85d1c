#!/usr/bin/env python3
"""API tests of `preflight serve` (Python standard library only).

Each server is started by the test with --listen 127.0.0.1:0 (any free
port); the port is read from the line it prints on stderr ("serving on
port N"). PF_BIN names the program (default build/preflight); PF_TESTDATA
the testdata folder (default testdata). Run: python3 tests/test_serve.py
"""
import base64
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("PF_BIN", "build/preflight")
DATA = os.environ.get("PF_TESTDATA", "testdata")
SAMPLES = os.path.join(DATA, "samples")


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


class Server:
    """A `preflight serve` on a free loopback port."""

    def __init__(self, *args):
        env = dict(os.environ)
        # Sanitizer builds: fontconfig's own leak (PDF rendering) is not ours.
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
        env["LSAN_OPTIONS"] = ("suppressions=%s:" % supp) + env.get("LSAN_OPTIONS", "")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0",
                                      "--lang", "en", *args], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line = self.proc.stderr.readline().decode()
        m = re.search(r"port (\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError("no port in %r" % line)
        self.port = int(m.group(1))
        self.err = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.err.append(line.decode(errors="replace"))

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=30)
        time.sleep(0.05)  # the drain thread takes the last lines
        self.proc.stderr.close()
        return status


def multipart(field, filename, data, *more):
    """A multipart/form-data body of one part, or more: (field, filename, data)..."""
    boundary = "pfboundary7d93"
    body = b""
    for f, n, d in ((field, filename, data),) + more:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % (boundary, f, n)).encode()
        body += d + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def quote(s):
    from urllib.parse import quote as q
    return q(s, safe="")


class ServeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("-j", "2")

    @classmethod
    def tearDownClass(cls):
        if cls.srv.stop() != 0:
            raise AssertionError("serve did not exit 0 on SIGTERM:\n" + "".join(cls.srv.err))

    def json_post(self, path, body, headers=None):
        st, h, b = self.srv.request("POST", path, body, headers)
        self.assertEqual(st, 200, b[:300])
        self.assertEqual(h["content-type"], "application/json")
        return json.loads(b)

    def test_healthz(self):
        st, h, b = self.srv.request("GET", "/healthz")
        self.assertEqual((st, b.strip()), (200, b"ok"))

    def test_page(self):
        st, h, b = self.srv.request("GET", "/")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn("default-src 'none'", h["content-security-policy"])
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertIn(b"<html", b)

    def test_profiles_is_profiles_json(self):
        st, h, b = self.srv.request("GET", "/v1/profiles")
        cli = subprocess.run([BIN, "profiles", "--json", "--lang", "en"],
                             capture_output=True, check=True).stdout
        self.assertEqual((st, b), (200, cli))

    def test_check_raw_is_check_json(self):
        path = os.path.join(SAMPLES, "ready.jpg")
        doc = self.srv.request("POST", "/v1/check?name=" + quote(path), sample("ready.jpg"))[2]
        cli = subprocess.run([BIN, "check", "--json", "--lang", "en", path],
                             capture_output=True).stdout
        self.assertEqual(doc, cli)

    def test_check_multipart_chinese_name(self):
        body, hdr = multipart("file", "身份证.jpg", sample("ready.jpg"))
        d = self.json_post("/v1/check", body, hdr)
        self.assertEqual(d["command"], "check")
        self.assertEqual(d["files"][0]["path"], "身份证.jpg")
        self.assertEqual(d["files"][0]["status"], "pass")
        self.assertNotIn("image", d["files"][0])

    def test_multipart_first_file_only(self):
        body, hdr = multipart("file", "first.jpg", sample("ready.jpg"),
                              ("file", "second.jpg", b"not an image" * 1000))
        d = self.json_post("/v1/check", body, hdr)
        self.assertEqual(d["files"][0]["path"], "first.jpg")
        self.assertEqual(d["files"][0]["status"], "pass")

    def check_fixed(self, d, name, budget):
        f = d["files"][0]
        self.assertEqual(f["status"], "fixed")
        self.assertEqual(f["path"], name)
        img = f["image"]
        self.assertEqual(img["content_type"], "image/jpeg")
        self.assertEqual(img["filename"], os.path.splitext(name)[0] + ".jpg")
        self.assertEqual(f["output"], img["filename"])
        data = base64.b64decode(img["base64"], validate=True)
        self.assertEqual(data[:3], b"\xff\xd8\xff")
        self.assertLessEqual(len(data), budget)
        self.assertEqual(len(data), f["bytes"])

    def test_fix_raw_chinese_name(self):
        d = self.json_post("/v1/fix?name=" + quote("身份证.jpg"), sample("id-front-phone.jpg"))
        self.check_fixed(d, "身份证.jpg", d["rules"]["max_bytes"])

    def test_fix_multipart_profile(self):
        body, hdr = multipart("file", "扫描件.png", sample("licence-scan.png"))
        d = self.json_post("/v1/fix?profile=aliyun", body, hdr)
        self.assertEqual(d["profile"], "aliyun")
        self.check_fixed(d, "扫描件.png", d["rules"]["max_bytes"])

    def test_fix_pdf(self):
        d = self.json_post("/v1/fix?name=letter.pdf", sample("letter.pdf"))
        self.check_fixed(d, "letter.pdf", d["rules"]["max_bytes"])

    def test_broken_upload_is_an_error_report(self):
        broken = sample("ready.jpg")[:2000]
        for path in ("/v1/check", "/v1/fix"):
            d = self.json_post(path + "?name=cut.jpg", broken)
            f = d["files"][0]
            self.assertEqual(f["status"], "error")
            self.assertTrue(f["error"])
            if path == "/v1/fix":
                self.assertIsNone(f["image"])
        d = self.json_post("/v1/check", b"")
        self.assertEqual(d["files"][0]["status"], "error")
        d = self.json_post("/v1/fix", os.urandom(5000))
        self.assertEqual(d["files"][0]["status"], "error")

    def test_errors(self):
        st, h, b = self.srv.request("GET", "/nothing")
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(b)["status"], 404)
        st, h, b = self.srv.request("GET", "/v1/fix")
        self.assertEqual((st, h["allow"]), (405, "POST"))
        st, h, b = self.srv.request("POST", "/healthz", b"x")
        self.assertEqual(st, 405)
        self.assertIn("GET", h["allow"])
        st, h, b = self.srv.request("POST", "/v1/check?profile=nosuch", b"x")
        self.assertEqual(st, 400)
        self.assertIn("profile", json.loads(b)["error"])
        body, hdr = multipart("other", "a.jpg", b"x")
        st, h, b = self.srv.request("POST", "/v1/check", body, hdr)
        self.assertEqual(st, 400)


class ServeLimits(unittest.TestCase):
    def test_413(self):
        srv = Server("--max-upload", "100KB")
        try:
            big = sample("id-front-phone.jpg")  # 308 KB
            st, h, b = srv.request("POST", "/v1/check", big)
            self.assertEqual(st, 413)
            self.assertEqual(json.loads(b)["status"], 413)

            def chunks():
                for i in range(0, len(big), 8192):
                    yield big[i:i + 8192]
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            c.request("POST", "/v1/fix", body=chunks(), encode_chunked=True,
                      headers={"Transfer-Encoding": "chunked"})
            r = c.getresponse()
            self.assertEqual(r.status, 413)
            r.read()
            c.close()
            st, h, b = srv.request("POST", "/v1/check", sample("ready.jpg"))  # 43 KB
            self.assertEqual(st, 200)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_non_loopback_needs_token(self):
        r = subprocess.run([BIN, "serve", "--listen", "0.0.0.0:0", "--lang", "en"],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--token", r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".token") as t:
            t.write("  \n")
            t.flush()
            r = subprocess.run([BIN, "serve", "--token", t.name], capture_output=True,
                               timeout=10)
            self.assertEqual(r.returncode, 2)

    def test_401(self):
        with tempfile.NamedTemporaryFile("w", suffix=".token") as t:
            t.write(" s3cret-Token \nsecond line\n")
            t.flush()
            srv = Server("--token", t.name)
        try:
            for path in ("/", "/healthz", "/v1/profiles"):
                st, h, b = srv.request("GET", path)
                self.assertEqual(st, 401, path)
                self.assertEqual(h["www-authenticate"], "Bearer")
                self.assertEqual(json.loads(b)["status"], 401)
            for bad in ("Bearer s3cret-Toke", "Bearer s3cret-Token2", "Basic s3cret-Token"):
                st, h, b = srv.request("POST", "/v1/check", b"x", {"Authorization": bad})
                self.assertEqual(st, 401, bad)
            ok = {"Authorization": "Bearer s3cret-Token"}
            self.assertEqual(srv.request("GET", "/", headers=ok)[0], 200)
            st, h, b = srv.request("POST", "/v1/check", sample("ready.jpg"), ok)
            self.assertEqual(st, 200)
        finally:
            self.assertEqual(srv.stop(), 0)


def parallel(srv, n, path, body):
    results = [None] * n

    def one(i):
        try:
            results[i] = srv.request("POST", path, body)
        except Exception as e:  # recorded, checked by the caller
            results[i] = (None, {}, repr(e).encode())
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


class ServeLoad(unittest.TestCase):
    def test_503_when_queue_full(self):
        srv = Server("-j", "1", "--queue", "1")
        try:
            threads, results = parallel(srv, 8, "/v1/fix", sample("id-front-phone.jpg"))
            for t in threads:
                t.join(60)
            codes = [r[0] for r in results]
            self.assertIn(503, codes, codes)
            self.assertIn(200, codes, codes)
            self.assertEqual(set(codes), {200, 503}, codes)
            for st, h, b in results:
                if st == 503:
                    self.assertEqual(h["retry-after"], "1")
                    self.assertEqual(json.loads(b)["status"], 503)
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_sigterm_finishes_requests_in_flight(self):
        srv = Server("-j", "1", "--queue", "4")
        threads, results = parallel(srv, 3, "/v1/fix", sample("id-front-phone.jpg"))
        time.sleep(0.3)  # all three sent; one working, two queued
        srv.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(60)
        self.assertEqual(srv.stop(), 0)
        for st, h, b in results:
            self.assertEqual(st, 200, b[:200])
            self.assertEqual(json.loads(b)["files"][0]["status"], "fixed")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
