"""Issue 12 (Safety) on the web pages, signed in, without JavaScript:
block and mute from a profile, hide and unhide a reply from a thread, warn
filters folding posts, and the /filters page. Every form posts the CSRF
token; each calls the domain function the API calls, so the API is the
witness of what changed. Each test is a browser of its own (a
requests.Session)."""

import re
import secrets

import pytest
from bs4 import BeautifulSoup

from conftest import Http, assert_json
from test_web_auth import csrf_of, sign_in

BAD_TOKEN = "A" * 43


def web(server, user):
    """A browser signed in as user (a conftest User)."""
    b = Http(server.url)
    r = sign_in(b, user.name, user.password)
    assert r.status_code in (302, 303), r.text[:300]
    return b


def soup_of(r):
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    return BeautifulSoup(r.text, "html.parser")


def form_post(b, page_path, action, data=None, token=None):
    """Post the form whose action is action, found on page_path, with its
    CSRF token (or token instead, "" for none)."""
    page = b.get(page_path)
    assert page.status_code == 200, (page_path, page.status_code)
    soup = soup_of(page)
    form = soup.find("form", action=action)
    assert form is not None, f"no form to {action} on {page_path}"
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input", type="hidden")}
    if token is not None:
        fields.pop("csrf_token")
        if token:
            fields["csrf_token"] = token
    fields.update(data or {})
    return b.post(action, data=fields)


def relationship(user, other):
    return user.api.account_relationships(other.id)[0]


def word():
    return "w" + secrets.token_hex(6)


def article_ids(soup):
    return [a["data-id"] for a in soup.select("article.status")]


# ---- block and mute from a profile ---------------------------------------------

def test_block_from_a_profile_then_unblock(server, make_user):
    me, them = make_user("blocker"), make_user("blocked")
    w = word()
    post = them.api.status_post(f"Something to block {w}")
    b = web(server, me)
    home = soup_of(b.get("/"))
    assert str(post["id"]) in article_ids(home)

    r = form_post(b, f"/@{them.name}", f"/@{them.name}/block")
    assert r.status_code == 303, r.text[:300]
    assert r.headers["Location"] == f"/@{them.name}"
    assert relationship(me, them)["blocking"] is True

    # the profile says so and offers to undo it
    profile = soup_of(b.get(f"/@{them.name}"))
    unblock = profile.find("form", action=f"/@{them.name}/unblock")
    assert unblock and unblock.button.get("class") == ["secondary"], unblock
    assert not profile.find("form", action=f"/@{them.name}/block")
    assert "Blocked" in profile.select_one("section.relation").get_text()
    # what the API's rule hides is gone from the pages
    assert str(post["id"]) not in article_ids(soup_of(b.get("/")))
    assert str(post["id"]) not in article_ids(profile)

    r = form_post(b, f"/@{them.name}", f"/@{them.name}/unblock")
    assert r.status_code == 303
    assert relationship(me, them)["blocking"] is False
    assert str(post["id"]) in article_ids(soup_of(b.get("/")))


def test_mute_from_a_profile_then_unmute(server, make_user):
    me, them = make_user("muter"), make_user("muted")
    post = them.api.status_post(f"Something to mute {word()}")
    b = web(server, me)
    r = form_post(b, f"/@{them.name}", f"/@{them.name}/mute")
    assert r.status_code == 303 and r.headers["Location"] == f"/@{them.name}"
    rel = relationship(me, them)
    assert rel["muting"] is True and rel["muting_notifications"] is True
    profile = soup_of(b.get(f"/@{them.name}"))
    assert profile.find("form", action=f"/@{them.name}/unmute")
    assert "Muted" in profile.select_one("section.relation").get_text()
    assert str(post["id"]) not in article_ids(soup_of(b.get("/")))
    # a mute leaves the muted one's own profile readable (the API's rule)
    assert str(post["id"]) in article_ids(profile)

    assert form_post(b, f"/@{them.name}", f"/@{them.name}/unmute").status_code == 303
    assert relationship(me, them)["muting"] is False


def test_no_block_or_mute_buttons_on_ones_own_profile_or_signed_out(server, make_user):
    me, them = make_user("selfview"), make_user("other")
    b = web(server, me)
    own = soup_of(b.get(f"/@{me.name}"))
    assert own.select_one("section.relation") is None
    anon = soup_of(Http(server.url).get(f"/@{them.name}"))
    assert anon.select_one("section.relation") is None
    assert anon.find("form", action=f"/@{them.name}/block") is None


@pytest.mark.parametrize("token", ["", BAD_TOKEN])
@pytest.mark.parametrize("action", ["block", "mute"])
def test_block_and_mute_without_the_csrf_token_are_refused(server, make_user, token, action):
    me, them = make_user("csrfb"), make_user("csrft")
    b = web(server, me)
    r = form_post(b, f"/@{them.name}", f"/@{them.name}/{action}", token=token)
    assert r.status_code == 403
    assert "text/html" in r.headers["Content-Type"]
    rel = relationship(me, them)
    assert rel["blocking"] is False and rel["muting"] is False


def test_a_signed_out_block_goes_to_sign_in_and_changes_nothing(server, make_user):
    them = make_user("anonblk")
    b = Http(server.url)
    token = csrf_of(b.get("/auth/sign_in"))
    r = b.post(f"/@{them.name}/block", data={"csrf_token": token})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/auth/sign_in?return_to=%2F%40{them.name}"
    assert them.api.account_relationships(them.id)[0]["blocked_by"] is False


@pytest.mark.parametrize("action", ["block", "mute"])
def test_blocking_or_muting_oneself_is_refused_clearly(server, make_user, action):
    me = make_user("selfblock")
    b = web(server, me)
    token = csrf_of(b.get("/filters"))
    r = b.post(f"/@{me.name}/{action}", data={"csrf_token": token})
    assert r.status_code == 422
    assert "You cannot block or mute yourself" in r.text
    assert me.api.blocks() == [] and me.api.mutes() == []


def test_blocking_someone_unknown_is_not_found(server, make_user):
    me = make_user("blkghost")
    b = web(server, me)
    token = csrf_of(b.get("/filters"))
    assert b.post("/@nobody_at_all_here/block", data={"csrf_token": token}).status_code == 404


# ---- hiding a reply from a thread ------------------------------------------------

def thread(make_user):
    author, replier, other = make_user("thauthor"), make_user("threplier"), make_user("thother")
    root = author.api.status_post(f"A thread {word()}")
    reply = replier.api.status_post(f"A reply {word()}", in_reply_to_id=root["id"])
    return author, replier, other, root, reply


def hidden_ids(user, root):
    r = Http(user.api.api_base_url).get(f"/api/v1/statuses/{root['id']}/hidden_replies",
                                        token=user.token)
    return [s["id"] for s in assert_json(r)]


def test_the_thread_author_hides_a_reply_and_unhides_it(server, make_user):
    author, replier, _, root, reply = thread(make_user)
    b = web(server, author)
    path = f"/@{author.name}/{root['id']}"
    action = f"/@{replier.name}/{reply['id']}/hide"
    page = soup_of(b.get(path))
    assert page.find("form", action=action), "no Hide reply button for the thread's author"
    assert page.find("form", action=f"/@{author.name}/{root['id']}/hide") is None, \
        "the post itself is not a reply"

    r = form_post(b, path, action)
    assert r.status_code == 303, r.text[:300]
    assert r.headers["Location"] == path
    assert hidden_ids(author, root) == [str(reply["id"])]
    page = soup_of(b.get(path))
    assert str(reply["id"]) not in article_ids(page)
    link = page.select_one("p.hidden-replies a")
    assert link and link["href"] == f"{path}/hidden"

    hidden = soup_of(b.get(f"{path}/hidden"))
    assert str(reply["id"]) in article_ids(hidden)
    unhide = f"/@{replier.name}/{reply['id']}/unhide"
    assert hidden.find("form", action=unhide)
    r = form_post(b, f"{path}/hidden", unhide)
    assert r.status_code == 303 and r.headers["Location"] == f"{path}/hidden"
    assert hidden_ids(author, root) == []
    assert str(reply["id"]) in article_ids(soup_of(b.get(path)))


def test_only_the_author_sees_the_hide_buttons(server, make_user):
    author, replier, other, root, reply = thread(make_user)
    path = f"/@{author.name}/{root['id']}"
    for user in (replier, other):
        page = soup_of(web(server, user).get(path))
        assert not page.select('form[action$="/hide"]'), user.name
    assert not soup_of(Http(server.url).get(path)).select('form[action$="/hide"]')


def test_hiding_someone_elses_reply_is_refused_and_changes_nothing(server, make_user):
    author, replier, other, root, reply = thread(make_user)
    b = web(server, other)
    token = csrf_of(b.get("/filters"))
    r = b.post(f"/@{replier.name}/{reply['id']}/hide",
               data={"csrf_token": token, "return_to": f"/@{author.name}/{root['id']}"})
    assert r.status_code == 403
    assert "You cannot hide this reply" in r.text
    assert hidden_ids(author, root) == []


def test_hiding_a_post_that_is_not_a_reply_is_refused(server, make_user):
    author, _, _, root, _ = thread(make_user)
    b = web(server, author)
    token = csrf_of(b.get("/filters"))
    r = b.post(f"/@{author.name}/{root['id']}/hide", data={"csrf_token": token})
    assert r.status_code == 422
    assert "not a reply" in r.text


@pytest.mark.parametrize("token", ["", BAD_TOKEN])
def test_hiding_without_the_csrf_token_is_refused(server, make_user, token):
    author, replier, _, root, reply = thread(make_user)
    b = web(server, author)
    r = form_post(b, f"/@{author.name}/{root['id']}",
                  f"/@{replier.name}/{reply['id']}/hide", token=token)
    assert r.status_code == 403
    assert hidden_ids(author, root) == []


def test_a_signed_out_hide_goes_to_sign_in(server, make_user):
    author, replier, _, root, reply = thread(make_user)
    b = Http(server.url)
    token = csrf_of(b.get("/auth/sign_in"))
    back = f"/@{author.name}/{root['id']}"
    r = b.post(f"/@{replier.name}/{reply['id']}/hide",
               data={"csrf_token": token, "return_to": back})
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/auth/sign_in?return_to=")
    assert hidden_ids(author, root) == []


def test_return_to_never_leaves_the_site(server, make_user):
    author, replier, _, root, reply = thread(make_user)
    b = web(server, author)
    token = csrf_of(b.get("/filters"))
    r = b.post(f"/@{replier.name}/{reply['id']}/hide",
               data={"csrf_token": token, "return_to": "//evil.example/"})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/@{replier.name}/{reply['id']}"


# ---- the filters page ----------------------------------------------------------

def api_filters(user):
    r = Http(user.api.api_base_url).get("/api/v2/filters", token=user.token)
    return assert_json(r)


FORM = {
    "title": "Spoilers",
    "keywords": "dragon, ending\nfinale",
    "whole_word": "1",
    "context": ["home", "public"],
    "filter_action": "warn",
    "expires_in": "3600",
}


def test_signed_out_filters_page_goes_to_sign_in(server):
    r = Http(server.url).get("/filters")
    assert r.status_code in (302, 303)
    assert r.headers["Location"] == "/auth/sign_in?return_to=%2Ffilters"


def test_the_navigation_links_to_filters_when_signed_in(server, make_user):
    b = web(server, make_user("navf"))
    assert soup_of(b.get("/about")).select_one('header.site a[href="/filters"]')
    assert not soup_of(Http(server.url).get("/about")).select_one('a[href="/filters"]')


def test_create_a_filter_from_the_page_and_delete_it(server, make_user):
    me = make_user("filterer")
    b = web(server, me)
    page = b.get("/filters")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    r = form_post(b, "/filters", "/filters", FORM)
    assert r.status_code == 303, r.text[:500]
    assert r.headers["Location"] == "/filters"
    [f] = api_filters(me)
    assert f["title"] == "Spoilers"
    assert sorted(f["context"]) == ["home", "public"]
    assert f["filter_action"] == "warn"
    assert f["expires_at"]
    assert sorted(k["keyword"] for k in f["keywords"]) == ["dragon", "ending", "finale"]
    assert all(k["whole_word"] for k in f["keywords"])

    listed = soup_of(b.get("/filters")).select_one("ul.filters li.filter")
    text = listed.get_text(" ")
    for s in ("Spoilers", "dragon", "finale", "Home timeline", "Fold behind a warning"):
        assert s in text, (s, text)
    assert listed.find("time")

    r = form_post(b, "/filters", f"/filters/{f['id']}/delete")
    assert r.status_code == 303 and r.headers["Location"] == "/filters"
    assert api_filters(me) == []
    assert soup_of(b.get("/filters")).select_one("ul.filters") is None


def test_a_filter_without_keywords_or_whole_word_is_as_the_api_makes_it(server, make_user):
    me = make_user("filterer2")
    b = web(server, me)
    data = dict(FORM, keywords="  cats ,, dogs  ", filter_action="hide", expires_in="")
    data.pop("whole_word")
    assert form_post(b, "/filters", "/filters", data).status_code == 303
    [f] = api_filters(me)
    assert f["filter_action"] == "hide" and f["expires_at"] is None
    assert sorted((k["keyword"], k["whole_word"]) for k in f["keywords"]) == \
        [("cats", False), ("dogs", False)]


@pytest.mark.parametrize("change,field,message", [
    ({"title": ""}, "f-title", "Give the filter a title."),
    ({"title": "x" * 257}, "f-title", "Use at most 256 characters for the title."),
    ({"context": []}, None, "Choose at least one place to filter."),
    ({"context": ["home", "elsewhere"]}, None, "Choose places from the list."),
    ({"filter_action": "explode"}, "f-action", "Choose an action from the list."),
    ({"expires_in": "soon"}, "f-expires", "Choose when the filter ends from the list."),
    ({"expires_in": "-5"}, "f-expires", "Choose when the filter ends from the list."),
    ({"keywords": "k" * 513}, "f-keywords", "Each keyword may be at most 512 bytes long."),
])
def test_an_invalid_filter_shows_the_form_again_with_the_error(server, make_user, change,
                                                               field, message):
    me = make_user("badfilter")
    b = web(server, me)
    r = form_post(b, "/filters", "/filters", dict(FORM, **change))
    assert r.status_code == 422, r.text[:300]
    soup = soup_of(r)
    err = soup.select_one("#filter-error")
    assert err is not None and err.get_text() == message
    assert err.get("role") == "alert"
    if field:
        assert soup.select_one(f"#{field}")["aria-invalid"] == "true"
    # what was typed is kept
    if "keywords" not in change:
        assert "finale" in soup.select_one("#f-keywords").get_text()
    assert api_filters(me) == []


@pytest.mark.parametrize("token", ["", BAD_TOKEN])
def test_filter_forms_without_the_csrf_token_are_refused(server, make_user, token):
    me = make_user("csrffilter")
    b = web(server, me)
    r = form_post(b, "/filters", "/filters", FORM, token=token)
    assert r.status_code == 403
    assert api_filters(me) == []
    assert form_post(b, "/filters", "/filters", FORM).status_code == 303
    [f] = api_filters(me)
    r = form_post(b, "/filters", f"/filters/{f['id']}/delete", token=token)
    assert r.status_code == 403
    assert len(api_filters(me)) == 1


def test_signed_out_filter_posts_go_to_sign_in(server):
    b = Http(server.url)
    token = csrf_of(b.get("/auth/sign_in"))
    r = b.post("/filters", data=dict(FORM, csrf_token=token))
    assert r.status_code == 303
    assert r.headers["Location"] == "/auth/sign_in?return_to=%2Ffilters"


def test_nobody_deletes_anothers_filter(server, make_user):
    owner, other = make_user("fowner"), make_user("fother")
    b = web(server, owner)
    assert form_post(b, "/filters", "/filters", FORM).status_code == 303
    [f] = api_filters(owner)
    ob = web(server, other)
    token = csrf_of(ob.get("/filters"))
    assert ob.post(f"/filters/{f['id']}/delete", data={"csrf_token": token}).status_code == 404
    assert len(api_filters(owner)) == 1


def test_a_filter_title_is_escaped(server, make_user):
    me = make_user("escfilter")
    b = web(server, me)
    title = '<script>alert(1)</script>"x'
    assert form_post(b, "/filters", "/filters", dict(FORM, title=title)).status_code == 303
    page = b.get("/filters").text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;x" in page


# ---- warn filters fold posts on the pages ------------------------------------------

def make_filter(b, keyword, contexts, action="warn", title=None):
    data = dict(FORM, title=title or f"About {keyword}", keywords=keyword,
                context=contexts, filter_action=action, expires_in="")
    assert form_post(b, "/filters", "/filters", data).status_code == 303


def folded(soup, status_id):
    """The filter title a post is folded under on the page, or None; the
    post must be on it."""
    art = soup.select_one(f'article[data-id="{status_id}"]')
    assert art is not None, f"{status_id} is not on the page"
    box = art.find_parent("details", class_="filtered")
    if box is None:
        return None
    return box.find("summary").get_text()


def test_a_warn_filter_folds_matching_posts_where_it_applies(server, make_user):
    me, them = make_user("reader"), make_user("poster")
    w = word()
    post = them.api.status_post(f"Big news about {w} today")
    other = them.api.status_post(f"Nothing to see {word()}")
    b = web(server, me)
    assert folded(soup_of(b.get("/")), post["id"]) is None
    make_filter(b, w, ["public", "account", "thread"], title="Noise")
    home = soup_of(b.get("/"))
    assert folded(home, post["id"]) == "Filtered: Noise"
    assert folded(home, other["id"]) is None
    assert folded(soup_of(b.get(f"/@{them.name}")), post["id"]) == "Filtered: Noise"
    assert folded(soup_of(b.get("/explore")), post["id"]) == "Filtered: Noise"
    # a reader without the filter, or signed out, sees it open
    assert folded(soup_of(Http(server.url).get("/")), post["id"]) is None
    assert folded(soup_of(web(server, them).get("/")), post["id"]) is None


def test_a_filter_of_another_context_does_not_fold(server, make_user):
    me, them = make_user("reader2"), make_user("poster2")
    w = word()
    post = them.api.status_post(f"Elsewhere {w}")
    b = web(server, me)
    make_filter(b, w, ["notifications"])
    assert folded(soup_of(b.get("/")), post["id"]) is None
    assert folded(soup_of(b.get(f"/@{them.name}")), post["id"]) is None


def test_each_page_folds_in_its_own_context(server, make_user):
    """A profile is read in "account", the front page in "public" (its
    lists are the local timeline and the day's threads, as in the API)."""
    me, them = make_user("reader6"), make_user("poster6")
    w = word()
    post = them.api.status_post(f"Contexts {w}")
    b = web(server, me)
    make_filter(b, w, ["account"], title="Profile only")
    assert folded(soup_of(b.get(f"/@{them.name}")), post["id"]) == "Filtered: Profile only"
    assert folded(soup_of(b.get("/")), post["id"]) is None
    make_filter(b, w, ["home"], title="Home only")
    assert folded(soup_of(b.get("/")), post["id"]) is None


def test_a_blur_filter_folds_and_a_hide_filter_removes(server, make_user):
    me, them = make_user("reader3"), make_user("poster3")
    wb, wh = word(), word()
    blurred = them.api.status_post(f"Blur {wb}")
    hidden = them.api.status_post(f"Hide {wh}")
    b = web(server, me)
    make_filter(b, wb, ["public"], action="blur", title="Blurry")
    make_filter(b, wh, ["public"], action="hide")
    home = soup_of(b.get("/"))
    assert folded(home, blurred["id"]) == "Filtered: Blurry"
    assert str(hidden["id"]) not in article_ids(home)


def test_a_warn_filter_folds_replies_on_a_thread_page_but_not_the_post_opened(
        server, make_user):
    me, them = make_user("reader4"), make_user("poster4")
    w = word()
    root = them.api.status_post(f"Root {w}")
    reply = them.api.status_post(f"Reply {w}", in_reply_to_id=root["id"])
    b = web(server, me)
    make_filter(b, w, ["thread"], title="Threadish")
    page = soup_of(b.get(f"/@{them.name}/{root['id']}"))
    assert folded(page, reply["id"]) == "Filtered: Threadish"
    assert folded(page, root["id"]) is None


def test_the_fold_is_in_the_readers_language_and_escaped(server, make_user):
    me, them = make_user("reader5"), make_user("poster5")
    w = word()
    post = them.api.status_post(f"Hola {w}")
    b = web(server, me)
    make_filter(b, w, ["public"], title="<b>ruido</b>")
    r = b.get("/", headers={"Accept-Language": "es"})
    assert "<b>ruido</b>" not in r.text
    assert folded(soup_of(r), post["id"]) == "Filtrado: <b>ruido</b>"
