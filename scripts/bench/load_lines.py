#!/usr/bin/env python3
"""Loads a line-protocol file into an InfluxDB-compatible /write endpoint, the same way for every
server: the file is cut into bodies of --lines lines, held in memory, and sent over --workers
keep-alive connections as fast as the server answers. Prints one JSON object with lines, bytes,
seconds and HTTP failures.

Usage: load_lines.py FILE URL [--lines 10000] [--workers 4]
"""
import argparse
import http.client
import json
import queue
import threading
import time
import urllib.parse


def read_bodies(path: str, lines_per_body: int) -> list:
    bodies, chunk = [], []
    with open(path, "rb") as f:
        for line in f:
            chunk.append(line)
            if len(chunk) == lines_per_body:
                bodies.append(b"".join(chunk))
                chunk = []
    if chunk:
        bodies.append(b"".join(chunk))
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("url")
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    bodies = read_bodies(args.file, args.lines)
    url = urllib.parse.urlsplit(args.url)
    target = url.path + ("?" + url.query if url.query else "")
    work: "queue.Queue[bytes]" = queue.Queue()
    for body in bodies:
        work.put(body)
    failures = []

    def worker() -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            conn.request("POST", target, body=body,
                         headers={"Content-Type": "text/plain; charset=utf-8"})
            response = conn.getresponse()
            payload = response.read()
            if response.status not in (200, 204):
                failures.append(f"{response.status} {payload[:200]!r}")

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    print(json.dumps({
        "bodies": len(bodies),
        "lines": sum(b.count(b"\n") for b in bodies),
        "bytes": sum(len(b) for b in bodies),
        "seconds": seconds,
        "failures": len(failures),
        "first_failure": failures[0] if failures else "",
    }))


if __name__ == "__main__":
    main()
