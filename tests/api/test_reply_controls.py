"""Reply controls (issue 12): who may reply to or boost a post, per post
(GoToSocial's interaction_policy, or the simpler reply_policy) and as an
account default per visibility; a refused reply or boost is 403 with a
clear error and writes nothing. Hidden replies: the author of the post a
reply answers, or of the thread's root, hides it from the thread (and what
is under it), for everyone but the authors; it stays at its own URL and is
listed apart (hidden_replies)."""

from types import SimpleNamespace

import pytest

from conftest import assert_error, assert_json, ids

EVERYONE = ["public"]
FOLLOWERS = ["author", "followers", "mentioned"]
FOLLOWING = ["author", "following", "mentioned"]
MENTIONED = ["author", "mentioned"]


@pytest.fixture(scope="module")
def people(make_user):
    p = SimpleNamespace(author=make_user("rcauthor"), follower=make_user("rcfollower"),
                        followed=make_user("rcfollowed"), mentioned=make_user("rcmention"),
                        stranger=make_user("rcstranger"))
    p.follower.api.account_follow(p.author.id)
    p.author.api.account_follow(p.followed.id)
    return p


def post(http, user, text, **fields):
    return assert_json(http.post("/api/v1/statuses", token=user.token, json={"status": text, **fields}))


def reply(http, user, to, text="an answer"):
    return http.post("/api/v1/statuses", token=user.token,
                     json={"status": text, "in_reply_to_id": to["id"]})


def sorted_always(status, rule):
    return sorted(status["interaction_policy"][rule]["always"])


# who may reply, by the four choices × relation; the author always may
MATRIX = {
    "everyone": {"author", "follower", "followed", "mentioned", "stranger"},
    "followers": {"author", "follower", "mentioned"},
    "following": {"author", "followed", "mentioned"},
    "mentioned": {"author", "mentioned"},
}


@pytest.mark.parametrize("choice", sorted(MATRIX))
def test_reply_policy_lets_in_exactly_its_audience(http, people, choice):
    p = people
    s = post(http, p.author, f"@{p.mentioned.name} who may answer? {choice}", reply_policy=choice)
    want = {"everyone": EVERYONE, "followers": FOLLOWERS, "following": FOLLOWING,
            "mentioned": MENTIONED}[choice]
    assert sorted_always(s, "can_reply") == sorted(want)
    assert sorted_always(s, "can_reblog") == sorted(want)
    assert s["interaction_policy"]["can_reply"]["with_approval"] == []
    for who in ("author", "follower", "followed", "mentioned", "stranger"):
        user = getattr(p, who)
        r = reply(http, user, s, f"{who} answers")
        if who in MATRIX[choice]:
            assert_json(r)
        else:
            assert_error(r, 403, contains="does not allow you to reply")
        b = http.post(f"/api/v1/statuses/{s['id']}/reblog", token=user.token)
        if who in MATRIX[choice]:
            assert_json(b)
        else:
            assert_error(b, 403, contains="does not allow you to boost")
    # nothing was written by the refused ones
    got = assert_json(http.get(f"/api/v1/statuses/{s['id']}"))
    assert got["replies_count"] == len(MATRIX[choice])
    assert got["reblogs_count"] == len(MATRIX[choice])
    # an anonymous reader still reads the post and its policy
    anon = assert_json(http.get(f"/api/v1/statuses/{s['id']}"))
    assert sorted_always(anon, "can_reply") == sorted(want)


def test_gotosocial_interaction_policy_object_is_accepted(http, people):
    p = people
    s = post(http, p.author, "only the mentioned, but anyone boosts",
             interaction_policy={"can_reply": {"always": ["author", "mentioned"], "with_approval": []},
                                 "can_reblog": {"always": ["public"]}})
    assert sorted_always(s, "can_reply") == MENTIONED
    assert sorted_always(s, "can_reblog") == EVERYONE
    assert_error(reply(http, p.stranger, s), 403)
    assert_json(http.post(f"/api/v1/statuses/{s['id']}/reblog", token=p.stranger.token))
    # the "urn:mastodon:" form of the values, too
    s2 = post(http, p.author, "urn form",
              interaction_policy={"can_reply": {"always": ["urn:mastodon:followers", "urn:mastodon:author"]}})
    assert sorted_always(s2, "can_reply") == ["author", "followers"]


def test_bad_policy_is_refused_and_nothing_is_posted(http, people):
    p = people
    before = assert_json(http.get(f"/api/v1/accounts/{p.author.id}", token=p.author.token))
    assert_error(http.post("/api/v1/statuses", token=p.author.token,
                           json={"status": "x", "reply_policy": "friends"}), 422,
                 contains="Reply policy")
    assert_error(http.post("/api/v1/statuses", token=p.author.token,
                           json={"status": "x", "interaction_policy": {
                               "can_reply": {"always": ["https://elsewhere.example/users/x"]}}}), 422,
                 contains="policy value")
    after = assert_json(http.get(f"/api/v1/accounts/{p.author.id}", token=p.author.token))
    assert after["statuses_count"] == before["statuses_count"]


def test_default_policies_follow_the_visibility(http, people):
    p = people
    s = post(http, p.author, "plain public")
    assert sorted_always(s, "can_reply") == EVERYONE
    assert sorted_always(s, "can_favourite") == EVERYONE
    d = post(http, p.author, f"@{p.mentioned.name} direct", visibility="direct")
    assert sorted_always(d, "can_reply") == MENTIONED
    assert_json(reply(http, p.mentioned, d))
    assert_json(reply(http, p.author, d))


def test_account_default_applies_to_new_posts_and_resets(http, make_user, people):
    me = make_user("rcdefault")
    got = assert_json(http.get("/api/v1/interaction_policies/defaults", token=me.token))
    assert set(got) == {"direct", "private", "unlisted", "public"}
    assert sorted(got["public"]["can_reply"]["always"]) == EVERYONE
    assert sorted(got["private"]["can_reply"]["always"]) == sorted(FOLLOWERS)
    new = assert_json(http.patch("/api/v1/interaction_policies/defaults", token=me.token, json={
        "public": {"can_reply": {"always": ["author", "mentioned"]}}}))
    assert sorted(new["public"]["can_reply"]["always"]) == MENTIONED
    assert sorted(new["public"]["can_reblog"]["always"]) == EVERYONE
    s = post(http, me, "my default applies")
    assert sorted_always(s, "can_reply") == MENTIONED
    assert_error(reply(http, people.stranger, s), 403)
    # a post's own choice wins over the default
    s2 = post(http, me, "this one is open", reply_policy="everyone")
    assert_json(reply(http, people.stranger, s2))
    # bad input changes nothing
    assert_error(http.patch("/api/v1/interaction_policies/defaults", token=me.token, json={
        "public": {"can_reply": {"always": ["mutuals"]}}}), 422)
    kept = assert_json(http.get("/api/v1/interaction_policies/defaults", token=me.token))
    assert sorted(kept["public"]["can_reply"]["always"]) == MENTIONED
    # left out: back to the default (as GoToSocial)
    reset = assert_json(http.patch("/api/v1/interaction_policies/defaults", token=me.token, json={}))
    assert sorted(reset["public"]["can_reply"]["always"]) == EVERYONE
    assert_error(http.get("/api/v1/interaction_policies/defaults"), 401)


def test_an_unfollow_closes_a_followers_only_reply(http, make_user):
    author, fan = make_user("rcuf"), make_user("rcfan")
    fan.api.account_follow(author.id)
    s = post(http, author, "followers may answer", reply_policy="followers")
    assert_json(reply(http, fan, s))
    fan.api.account_unfollow(author.id)
    assert_error(reply(http, fan, s), 403)


# ---- hidden replies ----------------------------------------------------

@pytest.fixture()
def thread(http, make_user):
    t = SimpleNamespace(op=make_user("rcop"), rude=make_user("rcrude"), other=make_user("rcother"))
    t.root = post(http, t.op, "a story of mine")
    t.kind = assert_json(reply(http, t.other, t.root, "thank you for telling it"))
    t.bad = assert_json(reply(http, t.rude, t.root, "a cruel answer"))
    t.under = assert_json(reply(http, t.other, t.bad, "do not say that"))
    return t


def context_ids(http, status, user=None):
    c = assert_json(http.get(f"/api/v1/statuses/{status['id']}/context",
                             token=user.token if user else None))
    return ids(c["descendants"])


def test_a_hidden_reply_leaves_the_thread_but_not_its_url(http, thread):
    t = thread
    assert_json(http.post(f"/api/v1/statuses/{t.bad['id']}/hide", token=t.op.token))
    everyone = {t.kind["id"]}
    assert set(map(str, context_ids(http, t.root))) == everyone
    assert set(map(str, context_ids(http, t.root, t.op))) == everyone
    desc = assert_json(http.get(f"/api/v1/statuses/{t.root['id']}/context/descendants"))
    assert set(map(str, ids(desc))) == everyone
    # its author still sees it in the thread, and the one below theirs
    assert {t.bad["id"], t.kind["id"], t.under["id"]} == set(map(str, context_ids(http, t.root, t.rude)))
    # from the hidden reply down: the one under it is gone for the others
    below = assert_json(http.get(f"/api/v1/statuses/{t.bad['id']}/context"))
    assert ids(below["descendants"]) == []
    assert [str(a["id"]) for a in below["ancestors"]] == [t.root["id"]]
    assert t.under["id"] in set(map(str, context_ids(http, t.root, t.other)))
    # at its own URL, for everyone
    assert assert_json(http.get(f"/api/v1/statuses/{t.bad['id']}"))["id"] == t.bad["id"]
    # listed apart
    hidden = assert_json(http.get(f"/api/v1/statuses/{t.root['id']}/hidden_replies"))
    assert [h["id"] for h in hidden] == [t.bad["id"]]
    assert_json(http.post(f"/api/v1/statuses/{t.bad['id']}/unhide", token=t.op.token))
    assert {t.kind["id"], t.bad["id"], t.under["id"]} == set(map(str, context_ids(http, t.root)))
    assert assert_json(http.get(f"/api/v1/statuses/{t.root['id']}/hidden_replies")) == []


def test_hidden_replies_page_newest_first_with_link(http, make_user):
    op, rude, other = make_user("rcpgop"), make_user("rcpgrude"), make_user("rcpgother")
    root = post(http, op, "a story that drew a crowd")
    replies = [assert_json(reply(http, (rude, other)[i % 2], root, f"answer {i}"))
               for i in range(43)]
    for r in replies:
        assert_json(http.post(f"/api/v1/statuses/{r['id']}/hide", token=op.token))
    newest = [r["id"] for r in reversed(replies)]
    base = f"/api/v1/statuses/{root['id']}/hidden_replies"
    # 40 by default, as the descendants extension; Link next first
    first = http.get(base)
    assert ids(assert_json(first)) == newest[:40]
    assert first.headers["Link"].index('rel="next"') < first.headers["Link"].index('rel="prev"')
    assert f"max_id={newest[39]}" in first.links["next"]["url"]
    assert f"min_id={newest[0]}" in first.links["prev"]["url"]
    rest = http.get(first.links["next"]["url"])
    assert ids(assert_json(rest)) == newest[40:]
    assert ids(assert_json(http.get(rest.links["prev"]["url"]))) == newest[:40]
    # the cursors, each as everywhere
    assert ids(assert_json(http.get(f"{base}?limit=2"))) == newest[:2]
    assert ids(assert_json(http.get(f"{base}?limit=2&max_id={newest[1]}"))) == newest[2:4]
    assert ids(assert_json(http.get(f"{base}?limit=2&since_id={newest[5]}"))) == newest[:2]
    assert ids(assert_json(http.get(f"{base}?limit=2&min_id={newest[5]}"))) == newest[3:5]
    assert ids(assert_json(http.get(f"{base}?limit=1000"))) == newest  # at most 200
    # a reader's blocks apply, and a page is filled past what they hide
    reader = make_user("rcpgreader")
    reader.api.account_block(rude.id)
    theirs = [i for i in newest if i in {r["id"] for r in replies[1::2]}]
    assert ids(assert_json(http.get(f"{base}?limit=3", token=reader.token))) == theirs[:3]
    # and so do their hide filters for threads
    filterer = make_user("rcpgfilter")
    assert_json(http.post("/api/v2/filters", token=filterer.token, json={
        "title": "not this", "context": ["thread"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "answer 42"}]}))
    assert ids(assert_json(http.get(f"{base}?limit=3", token=filterer.token))) == newest[1:4]


def test_only_the_thread_author_may_hide(http, thread):
    t = thread
    assert_error(http.post(f"/api/v1/statuses/{t.bad['id']}/hide", token=t.other.token), 403,
                 contains="may hide a reply")
    assert_error(http.post(f"/api/v1/statuses/{t.root['id']}/hide", token=t.op.token), 422)
    assert_error(http.post("/api/v1/statuses/999999999999/hide", token=t.op.token), 404)
    assert_error(http.post(f"/api/v1/statuses/{t.bad['id']}/hide"), 401)
    assert assert_json(http.get(f"/api/v1/statuses/{t.root['id']}/hidden_replies")) == []
    # the author of the post a reply answers may hide it too
    assert_json(http.post(f"/api/v1/statuses/{t.under['id']}/hide", token=t.rude.token))
    assert t.under["id"] not in set(map(str, context_ids(http, t.root)))


def test_the_web_thread_page_leaves_hidden_replies_behind_a_link(server, http, thread):
    from bs4 import BeautifulSoup
    from test_web_auth import browser, sign_in

    t = thread
    assert_json(http.post(f"/api/v1/statuses/{t.bad['id']}/hide", token=t.op.token))

    def article_ids(html):
        return {a["data-id"] for a in BeautifulSoup(html, "html.parser").select("article.status")}

    r = http.get(t.root["url"])
    assert r.status_code == 200
    shown = article_ids(r.text)
    assert t.kind["id"] in shown and t.bad["id"] not in shown and t.under["id"] not in shown
    soup = BeautifulSoup(r.text, "html.parser")
    link = soup.select_one("p.hidden-replies a")
    assert link is not None and link.get_text() == "Hidden replies (1)"
    r = http.get(link["href"])
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    assert article_ids(r.text) == {t.bad["id"]}
    # es
    r = http.get(t.root["url"], headers={"Accept-Language": "es"})
    assert "Respuestas ocultas (1)" in r.text
    # at its own page still, and its author sees it in the thread
    assert http.get(t.bad["url"]).status_code == 200
    b = browser(server)
    assert sign_in(b, t.rude.name, t.rude.password).status_code in (302, 303)
    assert t.bad["id"] in article_ids(b.get(t.root["url"]).text)
    # unhidden: back in the thread, no link
    assert_json(http.post(f"/api/v1/statuses/{t.bad['id']}/unhide", token=t.op.token))
    r = http.get(t.root["url"])
    assert t.bad["id"] in article_ids(r.text) and "hidden-replies" not in r.text
