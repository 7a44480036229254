"""`chorus backup FILE`: a consistent copy of the database taken while the
server serves and writes it; and the databases chorus refuses to start on
(a schema newer than the binary's, a file that is not a database)."""

import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import sqlite_only, ChorusServer, chorus_bin, free_port

# chorus backup copies SQLite databases (PostgreSQL has pg_dump)
pytestmark = sqlite_only

PROMPT_S = 10  # a refusal comes at once: well within this


def run(*args, timeout=60):
    return subprocess.run([chorus_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def binary_schema(tmp_path):
    """The schema version this chorus migrates to, from `chorus init`."""
    res = run("init", "--data", str(tmp_path / "schema-probe"))
    assert res.returncode == 0, res.stderr
    return int(re.search(r"schema (\d+)", res.stdout).group(1))


def init_data(path):
    res = run("init", "--data", str(path))
    assert res.returncode == 0, res.stderr
    return path


def nobody_listens(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


# ---- the online backup --------------------------------------------------

def test_backup_while_posting_holds_every_acknowledged_status(server, make_user, tmp_path):
    user = make_user("backup")
    acked = []  # (status id, when its POST was answered)
    stop = threading.Event()
    errors = []

    def poster():
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {user.token}"
            i = 0
            while not stop.is_set():
                r = s.post(f"{server.url}/api/v1/statuses", timeout=10,
                           data={"status": f"kept by the backup {i} #backup"})
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                acked.append((r.json()["id"], time.monotonic()))
                i += 1

    thread = threading.Thread(target=poster)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(acked) < 30 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)
        assert len(acked) >= 30, errors
        target = tmp_path / "chorus-backup.db"
        started = time.monotonic()
        res = run("backup", str(target), "--data", str(server.data))
        finished = time.monotonic()
        time.sleep(0.2)  # the poster goes on after the backup too
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert res.returncode == 0, res.stderr
    # the server kept writing while the copy was taken
    assert any(started <= t <= finished for _, t in acked), \
        "no POST was answered while the backup ran"
    before = {sid for sid, t in acked if t < started}
    assert before

    m = re.search(r"(\d+) bytes, schema (\d+), (\d+) accounts, (\d+) statuses",
                  res.stdout)
    assert m, res.stdout
    assert int(m.group(1)) == target.stat().st_size
    assert "media" in res.stdout and "rsync" in res.stdout
    assert not os.path.exists(f"{target}.tmp")

    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA user_version").fetchone()[0] == int(m.group(2))
        ids = {str(r[0]) for r in con.execute(
            "SELECT id FROM statuses WHERE account_id = ?", (int(user.id),))}
        statuses = con.execute("SELECT count(*) FROM statuses").fetchone()[0]
        accounts = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    finally:
        con.close()
    assert before <= ids, sorted(before - ids)[:5]
    assert (statuses, accounts) == (int(m.group(4)), int(m.group(3)))

    # restore: a second chorus serving a copy of the backup answers them
    restored = ChorusServer(chorus_bin(), tmp_path / "restored")
    shutil.copyfile(target, restored.data / "chorus.db")
    restored.start()
    try:
        with requests.Session() as s:
            for sid in sorted(before):
                r = s.get(f"{restored.url}/api/v1/statuses/{sid}", timeout=10)
                assert r.status_code == 200, (sid, r.text)
                assert r.json()["account"]["username"] == user.name
                assert "kept by the backup" in r.json()["content"]
    finally:
        assert restored.stop() == 0


def test_backup_refuses_to_overwrite_without_force(tmp_path):
    data = init_data(tmp_path / "data")
    target = tmp_path / "existing.db"
    target.write_text("keep me")
    res = run("backup", str(target), "--data", str(data))
    assert res.returncode != 0
    assert "exists" in res.stderr and "--force" in res.stderr
    assert target.read_text() == "keep me"
    assert not os.path.exists(f"{target}.tmp")

    res = run("backup", str(target), "--force", "--data", str(data))
    assert res.returncode == 0, res.stderr
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        con.close()


def unwritable_dir(tmp_path):
    """A directory this process cannot create files in (root ignores mode
    bits: then a read-only system directory), or None."""
    d = tmp_path / "readonly"
    d.mkdir()
    d.chmod(0o555)
    for cand in (d, "/sys"):
        probe = os.path.join(cand, ".chorus-write-probe")
        try:
            open(probe, "w").close()
            os.unlink(probe)
        except OSError:
            return str(cand)
    return None


def test_backup_into_unwritable_directory_fails_cleanly(tmp_path):
    data = init_data(tmp_path / "data")
    where = unwritable_dir(tmp_path)
    if where is None:
        pytest.skip("no unwritable directory on this machine")
    target = os.path.join(where, "chorus-backup.db")
    res = run("backup", target, "--data", str(data))
    assert res.returncode != 0
    assert "cannot write" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not os.path.exists(target)


def test_backup_failing_mid_copy_leaves_no_file(tmp_path):
    """A write that fails halfway (here a file-size limit, as a full disk
    would) leaves neither FILE nor FILE.tmp, and says so on one line."""
    data = init_data(tmp_path / "data")
    target = tmp_path / "out.db"

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not death
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    res = subprocess.run([chorus_bin(), "backup", str(target), "--data", str(data)],
                         capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL, preexec_fn=small_files)
    assert res.returncode == 1, res.stderr
    assert "cannot write" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not target.exists() and not os.path.exists(f"{target}.tmp")
    # the database itself is whole
    con = sqlite3.connect(data / "chorus.db")
    try:
        assert con.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        con.close()


def test_backup_without_a_database_creates_none(tmp_path):
    data = tmp_path / "empty"
    data.mkdir()
    target = tmp_path / "out.db"
    res = run("backup", str(target), "--data", str(data))
    assert res.returncode != 0
    assert "no database" in res.stderr, res.stderr
    assert not (data / "chorus.db").exists()
    assert not target.exists() and not os.path.exists(f"{target}.tmp")


def test_backup_of_an_older_schema_does_not_migrate_it(tmp_path):
    """A backup comes before an upgrade: it copies the database as it is."""
    data = init_data(tmp_path / "data")
    con = sqlite3.connect(data / "chorus.db")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    target = tmp_path / "old.db"
    res = run("backup", str(target), "--data", str(data))
    assert res.returncode == 0, res.stderr
    assert "schema 1," in res.stdout
    con = sqlite3.connect(data / "chorus.db")
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        con.close()


# ---- databases chorus refuses -------------------------------------------

def refused_everywhere(data, tmp_path, message):
    """serve, user list and backup each exit non-zero at once saying
    message, and serve never listens."""
    port = free_port()
    t0 = time.monotonic()
    res = run("serve", "--port", str(port), "--data", str(data), timeout=PROMPT_S)
    assert time.monotonic() - t0 < PROMPT_S
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert nobody_listens(port)
    res = run("user", "list", "--data", str(data), timeout=PROMPT_S)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    res = run("backup", str(tmp_path / "refused.db"), "--data", str(data),
              timeout=PROMPT_S)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert not (tmp_path / "refused.db").exists()


def test_newer_schema_is_refused_by_every_command(tmp_path):
    mine = binary_schema(tmp_path)
    data = init_data(tmp_path / "data")
    con = sqlite3.connect(data / "chorus.db")
    con.execute(f"PRAGMA user_version = {mine + 5}")
    con.commit()
    con.close()
    refused_everywhere(
        data, tmp_path,
        f"database schema {mine + 5} is newer than this chorus ({mine}): upgrade chorus")
    con = sqlite3.connect(data / "chorus.db")
    try:  # nothing touched it
        assert con.execute("PRAGMA user_version").fetchone()[0] == mine + 5
    finally:
        con.close()


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = "these are my notes, not a database\n" * 200
    (data / "chorus.db").write_text(garbage)
    refused_everywhere(data, tmp_path, "is not a SQLite database")
    assert (data / "chorus.db").read_text() == garbage


def test_a_directory_in_place_of_the_database_is_refused(tmp_path):
    data = tmp_path / "data"
    (data / "chorus.db").mkdir(parents=True)
    res = run("user", "list", "--data", str(data), timeout=PROMPT_S)
    assert res.returncode == 1, res.stderr  # not a crash (abort: -6)
    assert "cannot open" in res.stderr
