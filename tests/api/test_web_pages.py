"""The public web pages: every link a Status carries (url, hashtag and
mention hrefs) opens a real page, pages show what the API would show an
anonymous reader and nothing more, hostile text renders inert, and the
page machinery (errors, ETag, cache, assets, oEmbed) behaves.

The browser-level tests (JavaScript, accessibility, screenshots) live in
tests/web/; these read the HTML the server sends.
"""

import re
import secrets

import pytest
import requests
from bs4 import BeautifulSoup

from mastodon import Mastodon

from conftest import DEFAULT_SCOPES, ChorusServer, chorus_bin, logged_in_user, unique_name


def get(base_url, path, **kw):
    kw.setdefault("timeout", 30)
    kw.setdefault("allow_redirects", False)
    return requests.get(base_url + path if path.startswith("/") else path, **kw)


def page(base_url, path, status=200, **kw):
    r = get(base_url, path, **kw)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    return BeautifulSoup(r.text, "html.parser"), r


def article_ids(soup):
    return [a["data-id"] for a in soup.select("article.status")]


def word():
    return "w" + secrets.token_hex(6)


# ---- every link of a Status opens a page ---------------------------------

def test_status_url_opens_its_thread_page(base_url, alice):
    w = word()
    s = alice.api.status_post(f"A page for everyone {w} #pagetest")
    soup, r = page(base_url, s["url"])
    focus = soup.select_one("article.status.focus")
    assert focus is not None and focus["data-id"] == str(s["id"])
    assert w in focus.select_one("div.content").get_text()
    assert soup.html["lang"]
    # the profile link in the post, and the mention/tag links in content
    for a in focus.select("a.author"):
        page(base_url, a["href"])
    canonical = soup.find("link", rel="canonical")["href"]
    assert canonical == s["url"]


def test_uri_and_boost_urls_lead_to_the_post(base_url, alice, bob):
    s = alice.api.status_post("boost me " + word())
    r = get(base_url, s["uri"])
    assert r.status_code in (301, 302) and r.headers["Location"] == s["url"]
    b = bob.api.status_reblog(s["id"])
    r = get(base_url, f"/@bob/{b['id']}")
    assert r.status_code in (301, 302) and r.headers["Location"] == s["url"]
    # a wrong name in the path is corrected, not served twice
    r = get(base_url, f"/@bob/{s['id']}")
    assert r.status_code in (301, 302) and r.headers["Location"] == s["url"]


def test_profile_page_shows_the_account_and_its_posts(base_url, make_user, alice):
    u = make_user("prof")
    u.api.account_update_credentials(display_name="Dana Profile", note="I was heard.",
                                     fields=[("Pronouns", "she/her")])
    w = word()
    post = u.api.status_post(f"my story {w}")
    other = alice.api.status_post("someone else's post " + w)
    reply = u.api.status_post(f"a reply {w}", in_reply_to_id=other["id"])
    u.api.status_pin(post["id"])
    soup, _ = page(base_url, f"/@{u.name}")
    assert "Dana Profile" in soup.h1.get_text()
    assert "I was heard." in soup.select_one(".bio").get_text()
    assert soup.find("dt", string="Pronouns") is not None
    ids = article_ids(soup)
    assert str(post["id"]) in ids  # pinned and in the list
    assert str(reply["id"]) not in ids  # Posts tab: no replies to others
    soup, _ = page(base_url, f"/@{u.name}/with_replies")
    assert str(reply["id"]) in article_ids(soup)
    assert soup.select_one('nav.tabs a[aria-current="page"]')["href"].endswith("/with_replies")
    soup, _ = page(base_url, f"/@{u.name}/media")
    assert article_ids(soup) == []


def test_profile_pages_older_posts_by_links(base_url, make_user):
    u = make_user("pager")
    posted = [u.api.status_post(f"post {i} {word()}")["id"] for i in range(25)]
    soup, _ = page(base_url, f"/@{u.name}")
    first = article_ids(soup)
    assert first[:20] == [str(i) for i in reversed(posted)][:20]
    nxt = soup.find("a", rel="next")
    assert nxt is not None
    soup, _ = page(base_url, nxt["href"])
    assert article_ids(soup) == [str(i) for i in reversed(posted)][20:]
    assert soup.find("a", rel="next") is None


# ---- threads --------------------------------------------------------------

def test_thread_nests_replies_and_pages_through_more_replies(base_url, alice, bob):
    root = alice.api.status_post("root of a long thread " + word())
    first = bob.api.status_post("first answer", in_reply_to_id=root["id"])
    nested = alice.api.status_post("answer to the answer", in_reply_to_id=first["id"])
    for i in range(58):
        bob.api.status_post(f"voice {i}", in_reply_to_id=root["id"])
    soup, _ = page(base_url, root["url"])
    # the nested reply sits in a list inside the first reply's item
    li = soup.find("article", attrs={"data-id": str(first["id"])}).parent
    assert li.name == "li"
    inner = li.select_one(":scope > ol.replies article.status")
    assert inner["data-id"] == str(nested["id"])
    seen = [i for i in article_ids(soup) if i != str(root["id"])]
    more = soup.select_one("a.more-replies")
    assert more is not None
    while more is not None:
        soup, _ = page(base_url, more["href"])
        seen += [i for i in article_ids(soup) if i != str(root["id"])]
        more = soup.select_one("a.more-replies")
    api = requests.get(f"{base_url}/api/v1/statuses/{root['id']}/context/descendants",
                       params={"limit": 80}, timeout=30).json()
    assert seen == [d["id"] for d in api]
    assert len(seen) == 60


def test_thread_shows_ancestors_above_the_post(base_url, alice, bob):
    a = alice.api.status_post("ancestor " + word())
    b = bob.api.status_post("middle", in_reply_to_id=a["id"])
    soup, _ = page(base_url, b["url"])
    anc = soup.select("section.ancestors article.status")
    assert [x["data-id"] for x in anc] == [str(a["id"])]


# ---- visibility: the pages go through the same rule as the API ------------

def test_private_and_direct_posts_are_hidden_from_the_pages(base_url, make_user):
    u = make_user("vis")
    w = word()
    public = u.api.status_post(f"public {w}")
    private = u.api.status_post(f"followers only {w}", visibility="private")
    direct = u.api.status_post(f"@alice direct {w}", visibility="direct")
    unlisted = u.api.status_post(f"unlisted {w}", visibility="unlisted")
    for s in (private, direct):
        soup, _ = page(base_url, s["url"], status=404)
        assert w not in soup.get_text()
    soup, _ = page(base_url, unlisted["url"])  # by link, as in the API
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    soup, _ = page(base_url, f"/@{u.name}/with_replies")
    ids = article_ids(soup)
    assert str(public["id"]) in ids
    assert str(private["id"]) not in ids and str(direct["id"]) not in ids
    assert "followers only" not in soup.get_text()


def test_search_page_finds_public_posts_only(base_url, make_user):
    u = make_user("srch")
    w = word()
    public = u.api.status_post(f"searchable {w}")
    private = u.api.status_post(f"secret {w}", visibility="private")
    soup, _ = page(base_url, f"/search?q={w}")
    ids = article_ids(soup)
    assert str(public["id"]) in ids and str(private["id"]) not in ids
    soup, _ = page(base_url, f"/search?q={u.name}")
    assert soup.select_one(f'a.author[href="/@{u.name}"]') is not None


# ---- hostile text renders inert --------------------------------------------

PAYLOADS = [
    '<script>window.__pwned=1</script>',
    '"><img src=x onerror="window.__pwned=1">',
    "'><svg onload=alert(1)>",
    'javascript:alert(1)',
    '</textarea></title><script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
]


def assert_inert(soup, asset_prefix="/assets/"):
    for s in soup.find_all("script"):
        assert s.get("src", "").startswith(asset_prefix) and not s.string, s
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (tag.name, attr)
            if attr in ("href", "src", "action", "poster", "formaction"):
                v = value if isinstance(value, str) else " ".join(value)
                assert not v.strip().lower().startswith("javascript:"), (tag, attr)
    for t in ("iframe", "object", "embed", "base", "form"):
        for el in soup.find_all(t):
            assert t == "form" and el.get("action", "").startswith("/"), el


def test_hostile_profile_and_posts_render_inert(base_url, make_user):
    u = make_user("evil")
    p = " ".join(PAYLOADS)
    u.api.account_update_credentials(display_name=PAYLOADS[1][:30], note=p,
                                     fields=[(PAYLOADS[0][:40], PAYLOADS[3]),
                                             ("site", PAYLOADS[5])])
    s = u.api.status_post(p, spoiler_text=PAYLOADS[4])
    reply = u.api.status_post(PAYLOADS[2], in_reply_to_id=s["id"])
    for path in (f"/@{u.name}", f"/@{u.name}/with_replies", s["url"], reply["url"],
                 f"/search?q={PAYLOADS[0]}", "/explore", "/"):
        soup, _ = page(base_url, path)
        assert_inert(soup)
    soup, _ = page(base_url, s["url"])
    # the text survives, as text
    assert "window.__pwned=1" in soup.select_one("article.focus").get_text()
    assert PAYLOADS[4] in soup.select_one("details.cw summary").get_text()


def test_content_warning_folds_the_post(base_url, alice):
    s = alice.api.status_post("behind the warning " + word(), spoiler_text="assault")
    soup, _ = page(base_url, s["url"])
    details = soup.select_one("article.focus details.cw")
    assert details is not None and not details.has_attr("open")
    assert "assault" in details.summary.get_text()
    assert "behind the warning" in details.select_one("div.content").get_text()


# ---- machinery ------------------------------------------------------------

def test_pages_carry_the_security_headers(base_url):
    _, r = page(base_url, "/")
    csp = r.headers["Content-Security-Policy"]
    for d in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
              "base-uri 'none'", "frame-ancestors 'none'"):
        assert d in csp
    assert "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_errors_are_pages_for_browsers_and_json_for_the_api(base_url, alice):
    soup, _ = page(base_url, "/no-such-page", status=404)
    assert soup.h1 is not None
    page(base_url, "/@nobody_at_all", status=404)
    page(base_url, "/@alice/99999999999", status=404)
    page(base_url, "/@alice/not-an-id", status=400)
    page(base_url, "/@alice?max_id=zzz", status=400)
    r = get(base_url, "/api/v1/no-such-endpoint")
    assert r.status_code == 404 and r.json()["error"]
    r = get(base_url, "/%ff%fe")
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/html")


def test_etag_answers_304_and_a_new_post_shows_at_once(base_url, make_user):
    u = make_user("etag")
    u.api.status_post("first " + word())
    soup, r = page(base_url, f"/@{u.name}")
    etag = r.headers["ETag"]
    r2 = get(base_url, f"/@{u.name}", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and not r2.content
    # served from the page cache the second time: the same bytes
    _, r3 = page(base_url, f"/@{u.name}")
    assert r3.text == r.text
    s = u.api.status_post("second " + word())
    soup, r4 = page(base_url, f"/@{u.name}")
    assert str(s["id"]) in article_ids(soup)
    assert r4.headers["ETag"] != etag
    # an edit, which publishes no new post, still shows at once
    u.api.status_update(s["id"], status="second, edited " + word())
    soup, _ = page(base_url, f"/@{u.name}")
    assert "second, edited" in soup.get_text()


def test_assets_are_immutable_and_named_by_their_hash(base_url):
    soup, _ = page(base_url, "/about")
    css = soup.find("link", rel="stylesheet")["href"]
    js = soup.find("script")["src"]
    assert re.fullmatch(r"/assets/chorus\.[0-9a-f]{16}\.css", css)
    for path, ctype in ((css, "text/css"), (js, "text/javascript")):
        r = get(base_url, path)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype)
        assert "immutable" in r.headers["Cache-Control"]
    page(base_url, "/assets/chorus.0000000000000000.css", status=404)


def test_open_graph_and_oembed(base_url, alice):
    s = alice.api.status_post("shared far and wide " + word())
    soup, _ = page(base_url, s["url"])
    meta = {m.get("property") or m.get("name"): m["content"] for m in soup.find_all("meta")
            if m.get("content")}
    assert meta["og:type"] == "article"
    assert "shared far and wide" in meta["og:description"]
    assert meta["og:url"] == s["url"]
    assert meta["twitter:card"] in ("summary", "summary_large_image")
    oembed = soup.find("link", type="application/json+oembed")["href"]
    j = requests.get(oembed, timeout=30).json()
    assert j["type"] == "rich" and j["version"] == "1.0"
    assert f'{s["url"]}/embed' in j["html"]
    embed = get(base_url, s["url"] + "/embed")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "shared far and wide" in embed.text
    private = alice.api.status_post("not for embedding", visibility="private")
    r = get(base_url, "/api/oembed", params={"url": private["url"]})
    assert r.status_code == 404
    assert get(base_url, private["url"] + "/embed").status_code == 404


def test_pages_and_assets_are_gzipped_for_clients_that_ask(base_url, alice):
    s = alice.api.status_post("compress me " + word())
    plain = get(base_url, s["url"], headers={"Accept-Encoding": "identity"})
    gz = get(base_url, s["url"], headers={"Accept-Encoding": "gzip, br"})
    refused = get(base_url, s["url"], headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in plain.headers
    assert "Content-Encoding" not in refused.headers
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gz.text == plain.text  # requests decodes it
    assert gz.headers["ETag"] != plain.headers["ETag"]
    assert "Accept-Encoding" in gz.headers["Vary"]
    for etag, enc in ((gz.headers["ETag"], "gzip"), (plain.headers["ETag"], "identity")):
        r = get(base_url, s["url"], headers={"Accept-Encoding": enc, "If-None-Match": etag})
        assert r.status_code == 304
    soup = BeautifulSoup(plain.text, "html.parser")
    css = soup.find("link", rel="stylesheet")["href"]
    r = get(base_url, css, headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and "color-scheme" in r.text


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory):
    """A server of its own: the busiest threads of the day are counted
    over every test's posts on the shared one."""
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("quiet"))
    for name in ("quinn", "rosa", "sami"):
        srv.create_user(name, f"{name}@example.com", f"{name}-secret-pw")
    srv.start()
    yield srv
    assert srv.stop() == 0


def test_front_page_shows_the_busiest_threads_and_invites_to_join(quiet_server):
    srv = quiet_server
    app = Mastodon.create_app("web-tests", scopes=DEFAULT_SCOPES, api_base_url=srv.url)
    quinn, rosa, sami = (logged_in_user(srv, n, f"{n}@example.com", f"{n}-secret-pw", app)
                         for n in ("quinn", "rosa", "sami"))
    quiet = quinn.api.status_post("one answer " + word())
    rosa.api.status_post("just one", in_reply_to_id=quiet["id"])
    busy_root = quinn.api.status_post("a thread people answer " + word())
    for i in range(4):
        (rosa if i % 2 else sami).api.status_post(f"answer {i}", in_reply_to_id=busy_root["id"])
    hidden = sami.api.status_post("followers only, much answered", visibility="private")
    for i in range(6):
        sami.api.status_post(f"to myself {i}", in_reply_to_id=hidden["id"])
    soup, _ = page(srv.url, "/")
    busy = soup.select_one('section[aria-labelledby="busy-h"]')
    # most replies first; a thread the reader may not see is left out
    assert article_ids(busy) == [str(busy_root["id"]), str(quiet["id"])]
    assert soup.select_one('a[href="/auth/sign_up"]') is not None
    assert soup.select_one('a[href="/auth/sign_in"]') is not None
    soup, _ = page(srv.url, "/about")
    assert soup.h1 is not None and soup.find("ul", class_="stats") is not None

def test_the_rules_are_one_list_for_apps_and_the_about_page(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path, config=(
        "[instance]\nrules = No harassment. |  Content warnings for violence <b>please</b> | \n"))
    srv.start()
    try:
        want = ["No harassment.", "Content warnings for violence <b>please</b>"]
        rules = requests.get(f"{srv.url}/api/v1/instance/rules", timeout=10).json()
        assert [r["text"] for r in rules] == want and [r["id"] for r in rules] == ["1", "2"]
        assert requests.get(f"{srv.url}/api/v2/instance", timeout=10).json()["rules"] == rules
        assert requests.get(f"{srv.url}/api/v1/instance", timeout=10).json()["rules"] == rules
        soup, _ = page(srv.url, "/about")
        assert [li.get_text() for li in soup.select("ol.rules li")] == want
        assert soup.select_one("ol.rules b") is None  # text, not markup
    finally:
        assert srv.stop() == 0


def test_a_thread_shows_each_reader_only_what_they_may_see(server, make_user):
    """Ancestors and replies pass the visibility rule one by one: a
    followers-only post in the middle of a thread is there for a follower
    signed in through the browser, and for nobody else."""
    from test_web_auth import browser, sign_in

    author, fan, reader = make_user("thrvis"), make_user("thrfan"), make_user("thrread")
    fan.api.account_follow(author.id)
    root = author.api.status_post("a public start " + word())
    hidden = author.api.status_post("followers only middle", in_reply_to_id=root["id"],
                                    visibility="private")
    leaf = fan.api.status_post("a public answer", in_reply_to_id=hidden["id"])
    # anonymous, and a signed-in reader who does not follow: no trace
    for who in (None, reader):
        b = browser(server)
        if who:
            assert sign_in(b, who.name, who.password).status_code in (302, 303)
        for path in (leaf["url"], root["url"]):
            r = b.get(path)
            assert r.status_code == 200
            assert "followers only middle" not in r.text
            assert f'data-id="{hidden["id"]}"' not in r.text
        assert b.get(hidden["url"]).status_code == 404
    # the follower sees the whole thread
    b = browser(server)
    assert sign_in(b, fan.name, fan.password).status_code in (302, 303)
    r = b.get(leaf["url"])
    soup = BeautifulSoup(r.text, "html.parser")
    assert [a["data-id"] for a in soup.select("section.ancestors article.status")] == \
        [str(root["id"]), str(hidden["id"])]
    assert b.get(hidden["url"]).status_code == 200
