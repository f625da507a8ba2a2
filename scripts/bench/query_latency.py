#!/usr/bin/env python3
"""Measures median latency of the fleet dashboard queries against a Prometheus-compatible API.

Runs each query --runs times (after one warm-up) and prints one JSON object mapping query name to
{median_ms, p90_ms, points}; `points` (samples or values returned) lets runs against different
servers be checked for doing the same work.

With --nocache every query carries nocache=1, which turns off the result cache for that request
in both Tidemark and VictoriaMetrics, so their engines and read paths are compared.

Usage: query_latency.py BASE_URL END_UNIX_SECONDS [--runs 15] [--nocache]
"""
import argparse
import json
import statistics
import time
import urllib.parse
import urllib.request


def queries(end: int) -> dict:
    day, six_hours = 86400, 6 * 3600
    return {
        "raw_one_series_24h": ("/api/v1/query_range", {
            "query": 'iot_temperature{device="dev-0042"}',
            "start": end - day, "end": end, "step": "10s"}),
        "avg_over_time_1h_steps": ("/api/v1/query_range", {
            "query": 'avg_over_time(iot_temperature{device="dev-0042"}[1h])',
            "start": end - day, "end": end, "step": "1h"}),
        "avg_by_site_one_site_6h": ("/api/v1/query_range", {
            "query": 'avg by (site) (iot_temperature{site="site-03"})',
            "start": end - six_hours, "end": end, "step": "5m"}),
        "avg_by_site_all_6h": ("/api/v1/query_range", {
            "query": "avg by (site) (iot_temperature)",
            "start": end - six_hours, "end": end, "step": "5m"}),
        "topk_max_over_time_1h": ("/api/v1/query", {
            "query": "topk(5, max_over_time(iot_temperature[1h]))", "time": end}),
        "label_values_device": ("/api/v1/label/device/values", {}),
    }


def count_points(body: dict) -> int:
    data = body.get("data")
    if isinstance(data, list):
        return len(data)
    result = data.get("result", [])
    return sum(len(s.get("values", [])) or 1 for s in result)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("end", type=int)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--nocache", action="store_true")
    args = parser.parse_args()
    report = {}
    for name, (path, params) in queries(args.end).items():
        if args.nocache and params:
            params = dict(params, nocache=1)
        url = args.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        latencies, points = [], 0
        for run in range(args.runs + 1):
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as response:
                body = json.loads(response.read())
            elapsed = (time.perf_counter() - start) * 1000
            if body.get("status") != "success":
                raise SystemExit(f"{name}: {body}")
            points = count_points(body)
            if run > 0:
                latencies.append(elapsed)
        latencies.sort()
        report[name] = {"median_ms": statistics.median(latencies),
                        "p90_ms": latencies[int(0.9 * (len(latencies) - 1))], "points": points}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
