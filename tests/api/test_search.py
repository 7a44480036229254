"""Search (GET /api/v2/search, and /api/v1/accounts/search on the same
code): words folded across scripts and accents, the visibility rule on
every status found, the index following deletes and edits, operators,
accounts and hashtags by prefix, and bad input answered with Mastodon's
JSON errors (or its clamping), never a crash or an SQL error. Through
Mastodon.py's search_v2, toot's `search`, and raw HTTP."""

import secrets
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from conftest import assert_error, assert_json, ids, unique_name


def word(prefix="w"):
    """A fresh word no other test writes: letters only."""
    return prefix + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))


def found(user, q, **kw):
    """Status ids (wire strings) user finds for q through Mastodon.py."""
    return ids(user.api.search_v2(q, result_type="statuses", **kw)["statuses"])


def raw(http, q, token=None, **params):
    return http.get("/api/v2/search", token=token, params={"q": q, **params})


# ---- words in several scripts ----------------------------------------------------

def test_accents_and_case_fold_in_latin(make_user):
    u = make_user("cafe")
    tag = word()
    s = u.api.status_post(f"Café in Zürich {tag}")
    for q in (f"cafe {tag}", f"zurich {tag}", f"CAFÉ {tag}", f"ZÜRICH {tag.upper()}",
              f"café zürich {tag}"):
        assert found(u, q) == [str(s["id"])], q
    # a word glued to an accent is one token: found by its folded form only
    glued = "Zürich" + tag
    s2 = u.api.status_post(f"greetings from {glued}")
    assert found(u, "zurich" + tag) == [str(s2["id"])]
    assert found(u, "zurich") and str(s2["id"]) not in found(u, f"zurich {tag}x")


def test_cyrillic_and_greek_fold_case_and_accents(make_user):
    u = make_user("scripts")
    tag = word()
    ru = u.api.status_post(f"ПРИВЕТ мир {tag}")
    yo = u.api.status_post(f"Ёлка стоит {tag}")
    el = u.api.status_post(f"Καλημέρα κόσμε {tag}")
    assert found(u, f"привет {tag}") == [str(ru["id"])]
    assert found(u, f"МИР {tag}") == [str(ru["id"])]
    assert found(u, f"елка {tag}") == [str(yo["id"])]
    assert found(u, f"καλημερα {tag}") == [str(el["id"])]
    assert found(u, f"ΚΑΛΗΜΕΡΑ {tag}") == [str(el["id"])]
    assert found(u, f"κοσμε {tag}") == [str(el["id"])]
    assert found(u, f"καλη {tag}") == []  # statuses match whole words, as Mastodon


def test_japanese_matches_inside_unspaced_text(make_user):
    u = make_user("nihongo")
    tag = word()
    s = u.api.status_post(f"今日は日本語を勉強しました {tag}")
    assert found(u, f"日本語 {tag}") == [str(s["id"])]
    assert found(u, f"勉強 {tag}") == [str(s["id"])]
    assert found(u, f"中国 {tag}") == []


def test_spoiler_text_and_media_description_are_searchable(make_user, tmp_path):
    u = make_user("cwalt")
    cw, alt = word("cw"), word("alt")
    s = u.api.status_post("behind the warning", spoiler_text=f"about {cw}")
    assert found(u, cw) == [str(s["id"])]
    img = tmp_path / "pic.png"
    Image.new("RGB", (20, 20), (10, 200, 10)).save(img)
    m = u.api.media_post(str(img), description=f"a green square, {alt}")
    p = u.api.status_post("look", media_ids=[m["id"]])
    assert found(u, alt) == [str(p["id"])]
    assert found(u, f"green {alt}") == [str(p["id"])]


def test_phrase_matches_words_in_order(make_user):
    u = make_user("phrase")
    tag = word()
    a = u.api.status_post(f"the quick brown fox {tag}")
    b = u.api.status_post(f"brown the quick fox {tag}")
    assert set(found(u, f"quick brown {tag}")) == {str(a["id"]), str(b["id"])}
    assert found(u, f'"quick brown" {tag}') == [str(a["id"])]
    assert found(u, f'{tag} -"quick brown"') == [str(b["id"])]
    assert found(u, f"{tag} -fox") == []


# ---- who may find what --------------------------------------------------------------

def test_private_posts_are_found_by_those_who_may_see_them_only(make_user, anon, http):
    author, follower, mentioned, stranger = (make_user(n) for n in
                                             ("author", "follower", "mentioned", "stranger"))
    follower.api.account_follow(author.id)
    secret = word("secret")
    pub = author.api.status_post(f"{secret} for everyone")
    unl = author.api.status_post(f"{secret} quietly public", visibility="unlisted")
    priv = author.api.status_post(f"{secret} for my followers", visibility="private")
    dm = author.api.status_post(f"@{mentioned.name} {secret} just for you",
                                visibility="direct")
    all_four = [str(dm["id"]), str(priv["id"]), str(unl["id"]), str(pub["id"])]
    assert found(author, secret) == all_four  # newest first
    assert found(follower, secret) == [str(priv["id"]), str(unl["id"]), str(pub["id"])]
    assert found(mentioned, secret) == [str(dm["id"]), str(unl["id"]), str(pub["id"])]
    assert found(stranger, secret) == [str(unl["id"]), str(pub["id"])]
    # not even with from:, account_id or a phrase
    assert found(stranger, f"from:{author.name} {secret}") == [str(unl["id"]), str(pub["id"])]
    assert found(stranger, secret, account_id=author.id) == [str(unl["id"]), str(pub["id"])]
    assert found(stranger, f'"{secret} for my followers"') == []
    assert found(stranger, f'"{secret} just for you"') == []
    # anonymous: Mastodon searches no statuses without a user
    body = assert_json(raw(http, secret))
    assert body["statuses"] == []
    assert anon.search_v2(secret, resolve=False)["statuses"] == []
    # an unfollow takes the private post away again
    follower.api.account_unfollow(author.id)
    assert found(follower, secret) == [str(unl["id"]), str(pub["id"])]


def test_hidden_posts_do_not_shorten_pages_much(make_user):
    """Many hidden matches before a visible one: the page refills."""
    author, stranger = make_user("hider"), make_user("seeker")
    w = word("many")
    shown = author.api.status_post(f"{w} public")
    for i in range(25):
        author.api.status_post(f"{w} private {i}", visibility="private")
    got = found(stranger, w)
    assert got == [str(shown["id"])]


# ---- the index follows writes --------------------------------------------------------

def test_deleted_posts_vanish_from_results(make_user):
    u = make_user("deleter")
    w = word("gone")
    s = u.api.status_post(f"soon {w}")
    keep = u.api.status_post(f"stays {w}")
    assert found(u, w) == [str(keep["id"]), str(s["id"])]
    u.api.status_delete(s["id"])
    assert found(u, w) == [str(keep["id"])]
    assert found(u, f"soon {w}") == []


def test_edited_posts_are_found_by_new_text_not_old(make_user, tmp_path):
    u = make_user("editor")
    old, new = word("old"), word("new")
    s = u.api.status_post(f"first draft {old}")
    assert found(u, old) == [str(s["id"])]
    u.api.status_update(s["id"], status=f"second draft {new}")
    assert found(u, old) == []
    assert found(u, new) == [str(s["id"])]
    # the attachment's description stays with the edited post
    alt = word("alt")
    img_path = tmp_path / "red.png"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(img_path)
    m = u.api.media_post(str(img_path), description=alt)
    p = u.api.status_post(f"picture {old}", media_ids=[m["id"]])
    u.api.status_update(p["id"], status=f"picture {new}")
    assert found(u, alt) == [str(p["id"])]
    assert found(u, f"picture {old}") == []
    assert found(u, f"picture {new}") == [str(p["id"])]


def test_reblogs_are_not_results_of_their_own(make_user):
    a, b = make_user("orig"), make_user("booster")
    w = word("boost")
    s = a.api.status_post(f"worth sharing {w}")
    b.api.status_reblog(s["id"])
    assert found(b, w) == [str(s["id"])]


# ---- operators -----------------------------------------------------------------------

def test_from_operator(make_user):
    a, b = make_user("froma"), make_user("fromb")
    w = word("from")
    sa = a.api.status_post(f"{w} by a")
    sb = b.api.status_post(f"{w} by b")
    assert found(b, f"{w} from:{a.name}") == [str(sa["id"])]
    assert found(b, f"{w} from:@{a.name}") == [str(sa["id"])]
    assert found(b, f"from:{a.name.upper()} {w}") == [str(sa["id"])]
    assert found(b, f"{w} from:me") == [str(sb["id"])]
    assert found(b, f"{w} -from:{a.name}") == [str(sb["id"])]
    assert found(b, f"{w} from:nosuchuser{w}") == []
    # the author's id is indexed for from:, but is no word of the post
    assert found(b, f"{w} {a.id}") == []
    # operators alone list the author's posts, newest first
    assert found(b, f"from:{a.name}")[:1] == [str(sa["id"])]


def test_has_media_is_reply_is_sensitive(make_user, tmp_path):
    u = make_user("ops")
    w = word("ops")
    img = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(img)
    m = u.api.media_post(str(img))
    plain = u.api.status_post(f"{w} plain")
    media = u.api.status_post(f"{w} with picture", media_ids=[m["id"]])
    reply = u.api.status_post(f"{w} answering", in_reply_to_id=plain["id"])
    cw = u.api.status_post(f"{w} careful", sensitive=True, spoiler_text="cw")
    assert found(u, f"{w} has:media") == [str(media["id"])]
    assert found(u, f"{w} has:image") == [str(media["id"])]
    assert found(u, f"{w} has:video") == []
    assert found(u, f"{w} has:poll") == []
    assert str(media["id"]) not in found(u, f"{w} -has:media")
    assert found(u, f"{w} is:reply") == [str(reply["id"])]
    assert str(reply["id"]) not in found(u, f"{w} -is:reply")
    assert found(u, f"{w} is:sensitive") == [str(cw["id"])]
    assert found(u, f"{w} is:nonsense") == []


def test_date_operators(make_user):
    u = make_user("dates")
    w = word("date")
    s = u.api.status_post(f"{w} today")
    today = datetime.now(timezone.utc).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert found(u, f"{w} after:{yesterday}") == [str(s["id"])]
    assert found(u, f"{w} before:{tomorrow}") == [str(s["id"])]
    assert found(u, f"{w} during:{today}") == [str(s["id"])]
    assert found(u, f"{w} before:{today}") == []
    assert found(u, f"{w} after:{today}") == []
    assert found(u, f"{w} during:{yesterday}") == []


def test_paging_by_max_id_min_id_offset_and_limit(make_user, http):
    u = make_user("pager")
    w = word("page")
    posted = [str(u.api.status_post(f"{w} number {i}")["id"]) for i in range(5)]
    newest_first = posted[::-1]
    assert found(u, w) == newest_first
    assert found(u, w, max_id=posted[3]) == newest_first[2:]
    assert found(u, w, min_id=posted[1]) == newest_first[:3]
    body = assert_json(raw(http, w, token=u.token, type="statuses", limit=2, offset=2))
    assert ids(body["statuses"]) == newest_first[2:4]
    # without a type, offset is ignored (Mastodon)
    body = assert_json(raw(http, w, token=u.token, limit=2, offset=2))
    assert ids(body["statuses"]) == newest_first[:2]
    body = assert_json(raw(http, w, token=u.token, type="statuses", limit=100))
    assert len(body["statuses"]) == 5  # limit caps at 40
    body = assert_json(raw(http, w, token=u.token, limit=0))
    assert body == {"accounts": [], "statuses": [], "hashtags": []}


# ---- accounts and hashtags ------------------------------------------------------------

def test_accounts_by_prefix_exact_username_first(make_user, http):
    base = unique_name("zed")
    s = make_user("looker")
    exact = make_user(base[:10])
    longer = make_user(exact.name[:10])
    got = s.api.search_v2(exact.name, result_type="accounts")["accounts"]
    assert ids(got)[0] == exact.sid
    got = ids(s.api.search_v2(exact.name[:10], result_type="accounts")["accounts"])
    assert exact.sid in got and longer.sid in got
    # @user and user@our.domain name the local account
    domain = http.base.split("://", 1)[1]
    for q in (f"@{exact.name}", f"{exact.name}@{domain}"):
        got = s.api.search_v2(q, result_type="accounts")["accounts"]
        assert ids(got)[:1] == [exact.sid], q
    assert s.api.search_v2(f"{exact.name}@elsewhere.example",
                           result_type="accounts")["accounts"] == []


def test_accounts_by_display_name_words_folded(make_user):
    u, s = make_user("dn"), make_user("dnsearch")
    first = word("Zoë").capitalize()
    u.api.account_update_credentials(display_name=f"{first} Ålvarez")
    folded = first.lower().replace("ë", "e")
    assert u.sid in ids(s.api.account_search(folded))
    assert u.sid in ids(s.api.account_search("alvar"))  # a prefix of a later word
    assert u.sid in ids(s.api.search_v2(f"{folded[:5]}", result_type="accounts")["accounts"])
    # a renamed account is found by its new name only
    u.api.account_update_credentials(display_name="Someone Else")
    assert u.sid not in ids(s.api.account_search(folded))


def test_accounts_following_only(make_user, http):
    prefix = word("fol")[:9]
    a, b, s = make_user(prefix), make_user(prefix), make_user("follows")
    s.api.account_follow(a.id)
    body = assert_json(raw(http, prefix, token=s.token, type="accounts", following="true"))
    assert ids(body["accounts"]) == [a.sid]
    assert ids(s.api.account_search(prefix, following=True)) == [a.sid]
    assert set(ids(s.api.account_search(prefix))) == {a.sid, b.sid}


def test_hashtags_by_prefix_exact_first(make_user, http):
    u = make_user("tagger")
    stem = word("Tag")
    u.api.status_post(f"#{stem}Longer one")
    time.sleep(0.01)
    u.api.status_post(f"#{stem} two #{stem}Other")
    body = assert_json(raw(http, stem.lower(), type="hashtags"))
    names = [t["name"] for t in body["hashtags"]]
    assert names[0] == stem
    assert set(names) == {stem, f"{stem}Longer", f"{stem}Other"}
    assert names[1] == f"{stem}Other"  # used last
    body = assert_json(raw(http, f"#{stem}LONG", type="hashtags"))
    assert [t["name"] for t in body["hashtags"]] == [f"{stem}LONG", f"{stem}Longer"]
    assert "id" not in body["hashtags"][0]  # offered, nobody used it yet
    # accent-folded like the tag keys
    u.api.status_post(f"#Café{stem}")
    body = assert_json(raw(http, f"cafe{stem}", type="hashtags"))
    assert [t["name"] for t in body["hashtags"]][:1] == [f"Café{stem}"]
    hashtag = u.api.search_v2(stem, result_type="hashtags")["hashtags"][0]
    assert hashtag["name"] == stem and len(hashtag["history"]) == 7


def test_search_all_types_at_once(make_user):
    u = make_user("every")
    w = word("every")
    u.api.account_update_credentials(display_name=f"{w} Person")
    s = u.api.status_post(f"#{w} and {w}")
    res = u.api.search_v2(w)
    assert u.sid in ids(res["accounts"])
    assert [t["name"] for t in res["hashtags"]][:1] == [w]
    assert ids(res["statuses"]) == [str(s["id"])]


def test_toot_search_lists_accounts_and_hashtags(server, make_user, tmp_path):
    toot = shutil.which("toot", path="/usr/bin")
    if not toot:
        pytest.skip("toot not installed")
    u = make_user("tootsr")
    w = word("toot")
    u.api.status_post(f"#{w}")
    home = tmp_path
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "TERM": "dumb",
           "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    login = subprocess.run([toot, "login_cli", "--instance", f"127.0.0.1:{server.port}",
                            "--email", u.email, "--disable-https"], input=u.password + "\n",
                           env=env, capture_output=True, text=True, timeout=90)
    assert login.returncode == 0, login.stdout + login.stderr
    res = subprocess.run([toot, "search", w], env=env, capture_output=True, text=True,
                         timeout=90)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"#{w}" in res.stdout
    res = subprocess.run([toot, "search", u.name], env=env, capture_output=True, text=True,
                         timeout=90)
    assert res.returncode == 0 and u.name in res.stdout, res.stdout + res.stderr


# ---- bad input -----------------------------------------------------------------------

def test_missing_or_blank_query_is_400(http, alice):
    assert_error(http.get("/api/v2/search", token=alice.token), 400)
    assert_error(raw(http, "   ", token=alice.token), 400)


def test_a_query_past_its_limit_is_422_and_a_url_past_its_own_414(http, alice):
    assert_error(raw(http, "a" * 1001, token=alice.token), 422, contains="too long")
    # 1001 two-byte letters: 6 006 bytes percent-encoded, within the URL's
    # limit ([server] max_url_bytes, 8 KiB), past the search's
    assert_error(raw(http, "ж" * 1001, token=alice.token), 422, contains="too long")
    # 10 KB is past the URL's own limit: refused before any route
    assert_error(raw(http, "a" * 10240, token=alice.token), 414, "URL too long")
    assert_error(raw(http, " ".join(["x"] * 40), token=alice.token), 422,
                 contains="Too many")
    # 1000 characters is fine
    assert_json(raw(http, "ab" * 500, token=alice.token))
    assert_json(raw(http, "ж" * 1000, token=alice.token))


def test_negative_limit_or_offset_is_400(http, alice):
    msg = "Pagination values for `offset` and `limit` must be positive"
    assert_error(raw(http, "x", token=alice.token, limit=-1), 400, message=msg)
    assert_error(raw(http, "x", token=alice.token, type="statuses", offset=-5), 400,
                 message=msg)
    assert_error(raw(http, "x", token=alice.token, limit="ten"), 400)


def test_unknown_type_finds_nothing(http, alice):
    body = assert_json(raw(http, "alice", token=alice.token, type="people"))
    assert body == {"accounts": [], "statuses": [], "hashtags": []}


def test_anonymous_may_not_page_or_resolve(http):
    assert_error(raw(http, "alice", offset=1), 401, contains="pagination")
    assert_error(raw(http, "alice", resolve="true"), 401, contains="resolve")
    body = assert_json(raw(http, "alice"))
    assert "alice" in [a["username"] for a in body["accounts"]]


@pytest.mark.parametrize("q", ["before:yesterday x", "after:2024-13-01 x", "during:2024-02-30",
                               "before:2024-1-1", "-before:2024-01-01 x", "-language:en x"])
def test_malformed_operators_are_422(http, alice, q):
    assert_error(raw(http, q, token=alice.token), 422)


@pytest.mark.parametrize("q", [
    '"', '""', '"""', 'a"b', '" OR "', "*", "a*", "*a", "NEAR(a b)", "NEAR(a b, 2)",
    "a NEAR b", "a OR b", "a AND b", "NOT a", "a NOT b", "-", "--a", "- a", "-\"a\"",
    "(", ")", "(a", "a)", "((a OR b)", ":", "a:b", "text:a", "rowid:1", "{a b}: c",
    "^a", "a + b", "+", "col:\"x\"", "\\", "'", "a'b", ";", "'; DROP TABLE statuses; --",
    "\u0000", "from:", "from:\"\"", "from:@", "has:", "is:", "in:", "language:",
    "café\u0301", "#", "@", "@@", "#a #b", "\U0001F600", "a\u200bb", "NEAR", "AND", "OR",
    "\"a\" \"b\"", "*\"a\"*", "a^2", "a\tb\nc",
])
def test_fts_syntax_in_user_input_never_errors(http, server, alice, q):
    alice.api.status_post(f"fts probe {word()}")  # something in the index
    start = server.log_size()
    for t in (None, "statuses", "accounts", "hashtags"):
        resp = raw(http, q, token=alice.token, **({"type": t} if t else {}))
        if "\u0000" in q:
            assert resp.status_code == 400  # not UTF-8 text we accept
            continue
        body = assert_json(resp)
        assert set(body) == {"accounts", "statuses", "hashtags"}
    log = server.log_tail(start)
    assert "status search" not in log and "sql" not in log.lower(), log
