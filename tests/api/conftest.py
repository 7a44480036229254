"""Fixtures for the chorus API test suite.

One chorus server runs for the whole session, on a free port, with its own
temporary data directory. Users are created through the CLI
(`chorus user create`), both before the server starts (alice, bob, carol) and
while it runs (`make_user`, for tests that need a clean slate).

Run:  CHORUS_BIN=/work/main/build/chorus /usr/bin/python3 -m pytest -q tests/api
"""

import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from mastodon import Mastodon

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCOPES = ["read", "write", "follow", "push"]
OOB = "urn:ietf:wg:oauth:2.0:oob"
SANITIZED = bool(os.environ.get("CHORUS_SANITIZED"))  # ASan/UBSan build: slower
START_TIMEOUT = 60.0 if SANITIZED else 20.0
STOP_TIMEOUT = 60.0 if SANITIZED else 20.0

_SERVER = None  # the running ChorusServer, for the log-on-failure hook


def chorus_bin():
    return os.environ.get("CHORUS_BIN") or str(REPO / "build" / "chorus")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The backend the servers run on: SQLite under each server's data
# directory, or, with CHORUS_TEST_BACKEND=postgresql, a fresh database per
# server on the throwaway cluster scripts/pg.sh started (its socket
# directory and port in CHORUS_TEST_PG_HOST and CHORUS_TEST_PG_PORT).
BACKEND = os.environ.get("CHORUS_TEST_BACKEND", "sqlite")
PG_HOST = os.environ.get("CHORUS_TEST_PG_HOST", "")
PG_PORT = os.environ.get("CHORUS_TEST_PG_PORT", "5432")
_pg_names = itertools.count()
_pg_databases = {}  # resolved data directory -> the URL of its database
_pg_created = []  # every database this session made, dropped at its end
_servers = []  # every ChorusServer, so none outlives the session


def pg_psql(*args, db="postgres"):
    """Run psql on the test cluster as its superuser; its stdout."""
    res = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", "postgres", "-d", db,
         "-v", "ON_ERROR_STOP=1", "-qAt", *args],
        capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise RuntimeError(f"psql {args}: {res.stderr}")
    return res.stdout


def pg_create_database():
    """A new empty database on the test cluster; its name."""
    name = f"chorus_{os.getpid()}_{next(_pg_names)}"
    pg_psql("-c", f"CREATE DATABASE {name}")
    _pg_created.append(name)
    return name


def pg_url(name, host=None, password=None):
    """The libpq URL of database name: on the cluster's socket, or over
    TCP to host (the loopback port, where a password is asked)."""
    auth = "postgres" + (f":{password}" if password else "")
    if host:
        return f"postgresql://{auth}@{host}:{PG_PORT}/{name}"
    return f"postgresql://{auth}@/{name}?host={PG_HOST}&port={PG_PORT}"


def pg_database_for(data_dir):
    """The database that goes with a data directory, made at first use: a
    server started again on the same directory (a restart) finds its data
    on PostgreSQL as it does on SQLite."""
    key = Path(data_dir).resolve()
    if key not in _pg_databases:
        _pg_databases[key] = pg_url(pg_create_database())
    return _pg_databases[key]


def backend_args(data_dir, database_url=None):
    """The flags that put a chorus command on its data: --data always
    (media live there), and --database on the PostgreSQL run."""
    args = ["--data", str(data_dir)]
    if database_url:
        args += ["--database", database_url]
    return args


class Sql:
    """A server's database through Python's DB-API, whichever the backend:
    statements with ? placeholders as sqlite3 takes them, rows as
    tuples; `refused` is the exception the schema's constraints and
    triggers raise. Used as a context manager it commits (or rolls back)
    and closes."""

    def __init__(self, server, readonly=False):
        self.pg = bool(server.database_url)
        if self.pg:
            import psycopg2
            self.con = psycopg2.connect(server.database_url)
            self.con.set_session(readonly=readonly)
            self.refused = psycopg2.Error
        else:
            import sqlite3
            path = server.data / "chorus.db"
            self.con = (sqlite3.connect(f"file:{path}?mode=ro", uri=True) if readonly
                        else sqlite3.connect(path, timeout=30))
            self.refused = sqlite3.IntegrityError

    def _sql(self, sql):
        return sql.replace("%", "%%").replace("?", "%s") if self.pg else sql

    def execute(self, sql, params=()):
        cur = self.con.cursor()
        cur.execute(self._sql(sql), params)
        return cur

    def executemany(self, sql, rows):
        if self.pg:  # a thousand statements a round trip, not one
            from psycopg2.extras import execute_batch
            execute_batch(self.con.cursor(), self._sql(sql), rows, page_size=1000)
        else:
            self.con.cursor().executemany(sql, rows)

    def commit(self):
        self.con.commit()

    def rollback(self):
        self.con.rollback()

    def close(self):
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind:
            self.rollback()
        else:
            self.commit()
        self.close()


sqlite_only = pytest.mark.skipif(
    BACKEND != "sqlite", reason="tests SQLite's own files or commands")


class ChorusServer:
    def __init__(self, binary, root, config=None, command="serve", database_url=None):
        """config: INI text passed with --config (defaults otherwise);
        command: serve, or demo (seed the demo data, then serve)."""
        self.binary = binary
        self.command = command
        self.root = Path(root)
        self.config = config
        self.data = self.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self._log = None
        self.exit_code = None
        # database_url: another server's database (two processes, one
        # instance); by default the data directory's own; False: SQLite
        # under the data directory whatever the run's backend
        self.database_url = None if database_url is False else database_url or (
            pg_database_for(self.data) if BACKEND == "postgresql" else None)
        _servers.append(self)

    def backend_args(self):
        return backend_args(self.data, self.database_url)

    # ---- CLI ----------------------------------------------------------
    def cli(self, *args, check=True, timeout=60):
        cmd = [self.binary, *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
        if check and res.returncode != 0:
            pytest.fail(
                f"`{' '.join(cmd)}` exited {res.returncode}\n"
                f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}", pytrace=False)
        return res

    def create_user(self, name, email, password, role=None):
        args = ["user", "create", name, "--email", email, "--password", password]
        if role:
            args += ["--role", role]
        args += self.backend_args()
        return self.cli(*args)

    # ---- process ------------------------------------------------------
    def start(self):
        self._log = open(self.log_path, "ab")
        args = [self.binary, self.command, "--port", str(self.port), *self.backend_args()]
        if self.config:
            ini = self.root / "chorus.ini"
            ini.write_text(self.config)
            args += ["--config", str(ini)]
        self.proc = subprocess.Popen(
            args,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"chorus serve exited early with code {self.proc.returncode}\n"
                            f"--- server log ---\n{self.log_tail()}", pytrace=False)
            try:
                r = requests.get(self.url + "/api/v1/instance", timeout=2)
                if r.status_code == 200:
                    return
                last_err = f"HTTP {r.status_code}: {r.text[:200]}"
            except requests.RequestException as e:
                last_err = repr(e)
            time.sleep(0.1)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"chorus serve did not answer GET /api/v1/instance within "
                    f"{START_TIMEOUT:.0f}s (last: {last_err})\n"
                    f"--- server log ---\n{self.log_tail()}", pytrace=False)

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.exit_code = "timeout"
        else:
            self.exit_code = self.proc.returncode
        if self._log:
            self._log.close()
        return self.exit_code

    def log_size(self):
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, start=0, limit=12000):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                data = f.read()
        except OSError:
            return "(no log)"
        text = data.decode("utf-8", "replace")
        if len(text) > limit:
            text = "…\n" + text[-limit:]
        return text


# ---- log on failure -----------------------------------------------------

def pytest_runtest_setup(item):
    if _SERVER is not None:
        item._chorus_log_offset = _SERVER.log_size()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _SERVER is not None:
        start = getattr(item, "_chorus_log_offset", 0)
        rep.sections.append(("chorus server log (during this test)",
                             _SERVER.log_tail(start, limit=6000)))


def pytest_sessionfinish(session):
    # a test that failed before stopping its server must not leave it
    # running past the suite, holding the cluster's connections
    for srv in _servers:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
    # the cluster may be a developer's own, kept between runs: leave it as
    # it was found
    for name in _pg_created:
        try:
            pg_psql("-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except RuntimeError:
            pass


# ---- users --------------------------------------------------------------

@dataclass
class User:
    name: str
    email: str
    password: str
    api: Mastodon = None
    id: int = None          # Mastodon.py turns digit-string ids into ints
    token: str = None
    extra: dict = field(default_factory=dict)

    @property
    def sid(self):
        """The account id as the wire string."""
        return str(self.id)


_counter = itertools.count(1)


def unique_name(prefix):
    """A fresh valid username: [a-z0-9_], at most 30 chars."""
    prefix = "".join(c for c in prefix.lower() if c.isalnum() or c == "_")[:14] or "u"
    return f"{prefix}_{next(_counter)}{secrets.token_hex(3)}"


def make_client(base_url, **kw):
    kw.setdefault("ratelimit_method", "throw")
    kw.setdefault("request_timeout", 30)
    return Mastodon(api_base_url=base_url, **kw)


def login(server, login_name, password, scopes=DEFAULT_SCOPES, app=None):
    """A logged-in Mastodon.py client (password grant)."""
    if app is None:
        app = Mastodon.create_app("chorus-tests", scopes=scopes, api_base_url=server.url,
                                  website="https://example.org/chorus-tests")
    client_id, client_secret = app
    m = make_client(server.url, client_id=client_id, client_secret=client_secret)
    m.log_in(username=login_name, password=password, scopes=scopes)
    return m


def logged_in_user(server, name, email, password, app):
    u = User(name, email, password)
    u.api = login(server, email, password, app=app)
    u.token = u.api.access_token
    me = u.api.account_verify_credentials()
    assert me["username"] == name
    u.id = me["id"]
    return u


BASE_USERS = [
    ("alice", "alice@example.com", "alice-secret-pw", "owner"),
    ("bob", "bob@example.com", "bob-secret-pw1", None),
    ("carol", "carol@example.com", "carol-secret-pw", None),
]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    global _SERVER
    binary = chorus_bin()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail(f"chorus server binary not found or not executable: {binary}\n"
                    f"Build it with `make -C {REPO}` or point CHORUS_BIN at it.",
                    pytrace=False)
    srv = ChorusServer(binary, tmp_path_factory.mktemp("chorus"))
    for name, email, pw, role in BASE_USERS:
        srv.create_user(name, email, pw, role=role)
    srv.start()
    _SERVER = srv
    yield srv
    _SERVER = None
    code = srv.stop()
    assert code == 0, (f"chorus serve did not shut down gracefully on SIGTERM "
                       f"(exit {code!r})\n--- server log ---\n{srv.log_tail()}")


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


@pytest.fixture(scope="session")
def app_keys(server):
    """One OAuth app (read write follow push) shared by password logins."""
    return Mastodon.create_app("chorus-tests", scopes=DEFAULT_SCOPES, api_base_url=server.url,
                               website="https://example.org/chorus-tests")


def _base_user(server, app_keys, name):
    for n, email, pw, _ in BASE_USERS:
        if n == name:
            return logged_in_user(server, n, email, pw, app_keys)
    raise KeyError(name)


@pytest.fixture(scope="session")
def alice(server, app_keys):
    return _base_user(server, app_keys, "alice")


@pytest.fixture(scope="session")
def bob(server, app_keys):
    return _base_user(server, app_keys, "bob")


@pytest.fixture(scope="session")
def carol(server, app_keys):
    return _base_user(server, app_keys, "carol")


@pytest.fixture(scope="session")
def make_user(server, app_keys):
    """Factory: make_user("dana") creates a fresh account through the CLI
    while the server runs and returns it logged in (User with .api)."""
    def make(prefix="user", password=None):
        name = unique_name(prefix)
        email = f"{name}@example.com"
        password = password or f"pw-{secrets.token_hex(6)}"
        server.create_user(name, email, password)
        return logged_in_user(server, name, email, password, app_keys)
    return make


@pytest.fixture(scope="session")
def anon(server):
    """An unauthenticated Mastodon.py client."""
    return make_client(server.url)


# ---- raw HTTP -----------------------------------------------------------

class Http:
    """Thin requests wrapper: paths relative to the server, optional token."""

    def __init__(self, base):
        self.base = base
        self.session = requests.Session()
        # the session keeps its connection alive across tests; one left
        # silent for the server's idle timeout (30 s) is closed by the
        # server, and a request sent as it closes is reset unanswered.
        # An idempotent one is sent again on a new connection, as
        # browsers do; a POST or PATCH is not
        retry = Retry(total=1, connect=1, read=1, status=0, redirect=0,
                      allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}),
                      raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))

    def request(self, method, path, token=None, headers=None, **kw):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else self.base + path
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, url, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def options(self, path, **kw):
        return self.request("OPTIONS", path, **kw)


@pytest.fixture(scope="session")
def http(server):
    return Http(server.url)


def is_json(resp):
    ctype = resp.headers.get("Content-Type", "")
    return ctype.split(";")[0].strip().lower() == "application/json"


def assert_json(resp, status=200):
    """Assert the status and a JSON content type; return the parsed body."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, "
        f"got {resp.status_code}: {resp.text[:500]}")
    assert is_json(resp), (f"{resp.request.method} {resp.request.url}: Content-Type "
                           f"{resp.headers.get('Content-Type')!r} is not application/json")
    try:
        return resp.json()
    except ValueError:
        raise AssertionError(f"body is not JSON: {resp.text[:300]!r}")


def assert_error(resp, status, message=None, contains=None):
    """A Mastodon-style JSON error: status, JSON content type, {"error": str}."""
    body = assert_json(resp, status)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], \
        f"error body lacks a string 'error': {body!r}"
    if message is not None:
        assert body["error"] == message, f"error message {body['error']!r} != {message!r}"
    if contains is not None:
        assert contains in body["error"], f"{contains!r} not in error {body['error']!r}"
    return body


def ids(items):
    """Wire-string ids of a list of statuses/accounts (from Mastodon.py or raw JSON)."""
    return [str(x["id"]) for x in items]


def api_error_status(exc):
    """HTTP status of a MastodonAPIError raised by Mastodon.py."""
    return exc.args[1] if len(exc.args) > 1 else None


def api_error_message(exc):
    return exc.args[3] if len(exc.args) > 3 else None


def json_dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- HTML content -------------------------------------------------------

class _LinkCollector(HTMLParser):
    """Collects <a> elements: attrs, inner text, and the classes of the
    enclosing <span>s (to see h-card wrappers)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self._stack = []   # open tags: (tag, attrs)
        self._current = None
        self.tags_seen = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags_seen.append(tag)
        if tag == "a":
            spans = [dict(at).get("class", "") for t, at in self._stack if t == "span"]
            self._current = {"attrs": a, "text": "", "span_classes": spans,
                             "classes": set((a.get("class") or "").split()),
                             "rel": set((a.get("rel") or "").split())}
            self.links.append(self._current)
        if tag not in ("br", "img", "hr", "input", "meta"):
            self._stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "a":
            self._current = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._current is not None:
            self._current["text"] += data


def html_links(html):
    p = _LinkCollector()
    p.feed(html or "")
    return p.links


def html_tags(html):
    p = _LinkCollector()
    p.feed(html or "")
    return set(p.tags_seen)


def html_text(html):
    """Visible text of an HTML fragment (tags dropped, entities decoded)."""
    class T(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out = []

        def handle_data(self, d):
            self.out.append(d)

        def handle_starttag(self, tag, attrs):
            if tag in ("br", "p") and self.out:
                self.out.append("\n")
    t = T()
    t.feed(html or "")
    return "".join(t.out)
