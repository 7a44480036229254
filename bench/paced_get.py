#!/usr/bin/env python3
"""bench/paced_get.py — latency of one URL requested at a steady pace.

Usage: bench/paced_get.py URL SECONDS [RATE]

GETs URL RATE times a second (default 50) over one keep-alive connection
for SECONDS and prints "paced: key=value" lines: n, errors, p50, p99 and
max in ms. Unlike wrk, it does not saturate a core, so what it measures
is the server's answer time, not the contest between the load generator
and the server for the CPU. A request slower than the pace delays the
next one (no coordinated-omission correction: the numbers are a floor)."""

import http.client
import statistics
import sys
import time
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    seconds = float(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 50.0
    path = url.path + ("?" + url.query if url.query else "")
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    lat, errors = [], 0
    start = time.monotonic()
    next_at = start
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += 1.0 / rate
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        lat.append((time.perf_counter() - t0) * 1000)
        errors += not ok
    lat.sort()
    print(f"paced: n={len(lat)}")
    print(f"paced: errors={errors}")
    print(f"paced: p50={statistics.median(lat):.2f}")
    print(f"paced: p99={lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.2f}")
    print(f"paced: max={lat[-1]:.2f}")


if __name__ == "__main__":
    main()
