"""Where chorus keeps its data on PostgreSQL, and the databases it refuses.

`--database URL` (or `url` in the config file's [database] section) puts
every command on a PostgreSQL database; media stay under --data. A
database chorus cannot use stops it at once with one line on stderr and a
non-zero exit, before it listens: an unreachable server, a wrong password
(libpq's reason after "cannot connect to the database"), a schema newer
than the binary. Needs the cluster scripts/pg.sh starts."""

import socket
import subprocess
import time

import pytest
import requests
from mastodon import Mastodon

from conftest import (BACKEND, DEFAULT_SCOPES, PG_HOST, PG_PORT, START_TIMEOUT,
                      chorus_bin, free_port, pg_create_database, pg_psql, pg_url)

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql" and not PG_HOST,
    reason="needs a PostgreSQL cluster: CHORUS_TEST_BACKEND=postgresql or "
    "CHORUS_TEST_PG_HOST (scripts/pg.sh start DIR)")

PROMPT_S = 10  # a refusal comes at once: well within this


def run(*args, timeout=60):
    return subprocess.run([chorus_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def listens(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def serve_is_refused(tmp_path, *args):
    """Run `chorus serve` with args on a free port; assert it exits non-zero
    within PROMPT_S, never having accepted a connection, and return its
    stderr."""
    port = free_port()
    proc = subprocess.Popen(
        [chorus_bin(), "serve", "--port", str(port), "--data", str(tmp_path / "data"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + PROMPT_S
    accepted = False
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            accepted = accepted or listens(port)
            time.sleep(0.05)
        assert proc.poll() is not None, f"chorus serve still runs after {PROMPT_S} s"
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode != 0, (proc.returncode, out, err)
    assert not accepted and not listens(port), "a refused server accepted connections"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"not one line on stderr:\n{err}"
    return err


class Serving:
    """chorus serve on a free port, with exactly the arguments given (no
    --database added): for the tests of how a database is named."""

    def __init__(self, tmp_path, *args):
        (tmp_path / "data").mkdir(exist_ok=True)  # as ChorusServer makes it
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp_path / f"serve-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [chorus_bin(), "serve", "--port", str(self.port), *args],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, \
                f"chorus serve exited {self.proc.returncode}:\n{self.log_text()}"
            try:
                if requests.get(self.url + "/api/v1/instance", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"chorus serve did not answer in {START_TIMEOUT:.0f} s:\n{self.log_text()}")

    def log_text(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=START_TIMEOUT)
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        assert self.stop() == 0, self.log_text()


def logs_in(url, email, password):
    cid, secret = Mastodon.create_app("database-config", api_base_url=url,
                                      scopes=DEFAULT_SCOPES)
    api = Mastodon(client_id=cid, client_secret=secret, api_base_url=url)
    api.log_in(email, password, scopes=DEFAULT_SCOPES)
    return api.account_verify_credentials()["username"]


# ---- refusals -------------------------------------------------------------

def test_an_unreachable_database_is_refused_before_listening(tmp_path):
    nowhere = free_port()  # nothing listens there
    url = f"postgresql://postgres@127.0.0.1:{nowhere}/chorus?connect_timeout=3"
    err = serve_is_refused(tmp_path, "--database", url)
    assert "cannot connect to the database" in err, err
    res = run("user", "list", "--data", str(tmp_path / "data"), "--database", url,
              timeout=PROMPT_S)
    assert res.returncode != 0
    assert "cannot connect to the database" in res.stderr, res.stderr


def test_a_wrong_password_is_refused_saying_why(tmp_path):
    name = pg_create_database()
    url = pg_url(name, host="127.0.0.1", password="not-the-password")
    err = serve_is_refused(tmp_path, "--database", url)
    assert "cannot connect to the database" in err, err
    # libpq's own reason follows
    assert 'password authentication failed for user "postgres"' in err, err
    assert "not-the-password" not in err  # a secret is never logged


def test_a_database_newer_than_the_binary_is_refused_and_left_alone(tmp_path):
    name = pg_create_database()
    url = pg_url(name)
    with Serving(tmp_path, "--data", str(tmp_path / "data"), "--database", url):
        pass  # chorus creates its schema
    mine = int(pg_psql("-c", "SELECT max(version) FROM schema_version", db=name))
    pg_psql("-c", "UPDATE schema_version SET version = version + 1", db=name)
    err = serve_is_refused(tmp_path, "--database", url)
    assert f"database schema {mine + 1} is newer than this chorus ({mine})" in err, err
    res = run("user", "list", "--data", str(tmp_path / "data"), "--database", url,
              timeout=PROMPT_S)
    assert res.returncode != 0
    assert "is newer than this chorus" in res.stderr, res.stderr
    # nothing touched it
    after = int(pg_psql("-c", "SELECT max(version) FROM schema_version", db=name))
    assert after == mine + 1


# ---- naming the database --------------------------------------------------

def test_user_create_honours_database_not_the_data_directory(tmp_path):
    """A user created with --database exists for the server on that
    database, though the two commands were given different --data."""
    url = pg_url(pg_create_database())
    res = run("user", "create", "dora", "--email", "dora@example.com",
              "--password", "dora-password-1",
              "--data", str(tmp_path / "cli-data"), "--database", url)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "cli-data" / "chorus.db").exists()  # not SQLite
    with Serving(tmp_path, "--data", str(tmp_path / "data"), "--database", url) as srv:
        assert logs_in(srv.url, "dora@example.com", "dora-password-1") == "dora"


def test_database_url_in_the_config_file_works_like_the_flag(tmp_path):
    url = pg_url(pg_create_database())
    ini = tmp_path / "chorus.ini"
    ini.write_text(f"[database]\nurl = {url}\n")
    res = run("user", "create", "ezra", "--email", "ezra@example.com",
              "--password", "ezra-password-1",
              "--data", str(tmp_path / "data"), "--database", url)
    assert res.returncode == 0, res.stderr
    data = tmp_path / "data"
    with Serving(tmp_path, "--data", str(data), "--config", str(ini)) as srv:
        assert requests.get(srv.url + "/health", timeout=5).status_code == 200
        assert logs_in(srv.url, "ezra@example.com", "ezra-password-1") == "ezra"
    assert not (data / "chorus.db").exists()  # it served PostgreSQL, not SQLite
    # and a CLI command reads it from the same file
    res = run("user", "list", "--data", str(data), "--config", str(ini))
    assert res.returncode == 0, res.stderr
    assert "ezra" in res.stdout
