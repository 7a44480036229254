"""`chorus db migrate-to` on the benchmark data set (`chorus bench-data`,
at a size a test can afford): every row arrives, and the API answers the
same on both backends, byte for byte, ids included — statuses, threads,
timelines, search, notifications — from one server on the SQLite original
and one on the PostgreSQL copy, both under the same base URL."""

import shutil
import subprocess

import pytest
import requests

from conftest import (BACKEND, ChorusServer, Sql, chorus_bin, login,
                      pg_create_database, pg_url)

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="copies into the test cluster's PostgreSQL")

ACCOUNTS, STATUSES = 100, 5000
CONFIG = "[server]\nbase_url = https://chorus.example\n"


def bench_data(data):
    out = subprocess.run([chorus_bin(), "bench-data", str(ACCOUNTS), str(STATUSES),
                          "--data", str(data)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(line[len("bench: "):].split("=", 1) for line in out.stdout.splitlines()
                if line.startswith("bench: "))


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    root = tmp_path_factory.mktemp("migrate")
    original = root / "sqlite" / "data"
    original.mkdir(parents=True)
    info = bench_data(original)
    copy_root = root / "pg"
    shutil.copytree(original, copy_root / "data")
    url = pg_url(pg_create_database())
    run = subprocess.run([chorus_bin(), "db", "migrate-to", url,
                          "--data", str(copy_root / "data")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    sqlite = ChorusServer(chorus_bin(), root / "sqlite", config=CONFIG, database_url=False)
    pg = ChorusServer(chorus_bin(), copy_root, config=CONFIG, database_url=url)
    sqlite.start()
    pg.start()
    yield info, sqlite, pg, run
    assert sqlite.stop() == 0
    assert pg.stop() == 0


def tables(db):
    """chorus's tables and their row counts; SQLite's FTS5 tables and
    their shadows are SQLite's own and left out (PostgreSQL's index is
    rebuilt from chorus's tokens)."""
    if db.pg:
        names = [r[0] for r in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    else:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE '%VIRTUAL TABLE%'"
            " AND name NOT LIKE '%search_%'")]
    return {n: db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def test_every_row_arrives(moved):
    info, sqlite, pg, _ = moved
    with Sql(sqlite, readonly=True) as a, Sql(pg, readonly=True) as b:
        there, here = tables(a), tables(b)
    assert there["statuses"] == int(info["statuses"]) + int(info["reblogs"])
    assert there["favourites"] == int(info["favourites"])
    missing = set(there) - set(here)
    assert missing == set(), missing
    differ = {t: (there[t], here[t]) for t in there if t in here and there[t] != here[t]}
    assert differ == {}, differ


def test_the_api_answers_the_same_on_both(moved):
    info, sqlite, pg, _ = moved
    user, password = info["user"], info["password"]
    sid, deep, tag = info["status_id"], info["deep_status_id"], info["tag"]
    auth = {s: {"Authorization": f"Bearer {login(s, user, password).access_token}"}
            for s in (sqlite, pg)}
    me = requests.get(f"{sqlite.url}/api/v1/accounts/verify_credentials",
                      headers=auth[sqlite], timeout=10).json()["id"]
    sample = [
        f"/api/v1/statuses/{sid}",
        f"/api/v1/statuses/{sid}/context",
        f"/api/v1/statuses/{deep}/context",
        f"/api/v1/statuses/{sid}/favourited_by",
        f"/api/v1/statuses/{sid}/reblogged_by",
        "/api/v1/timelines/public?limit=40",
        f"/api/v1/timelines/public?local=true&limit=40&min_id={sid}",
        f"/api/v1/timelines/tag/{tag}?limit=40",
        "/api/v1/timelines/home?limit=40",
        f"/api/v1/accounts/{me}/statuses?limit=40",
        f"/api/v1/accounts/{me}/followers?limit=40",
        f"/api/v1/accounts/lookup?acct={user}",
        f"/api/v2/search?q={tag}&type=statuses&limit=20",
        f"/api/v2/search?q={info['rare_word']}&type=statuses",
        "/api/v2/search?q=together&type=statuses&limit=40",
        f"/api/v2/search?q={user[:4]}&type=accounts",
        f"/api/v2/search?q={tag[:4]}&type=hashtags",
        "/api/v1/notifications?limit=40",
        "/api/v1/favourites?limit=40",
    ]
    different = []
    for path in sample:
        a = requests.get(sqlite.url + path, headers=auth[sqlite], timeout=30)
        b = requests.get(pg.url + path, headers=auth[pg], timeout=30)
        assert a.status_code == 200, (path, a.text[:300])
        assert len(a.content) > 2, path  # never two empty answers alike
        if (a.status_code, a.content, a.headers.get("Link")) != \
                (b.status_code, b.content, b.headers.get("Link")):
            different.append((path, a.content[:200], b.content[:200]))
    assert different == []
