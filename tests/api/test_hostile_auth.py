"""Hostile use of sign-in and of edits (issue 9, items 3 and 4).

Editing a direct post must not open its earlier versions to someone the
edit adds, nor take it from someone the edit removes. Signing in must cost
the same whether or not the account exists, and a flood of wrong passwords
must not slow everyone else down."""

import statistics
import threading
import time

import pytest
import requests

from conftest import SANITIZED, assert_error, assert_json

# ---- item 4: editing a direct post --------------------------------------


@pytest.fixture
def dm_edit(make_user):
    """author writes a direct post to carol, then edits it to address dave
    instead: returns (author, carol, dave, status id)."""
    author = make_user("dmauthor")
    carol = make_user("dmcarol")
    dave = make_user("dmdave")
    s = author.api.status_post(f"@{carol.name} the secret only for you, carol",
                               visibility="direct")
    author.api.status_update(s["id"], status=f"@{dave.name} hello dave")
    return author, carol, dave, s["id"]


def history(http, user, sid):
    return assert_json(http.get(f"/api/v1/statuses/{sid}/history", token=user.token))


def test_mention_added_by_edit_does_not_see_earlier_versions(http, dm_edit):
    author, carol, dave, sid = dm_edit
    # dave may read the post as it is now: it is addressed to him
    assert "hello dave" in assert_json(
        http.get(f"/api/v1/statuses/{sid}", token=dave.token))["content"]
    versions = history(http, dave, sid)
    assert versions, "dave sees the version addressed to him"
    assert not any("secret" in v["content"] for v in versions), versions
    assert all("hello dave" in v["content"] for v in versions)
    # the author sees the whole history
    assert [("secret" in v["content"]) for v in history(http, author, sid)] == [True, False]


def test_mention_removed_by_edit_keeps_what_it_received(http, dm_edit):
    author, carol, dave, sid = dm_edit
    r = http.get(f"/api/v1/statuses/{sid}", token=carol.token)
    assert_json(r, 200)
    versions = history(http, carol, sid)
    assert [("secret" in v["content"]) for v in versions] == [True], versions


def test_mention_added_later_sees_its_versions_onward(http, make_user):
    author = make_user("dmauthor")
    carol = make_user("dmcarol")
    dave = make_user("dmdave")
    s = author.api.status_post(f"@{carol.name} version one", visibility="direct")
    author.api.status_update(s["id"], status=f"@{carol.name} @{dave.name} version two")
    author.api.status_update(s["id"], status=f"@{dave.name} version three")
    seen = [v["content"] for v in history(http, dave, s["id"])]
    assert len(seen) == 2 and "version two" in seen[0] and "version three" in seen[1], seen
    seen = [v["content"] for v in history(http, carol, s["id"])]
    assert len(seen) == 2 and "version one" in seen[0] and "version two" in seen[1], seen


def test_public_edit_history_stays_visible_to_everyone(http, make_user):
    author = make_user("pubauthor")
    stranger = make_user("stranger")
    s = author.api.status_post("first take", visibility="public")
    author.api.status_update(s["id"], status="second take")
    assert len(history(http, stranger, s["id"])) == 2
    assert len(assert_json(http.get(f"/api/v1/statuses/{s['id']}/history"))) == 2


def test_stranger_sees_no_history_of_a_direct_post(http, dm_edit, make_user):
    author, carol, dave, sid = dm_edit
    stranger = make_user("stranger")
    assert_error(http.get(f"/api/v1/statuses/{sid}/history", token=stranger.token), 404)
