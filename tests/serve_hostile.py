#!/usr/bin/env python3
"""make test-hostile, the server's part: every file of CORPUS/broken and
CORPUS/codec posted to /v1/check and /v1/fix of PF_BIN serve (the ASan +
UBSan build): each answer must be 200 JSON with one file entry; a client
trickling a body byte by byte must be cut off by the connection timeout
while other requests are answered; the server must still answer /healthz
at the end and exit 0 on SIGTERM. Usage: serve_hostile.py CORPUS"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_serve import Server  # noqa: E402

TIMEOUT = 3  # the server's --timeout, seconds


def trickle(port, out):
    """Headers, then one body byte a second: the server must close first."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT * 4)
    s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    start = time.monotonic()
    try:
        for _ in range(TIMEOUT * 5):
            s.sendall(b"\xff")
            time.sleep(1)
        out.append(("not closed", time.monotonic() - start))
    except OSError:
        out.append(("closed", time.monotonic() - start))
    finally:
        s.close()


def main():
    corpus = sys.argv[1]
    files = []
    for sub in ("broken", "codec"):
        for root, _, names in os.walk(os.path.join(corpus, sub)):
            files += [os.path.join(root, n) for n in sorted(names)]
    srv = Server("-j", "2", "--timeout", str(TIMEOUT))
    bad = 0
    slow = []
    t = threading.Thread(target=trickle, args=(srv.port, slow))
    t.start()
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for api in ("/v1/check", "/v1/fix"):
            st, h, body = srv.request("POST", api + "?name=x", data, timeout=120)
            try:
                ok = st == 200 and len(json.loads(body)["files"]) == 1
            except ValueError:
                ok = False
            if not ok:
                bad += 1
                print("serve-hostile FAIL %s %s: %s %r" % (api, path, st, body[:200]))
    t.join()
    if not slow or slow[0][0] != "closed" or slow[0][1] > TIMEOUT + 5:
        bad += 1
        print("serve-hostile FAIL the trickling client was not cut off: %r" % slow)
    if srv.request("GET", "/healthz")[0] != 200:
        bad += 1
        print("serve-hostile FAIL /healthz after the corpus")
    if srv.stop() != 0:
        bad += 1
        print("serve-hostile FAIL exit status on SIGTERM")
    sys.stderr.write("".join(srv.err))
    print("serve-hostile: %d files, each to check and fix; %d failures" % (len(files), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
