"""contrib/nginx in front of chorus: the shipped site, run by Debian's nginx.

The site file and its locations are the ones in contrib/nginx; the test
changes only what a deployment changes (ports, certificate, chorus's
address, its data directory), and fails if any of those is no longer in
the file as expected. nginx runs unprivileged from a temporary prefix with
a self-signed certificate made here by openssl.

Clients reach nginx from their own loopback addresses (127.0.0.5…), so
chorus, which trusts only nginx's 127.0.0.1, can tell them apart.

Needs nginx and openssl (scripts/deps.sh test); skipped without nginx.
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket
from mastodon import Mastodon
from requests.adapters import HTTPAdapter

from conftest import REPO, ChorusServer, chorus_bin, free_port

CONTRIB = REPO / "contrib" / "nginx"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")

CLIENT = "127.0.0.5"     # the test's usual client address
SPOOFER = "127.0.0.6"    # talks to chorus directly
PER_ADDRESS = 3          # [server] max_connections_per_address here
DEADLINE = 1.0           # an event must arrive this fast through nginx


def substitute(text, old, new, count):
    """text with old replaced by new, which must occur exactly count
    times: a changed shipped file fails here, not silently later."""
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times, expected {count}"
    return text.replace(old, new)


class SourceAdapter(HTTPAdapter):
    """requests from a chosen local address"""

    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*a, **kw)


class Proxied:
    """chorus behind the shipped nginx site."""

    def __init__(self, root):
        self.root = Path(root)
        self.chorus = ChorusServer(chorus_bin(), self.root / "chorus")
        self.https_port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.chorus.config = (
            "[server]\n"
            f"base_url = {self.url}\n"
            "trusted_proxies = 127.0.0.1\n"
            f"max_connections_per_address = {PER_ADDRESS}\n"
            # a closed stream is noticed at its next write: soon
            "[streaming]\nheartbeat_seconds = 1\n")
        self.nginx_dir = self.root / "nginx"
        self.cert = self.nginx_dir / "cert.pem"
        self.proc = None

    def make_cert(self):
        self.nginx_dir.mkdir(parents=True)
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(self.nginx_dir / "key.pem"), "-out", str(self.cert)],
            check=True, capture_output=True, timeout=60)

    def write_config(self):
        d = self.nginx_dir
        locations = (CONTRIB / "chorus-locations.conf").read_text()
        locations = substitute(locations, "root /var/lib/chorus;",
                               f"root {self.chorus.data};", 1)
        (d / "chorus-locations.conf").write_text(locations)
        site = (CONTRIB / "chorus.conf").read_text()
        site = substitute(site, "server 127.0.0.1:3000;",
                          f"server 127.0.0.1:{self.chorus.port};", 1)
        site = substitute(site, "listen 80;", f"listen 127.0.0.1:{self.http_port};", 1)
        site = substitute(site, "listen [::]:80;", "", 1)
        site = substitute(site, "listen 443 ssl http2;",
                          f"listen 127.0.0.1:{self.https_port} ssl http2;", 1)
        site = substitute(site, "listen [::]:443 ssl http2;", "", 1)
        site = substitute(site, "/etc/letsencrypt/live/social.example/fullchain.pem",
                          str(self.cert), 1)
        site = substitute(site, "/etc/letsencrypt/live/social.example/privkey.pem",
                          str(d / "key.pem"), 1)
        site = substitute(site, "include /etc/nginx/snippets/chorus-locations.conf;",
                          f"include {d / 'chorus-locations.conf'};", 1)
        (d / "chorus.conf").write_text(site)
        # the main context a distribution's nginx.conf provides
        user = "user root;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(f"""{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
	default_type application/octet-stream;
	log_format full '$remote_addr "$request" $status';
	access_log {d}/access.log full;
	client_body_temp_path {d}/tmp/body;
	proxy_temp_path {d}/tmp/proxy;
	fastcgi_temp_path {d}/tmp/fastcgi;
	uwsgi_temp_path {d}/tmp/uwsgi;
	scgi_temp_path {d}/tmp/scgi;
	# chorus's X-Accel-Buffering: no would keep SSE unbuffered whatever
	# the site says: without it, only the site's proxy_buffering off does
	proxy_ignore_headers X-Accel-Buffering;
	include {d}/chorus.conf;
}}
""")
        (d / "tmp").mkdir()

    def start(self):
        self.chorus.create_user("nia", "nia@example.com", "nia-password-1")
        self.chorus.create_user("otto", "otto@example.com", "otto-password-1")
        self.chorus.start()
        self.make_cert()
        self.write_config()
        d = self.nginx_dir
        test = subprocess.run([NGINX, "-t", "-p", str(d), "-c", str(d / "nginx.conf"),
                               "-e", str(d / "error.log")], capture_output=True, text=True)
        assert test.returncode == 0, test.stderr
        self.proc = subprocess.Popen([NGINX, "-p", str(d), "-c", str(d / "nginx.conf"),
                                      "-e", str(d / "error.log")],
                                     stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                if self.session().get(self.url + "/api/v1/instance", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            assert self.proc.poll() is None, (d / "error.log").read_text()
            time.sleep(0.1)
        pytest.fail("nginx did not answer:\n" + (d / "error.log").read_text())

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        return self.chorus.stop()

    def session(self, source=CLIENT):
        s = requests.Session()
        # REQUESTS_CA_BUNDLE in the environment would override verify
        s.trust_env = False
        s.verify = str(self.cert)
        s.mount("https://", SourceAdapter(source))
        s.mount("http://", SourceAdapter(source))
        return s

    def api(self, who, source=CLIENT):
        app = Mastodon.create_app("contrib", api_base_url=self.url, scopes=["read", "write"],
                                  session=self.session(source))
        m = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=self.url,
                     session=self.session(source), request_timeout=30)
        m.log_in(f"{who}@example.com", f"{who}-password-1", scopes=["read", "write"])
        return m

    def tls_socket(self, source=CLIENT):
        ctx = ssl.create_default_context(cafile=str(self.cert))
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=5,
                                       source_address=(source, 0))
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def chorus_log_since(self, start):
        time.sleep(0.3)  # the access log line follows the reply
        return self.chorus.log_tail(start, limit=10**6)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not NGINX or not OPENSSL:
        pytest.skip("nginx or openssl not installed (scripts/deps.sh test)")
    p = Proxied(tmp_path_factory.mktemp("contrib-nginx"))
    p.start()
    p.nia = p.api("nia")
    p.otto = p.api("otto")
    yield p
    assert p.stop() == 0


def sse_open(site, token, source=CLIENT, path="/api/v1/streaming/public"):
    return site.session(source).get(site.url + path, stream=True, timeout=(5, 3),
                                    headers={"Authorization": "Bearer " + token})


def test_plain_http_is_redirected_to_https(site):
    r = requests.get(f"http://127.0.0.1:{site.http_port}/@nia?x=1", allow_redirects=False,
                     timeout=5)
    assert r.status_code == 301
    assert r.headers["Location"] == "https://127.0.0.1/@nia?x=1"


def test_mastodon_py_signs_in_and_posts_through_nginx(site):
    me = site.nia.account_verify_credentials()
    assert me["username"] == "nia"
    st = site.nia.status_post("through the proxy")
    assert st["url"].startswith(site.url + "/@nia/")
    assert site.otto.status(st["id"])["content"] == "<p>through the proxy</p>"


def test_a_websocket_stream_hears_a_post_through_nginx(site):
    ws = websocket.create_connection(
        site.url.replace("https://", "wss://") + "/api/v1/streaming?stream=public&access_token="
        + site.otto.access_token, socket=site.tls_socket(), timeout=5)
    try:
        time.sleep(0.2)
        st = site.nia.status_post("heard over the socket")
        end = time.monotonic() + DEADLINE
        heard = None
        while time.monotonic() < end and heard is None:
            ws.settimeout(max(0.01, end - time.monotonic()))
            try:
                ev = json.loads(ws.recv() or "{}")
            except websocket.WebSocketTimeoutException:
                break
            if ev.get("event") == "update" and json.loads(ev["payload"])["id"] == str(st["id"]):
                heard = ev
        assert heard is not None, "no update within a second"
    finally:
        ws.close()


def test_server_sent_events_are_not_buffered(site):
    sse = sse_open(site, site.otto.access_token)
    try:
        assert sse.status_code == 200
        assert sse.headers["Content-Type"].startswith("text/event-stream")
        time.sleep(0.2)
        t0 = time.monotonic()
        st = site.nia.status_post("an event, at once")
        seen = ""
        for line in sse.iter_lines(chunk_size=1, decode_unicode=True):
            seen += (line or "") + "\n"
            if str(st["id"]) in seen:
                break
        assert str(st["id"]) in seen
        assert time.monotonic() - t0 < DEADLINE + 0.5
    finally:
        sse.close()


def png_file(tmp_path):
    from PIL import Image
    path = tmp_path / "dot.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    return path


def test_media_is_served_by_nginx_from_disk(site, tmp_path):
    m = site.nia.media_post(str(png_file(tmp_path)), synchronous=True)
    url = m["url"]
    assert url.startswith(site.url + "/media/"), url
    name = url.rsplit("/", 1)[1]
    on_disk = (site.chorus.data / "media" / name).read_bytes()
    start = site.chorus.log_size()
    r = site.session().get(url, timeout=10)
    assert r.status_code == 200 and r.content == on_disk
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # nginx's ETag (mtime-size), not chorus's (the name); chorus never saw it
    assert r.headers["ETag"] != f'"{name}"'
    assert f"/media/{name}" not in site.chorus_log_since(start)
    # chorus, asked itself, answers with its own tag and logs it: the two
    # checks above can tell the servers apart
    start = site.chorus.log_size()
    direct = requests.get(f"{site.chorus.url}/media/{name}", timeout=10)
    assert direct.headers["ETag"] == f'"{name}"' and direct.content == on_disk
    assert f"/media/{name}" in site.chorus_log_since(start)
    # only the names chorus makes come from disk: the rest is chorus's
    for path in ("/media/src", "/media/tmp/", "/media/../chorus.db", "/chorus.db"):
        assert site.session().get(site.url + path, timeout=10).status_code == 404, path


def test_chorus_logs_the_client_behind_the_proxy(site):
    start = site.chorus.log_size()
    site.session().get(site.url + "/api/v1/instance?who=proxied", timeout=10)
    # a header the client sends itself is kept left of its real address,
    # which is what counts
    site.session().get(site.url + "/api/v1/instance?who=forged", timeout=10,
                       headers={"X-Forwarded-For": "198.51.100.7"})
    log = site.chorus_log_since(start)
    assert re.search(rf" {re.escape(CLIENT)} GET /api/v1/instance 200", log), log
    assert "127.0.0.1 GET /api/v1/instance" not in log
    assert "198.51.100.7" not in log


def test_a_spoofed_header_sent_straight_to_chorus_is_ignored(site):
    start = site.chorus.log_size()
    r = site.session(SPOOFER).get(site.chorus.url + "/api/v1/instance", timeout=10,
                                  headers={"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 200
    log = site.chorus_log_since(start)
    assert f" {SPOOFER} GET /api/v1/instance 200" in log, log
    assert "198.51.100.7" not in log


def test_metrics_are_closed_through_the_proxy(site):
    """the site refuses /metrics; chorus would too: [metrics] allow
    (127.0.0.1 by default) is checked against the client a trusted proxy
    names, not the proxy, whose address would open it to anyone"""
    r = site.session().get(site.url + "/metrics", timeout=10)
    assert r.status_code == 403 and "nginx" in r.text
    assert requests.get(site.chorus.url + "/metrics", timeout=10).status_code == 200
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    # from the trusted address, as nginx would send it
    r = requests.get(site.chorus.url + "/metrics", headers=forwarded, timeout=10)
    assert r.status_code == 403 and r.json()["error"]
    # from anyone else the header means nothing: the peer is checked
    r = site.session(SPOOFER).get(site.chorus.url + "/metrics", timeout=10,
                                  headers={"X-Forwarded-For": "127.0.0.1"})
    assert r.status_code == 403


def test_the_address_limit_applies_to_clients_not_to_the_proxy(site):
    token = site.otto.access_token
    held = []
    try:
        # two clients fill their own caps: more than PER_ADDRESS
        # connections from the proxy to chorus, all served
        for source in ("127.0.0.8", "127.0.0.9"):
            for _ in range(PER_ADDRESS):
                s = sse_open(site, token, source)
                assert s.status_code == 200
                held.append(s)
        # one more from either is refused, by chorus, through nginx
        over = sse_open(site, token, "127.0.0.8")
        assert over.status_code == 429
        assert over.json()["error"] == "Too many connections from this address"
        # a third client is untouched
        other = site.session("127.0.0.10").get(site.url + "/api/v1/instance", timeout=10)
        assert other.status_code == 200
        # a stream closed gives its slot back
        held.pop(0).close()
        end = time.monotonic() + 5
        while True:
            s = sse_open(site, token, "127.0.0.8")
            if s.status_code == 200:
                held.append(s)
                break
            assert time.monotonic() < end, "the slot was never released"
            time.sleep(0.2)
    finally:
        for s in held:
            s.close()


def test_a_bad_trusted_proxies_entry_stops_chorus_with_a_clear_error(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path,
                       config="[server]\ntrusted_proxies = 127.0.0.1, 10.0.0.0/33, ::1\n")
    ini = tmp_path / "chorus.ini"
    ini.write_text(srv.config)
    res = subprocess.run([chorus_bin(), "serve", "--port", str(srv.port), "--data",
                          str(srv.data), "--config", str(ini)],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.returncode != 0
    out = res.stderr + res.stdout
    assert "[server] trusted_proxies" in out, out
    assert '"10.0.0.0/33" is not an IPv4 or IPv6 address or network' in out, out


def test_a_websocket_holds_its_clients_slot_until_it_closes(site):
    def ws_open():
        return websocket.create_connection(
            site.url.replace("https://", "wss://") + "/api/v1/streaming?stream=public"
            "&access_token=" + site.otto.access_token,
            socket=site.tls_socket("127.0.0.11"), timeout=5)

    held = [ws_open() for _ in range(PER_ADDRESS)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            ws_open()
        assert e.value.status_code == 429
        held.pop().close()
        end = time.monotonic() + 5
        while True:
            try:
                held.append(ws_open())
                break
            except websocket.WebSocketBadStatusException:
                assert time.monotonic() < end, "the slot was never released"
                time.sleep(0.2)
    finally:
        for ws in held:
            ws.close()
