"""What operators' machines read: /health for load balancers, /metrics for
Prometheus (answered only to [metrics] allow), and the JSON log format
(docs/monitoring.md)."""

import json
import re
import time

import pytest
import requests
import websocket

from conftest import ChorusServer, chorus_bin

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# ---- a small parser of Prometheus' text format 0.0.4 -----------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)(?: (-?\d+))?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, f"malformed labels at {text[pos:]!r}"
        name, raw = m.group(1), m.group(2)
        assert name not in labels, f"label {name} twice"
        labels[name] = re.sub(r"\\[\\\"n]", lambda e: UNESCAPE[e.group(0)], raw)
        pos = m.end()
    return labels


def parse_value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    assert re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text), f"bad value {text!r}"
    return float(text)


def parse_exposition(body):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}; fails
    on anything the format does not allow."""
    families, current = {}, None
    assert body.endswith("\n"), "the last line must end with a newline"
    for line in body.split("\n")[:-1]:
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            assert re.fullmatch(NAME, name), line
            fam = families.setdefault(name, {"samples": []})
            if kind == "TYPE":
                assert "type" not in fam, f"second TYPE for {name}"
                assert fam["samples"] == [], f"TYPE after samples of {name}"
                assert rest in ("counter", "gauge", "histogram", "summary", "untyped"), line
                fam["type"] = rest
            else:
                fam["help"] = rest
            current = name
            continue
        assert line and not line.startswith("#"), f"unexpected line {line!r}"
        m = SAMPLE.match(line)
        assert m, f"malformed sample {line!r}"
        name, labels, value = m.group(1), parse_labels(m.group(2) or ""), parse_value(m.group(3))
        family = current
        if families.get(current, {}).get("type") == "histogram":
            assert name in (f"{current}_bucket", f"{current}_sum", f"{current}_count"), line
        else:
            assert name == current, f"sample {name} outside its family ({current})"
        families[family]["samples"].append((name, labels, value))
    for name, fam in families.items():
        assert "type" in fam, f"{name} has no TYPE"
        if fam["type"] == "histogram":
            check_histograms(name, fam["samples"])
    return families


def check_histograms(name, samples):
    """Buckets cumulative in le order, +Inf last and equal to _count."""
    series = {}
    for sname, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if sname.endswith("_bucket"):
            s["buckets"].append((float(labels["le"].replace("Inf", "inf")), value))
        elif sname.endswith("_count"):
            s["count"] = value
        else:
            s["sum"] = value
    for key, s in series.items():
        les = [le for le, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        assert les == sorted(les) and les[-1] == float("inf"), (name, key, les)
        assert counts == sorted(counts), f"{name}{key}: buckets not cumulative"
        assert s["count"] == counts[-1], f"{name}{key}: _count is not +Inf's"
        assert s["sum"] is not None and s["sum"] >= 0


def requests_total(families, route, method="GET", status="200"):
    for _, labels, value in families["chorus_http_requests_total"]["samples"]:
        if labels == {"method": method, "route": route, "status": status}:
            return value
    return 0


def scrape(http, url):
    r = http.get(url + "/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return parse_exposition(r.text)


# ---- against the shared server ---------------------------------------------

def test_health_answers_ok_as_json(base_url):
    r = requests.get(base_url + "/health", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"status": "ok"}
    head = requests.head(base_url + "/health", timeout=10)
    assert head.status_code == 200 and head.content == b""


def test_metrics_parse_and_name_every_documented_family(base_url):
    with requests.Session() as http:
        http.get(base_url + "/health", timeout=10)
        # two routes with one pattern: a histogram series each (scrape
        # checks every series' buckets)
        http.get(base_url + "/api/v1/domain_blocks", timeout=10)
        http.post(base_url + "/api/v1/domain_blocks", timeout=10)
        families = scrape(http, base_url)
    for name, kind in [
        ("chorus_http_requests_total", "counter"),
        ("chorus_http_request_duration_seconds", "histogram"),
        ("process_start_time_seconds", "gauge"),
        ("chorus_uptime_seconds", "gauge"),
        ("chorus_database_up", "gauge"),
        ("chorus_database_connections", "gauge"),
        ("chorus_database_busy_waits_total", "counter"),
        ("chorus_jobs", "gauge"),
        ("chorus_jobs_failed_total", "counter"),
        ("chorus_stream_clients", "gauge"),
        ("chorus_cache_hits_total", "counter"),
        ("chorus_cache_misses_total", "counter"),
    ]:
        assert families[name]["type"] == kind, name
        assert families[name]["help"], name
    assert families["chorus_database_up"]["samples"][0][2] == 1
    assert families["chorus_database_connections"]["samples"][0][2] >= 1
    kinds = {l["kind"] for _, l, _ in families["chorus_stream_clients"]["samples"]}
    assert kinds == {"websocket", "sse"}
    # labels are route patterns, never raw paths
    routes = {l["route"] for _, l, _ in families["chorus_http_requests_total"]["samples"]}
    assert "/health" in routes
    assert all(r == "unmatched" or r.startswith("/") for r in routes)


def test_requests_total_counts_each_request_to_a_route_once(base_url, alice):
    route = "/api/v1/accounts/:id"
    account_id = alice.api.me()["id"]
    with requests.Session() as http:
        before = requests_total(scrape(http, base_url), route)
        n = 7
        for _ in range(n):
            r = http.get(f"{base_url}/api/v1/accounts/{account_id}", timeout=10)
            assert r.status_code == 200
        # another route and another status leave this series alone
        assert http.get(f"{base_url}/api/v1/accounts/0", timeout=10).status_code == 404
        deadline = time.monotonic() + 5
        while True:  # a request is counted when its reply has gone out
            families = scrape(http, base_url)
            after = requests_total(families, route)
            if after >= before + n or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert after == before + n
    assert requests_total(families, route, status="404") >= 1
    # the duration histogram counted them too, under the pattern
    counts = [v for name, l, v in families["chorus_http_request_duration_seconds"]["samples"]
              if name.endswith("_count") and l == {"method": "GET", "route": route}]
    assert counts and counts[0] >= after


def test_unknown_paths_share_one_label(base_url):
    with requests.Session() as http:
        for i in range(3):
            http.get(f"{base_url}/no/such/path/{i}", timeout=10)
        time.sleep(0.2)
        families = scrape(http, base_url)
    routes = {l["route"] for _, l, _ in families["chorus_http_requests_total"]["samples"]}
    assert not any("/no/such" in r for r in routes)
    assert requests_total(families, "unmatched", status="404") >= 3


def stream_clients(families):
    return {l["kind"]: v for _, l, v in families["chorus_stream_clients"]["samples"]}


def wait_for_streams(http, base_url, want):
    deadline = time.monotonic() + 5
    while True:
        got = stream_clients(scrape(http, base_url))
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_stream_clients_are_counted_by_kind(base_url):
    with requests.Session() as http:
        before = stream_clients(scrape(http, base_url))
        ws = websocket.create_connection(
            base_url.replace("http://", "ws://") + "/api/v1/streaming?stream=public",
            timeout=5)
        try:
            with requests.get(base_url + "/api/v1/streaming/public", stream=True,
                              timeout=5) as sse:
                assert sse.status_code == 200
                want = {"websocket": before["websocket"] + 1, "sse": before["sse"] + 1}
                assert wait_for_streams(http, base_url, want) == want
            # the SSE client's leaving is seen at the hub's next write
            # to it (a heartbeat); the WebSocket's close frame at once
            ws.close()
            deadline = time.monotonic() + 5
            while stream_clients(scrape(http, base_url))["websocket"] != before["websocket"]:
                assert time.monotonic() < deadline, "closed WebSocket still counted"
                time.sleep(0.05)
        finally:
            ws.close()


# ---- servers of their own --------------------------------------------------

@pytest.fixture
def own_server(tmp_path):
    started = []

    def start(config):
        srv = ChorusServer(chorus_bin(), tmp_path / f"s{len(started)}", config=config)
        srv.start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


def test_metrics_refused_outside_the_allow_list(own_server):
    srv = own_server("[metrics]\nallow = 10.0.0.0/8, ::1/128\n")
    r = requests.get(srv.url + "/metrics", timeout=10)
    assert r.status_code == 403
    assert "error" in r.json()
    assert "chorus_" not in r.text
    h = requests.get(srv.url + "/health", timeout=10)
    assert h.status_code == 200 and h.json() == {"status": "ok"}


def test_bad_allow_list_stops_the_server_saying_why(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text("[metrics]\nallow = 127.0.0.1/32, 10.0.0.0/33\n")
    srv = ChorusServer(chorus_bin(), tmp_path / "s")
    res = srv.cli("serve", "--port", str(srv.port), *srv.backend_args(),
                  "--config", str(ini), check=False, timeout=30)
    assert res.returncode != 0
    assert '"10.0.0.0/33" is not an IPv4 or IPv6 address or network' in res.stderr


def test_json_log_lines_are_all_json(own_server):
    srv = own_server("[log]\nformat = json\n")
    requests.get(srv.url + "/health", timeout=10)
    requests.get(srv.url + "/nothing/here/at-all", timeout=10)
    # a path with a quote, a newline and a byte that is not UTF-8
    requests.get(srv.url + "/x/%22%0a%ff/y", timeout=10)
    # an upgraded request is logged when it is handed to the stream
    ws = websocket.create_connection(
        srv.url.replace("http://", "ws://") + "/api/v1/streaming?stream=public", timeout=5)
    ws.close()
    time.sleep(0.3)
    assert srv.stop() == 0
    lines = srv.log_path.read_bytes().decode("utf-8").splitlines()
    assert len(lines) >= 5
    entries = [json.loads(line) for line in lines]  # every line, or it fails
    for e in entries:
        assert {"time", "level", "message"} <= e.keys()
    access = [e for e in entries if "path" in e]
    by_path = {e["path"]: e for e in access}
    assert by_path["/health"]["status"] == 200
    assert by_path["/health"]["method"] == "GET"
    assert by_path["/health"]["client"] == "127.0.0.1"
    assert isinstance(by_path["/health"]["duration_ms"], (int, float))
    assert by_path["/nothing/here/at-all"]["status"] == 404
    odd = [e for e in access if e["path"].startswith("/x/")]
    assert odd and odd[0]["path"] == '/x/"\n\ufffd/y'
    assert odd[0]["status"] == 400
    upgraded = [e for e in access if e["path"] == "/api/v1/streaming"]
    assert upgraded and upgraded[0]["status"] == 101
    assert upgraded[0]["client"] == "127.0.0.1"
