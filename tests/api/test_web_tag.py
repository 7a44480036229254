"""The hashtag page /tags/NAME and the RSS feeds (/tags/NAME.rss,
/@name.rss): what an anonymous reader may see and nothing more, the day's
counts, the month's SVG chart (well-formed, labelled, thirty days), paging
by max_id, real error pages, and hostile text rendered inert in HTML and
in RSS alike.
"""

import re
import secrets
import xml.etree.ElementTree as ET

import requests
from bs4 import BeautifulSoup

SVG = "{http://www.w3.org/2000/svg}"


def get(base_url, path, **kw):
    kw.setdefault("timeout", 30)
    kw.setdefault("allow_redirects", False)
    return requests.get(base_url + path if path.startswith("/") else path, **kw)


def page(base_url, path, status=200):
    r = get(base_url, path)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    return BeautifulSoup(r.text, "html.parser"), r


def tag():
    return "t" + secrets.token_hex(5)


def feed_ids(soup):
    feed = soup.select_one('div.feed[data-stream="hashtag"]')
    assert feed is not None
    return [a["data-id"] for a in feed.select("article.status")]


def rss(base_url, path):
    r = get(base_url, path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.find("channel"), r


def chart_svg(text):
    m = re.search(r"<svg\b.*?</svg>", text, re.S)
    assert m, "no svg"
    return ET.fromstring(m.group(0))


# ---- what the page lists -------------------------------------------------

def test_tag_page_lists_what_the_api_shows_anonymous_readers(base_url, alice, bob, anon):
    t = tag()
    pub = alice.api.status_post(f"public #{t}", visibility="public")
    unl = alice.api.status_post(f"unlisted #{t}", visibility="unlisted")
    priv = alice.api.status_post(f"private #{t}", visibility="private")
    dm = alice.api.status_post(f"@bob direct #{t}", visibility="direct")
    pub2 = bob.api.status_post(f"also public #{t}", visibility="public")
    soup, r = page(base_url, f"/tags/{t}")
    ids = feed_ids(soup)
    api_ids = [str(s["id"]) for s in anon.timeline_hashtag(t)]
    assert ids == api_ids == [str(pub2["id"]), str(pub["id"])]
    for hidden in (unl, priv, dm):
        assert str(hidden["id"]) not in r.text
    assert "private #" not in r.text and "direct #" not in r.text
    assert soup.h1.get_text() == f"#{t}"
    feed = soup.select_one('div.feed[data-stream="hashtag"]')
    assert feed["data-tag"] == t
    alt = soup.find("link", rel="alternate", type="application/rss+xml")
    assert alt["href"].endswith(f"/tags/{t}.rss")
    assert soup.find("link", rel="canonical")["href"].endswith(f"/tags/{t}")
    assert soup.find("meta", property="og:title")["content"] == f"#{t}"
    assert soup.find("meta", property="og:description")["content"]


def test_display_name_is_the_spelling_most_used(base_url, alice):
    t = tag()
    alice.api.status_post(f"#{t} first")
    for _ in range(2):
        alice.api.status_post(f"#{t.upper()} again")
    soup, _ = page(base_url, f"/tags/{t}")
    assert soup.h1.get_text() == f"#{t.upper()}"


def test_counts_today_are_public_posts_and_distinct_people(base_url, alice, bob):
    t = tag()
    alice.api.status_post(f"one #{t}")
    alice.api.status_post(f"two #{t}")
    bob.api.status_post(f"three #{t}")
    alice.api.status_post(f"quiet #{t}", visibility="private")
    soup, _ = page(base_url, f"/tags/{t}")
    stats = [li.strong.get_text() for li in soup.select("ul.tag-stats li")]
    assert stats == ["3", "2"]
    text = soup.select_one("ul.tag-stats").get_text(" ")
    assert "posts today" in text and "people today" in text


def test_chart_is_well_formed_labelled_svg_of_thirty_days(base_url, alice, bob):
    t = tag()
    alice.api.status_post(f"a #{t}")
    bob.api.status_post(f"b #{t}")
    bob.api.status_post(f"c #{t}")
    r = get(base_url, f"/tags/{t}")
    svg = chart_svg(r.text)
    assert svg.get("role") == "img"
    assert svg.get("viewBox", "").startswith("0 0 ")
    assert svg.get("width") is None and svg.get("height") is None
    assert "chart" in svg.get("class").split()
    labelled = svg.get("aria-labelledby").split()
    ids = {e.get("id"): e for e in svg.iter() if e.get("id")}
    assert len(labelled) == 2 and all(i in ids for i in labelled)
    assert ids[labelled[0]].tag == SVG + "title"
    assert t in ids[labelled[0]].text
    assert ids[labelled[1]].tag == SVG + "desc"
    bars = svg.findall(f".//{SVG}g[@class='posts']/{SVG}rect")
    assert len(bars) == 30
    heights = [int(b.get("height")) for b in bars]
    assert heights[-1] == max(heights) > 0 and heights[:-1] == [0] * 29
    assert svg.find(f".//{SVG}polyline[@class='voices']") is not None
    # the same numbers for screen readers
    soup = BeautifulSoup(r.text, "html.parser")
    rows = soup.select("table.sr-only tbody tr")
    assert len(rows) == 30
    assert [td.get_text() for td in rows[-1].select("td")] == ["3", "2"]


def test_busiest_threads_of_the_tag(base_url, alice, bob):
    t = tag()
    root = alice.api.status_post(f"tell your story #{t}")
    quiet = alice.api.status_post(f"another #{t}")
    for i in range(3):
        bob.api.status_post(f"my story {i}", in_reply_to_id=root["id"])
    bob.api.status_post("me too", in_reply_to_id=quiet["id"])
    soup, _ = page(base_url, f"/tags/{t}")
    busy = soup.select_one("div.feed.busiest")
    assert busy is not None
    ids = [a["data-id"] for a in busy.select("article.status")]
    assert ids[:2] == [str(root["id"]), str(quiet["id"])]


def test_paging_with_max_id(base_url, alice):
    t = tag()
    posted = [alice.api.status_post(f"n{i} #{t}")["id"] for i in range(23)]
    newest_first = [str(i) for i in reversed(posted)]
    soup, _ = page(base_url, f"/tags/{t}")
    first = feed_ids(soup)
    assert first == newest_first[:20]
    older = soup.find("a", rel="next")
    assert older is not None and f"max_id={first[-1]}" in older["href"]
    soup2, _ = page(base_url, older["href"])
    assert feed_ids(soup2) == newest_first[20:]
    assert soup2.find("a", rel="next") is None
    # later pages keep the heading and counts, not the chart
    assert soup2.h1.get_text() == f"#{t}"
    assert soup2.select_one("svg") is None
    page(base_url, f"/tags/{t}?max_id=nope", status=400)


def test_unknown_tag_is_a_404_page_and_a_bad_name_a_400(base_url):
    soup, r = page(base_url, f"/tags/{tag()}never", status=404)
    assert soup.h1 is not None and "Content-Security-Policy" in r.headers
    page(base_url, "/tags/12345", status=400)  # digits only: no hashtag
    page(base_url, "/tags/a%20b", status=400)
    r = get(base_url, f"/tags/{tag()}never.rss")
    assert r.status_code == 404


# ---- RSS -----------------------------------------------------------------

def test_tag_rss_holds_the_public_posts(base_url, alice):
    t = tag()
    pub = alice.api.status_post(f"feed me #{t}")
    priv = alice.api.status_post(f"not for feeds #{t}", visibility="private")
    unl = alice.api.status_post(f"quiet #{t}", visibility="unlisted")
    channel, r = rss(base_url, f"/tags/{t}.rss")
    assert channel.findtext("title") == f"#{t}"
    assert channel.findtext("link").endswith(f"/tags/{t}")
    assert channel.findtext("description")
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == [pub["url"]]
    item = items[0]
    assert item.findtext("guid") == pub["url"]
    assert item.findtext("title").startswith("feed me")
    assert re.match(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$",
                    item.findtext("pubDate"))
    assert "feed me" in item.findtext("description")
    assert str(priv["id"]) not in r.text and str(unl["id"]) not in r.text


def test_account_rss_holds_public_originals(base_url, make_user):
    u = make_user("rss")
    pub = u.api.status_post("hello feed readers")
    u.api.status_post("followers only", visibility="private")
    u.api.status_post("quietly", visibility="unlisted")
    u.api.status_reblog(pub["id"])
    channel, r = rss(base_url, f"/@{u.name}.rss")
    assert channel.findtext("link").endswith(f"/@{u.name}")
    links = [i.findtext("link") for i in channel.findall("item")]
    assert links == [pub["url"]]
    assert "followers only" not in r.text and "quietly" not in r.text
    soup, _ = page(base_url, f"/@{u.name}")
    alt = soup.find("link", rel="alternate", type="application/rss+xml")
    assert alt["href"].endswith(f"/@{u.name}.rss")
    assert get(base_url, "/@nobody-" + tag() + ".rss").status_code == 404


# ---- hostile text ---------------------------------------------------------

def test_script_in_text_and_cw_is_inert_in_page_and_rss(base_url, alice):
    t = tag()
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    alice.api.status_post(f"{evil} #{t}", spoiler_text=f"CW {evil}")
    r = get(base_url, f"/tags/{t}")
    assert r.status_code == 200
    for raw in ("<script>alert", "<img src=x", "onerror=\"alert"):
        assert raw not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    channel, rr = rss(base_url, f"/tags/{t}.rss")
    for raw in ("<script", "<img src=x"):
        assert raw not in rr.text
    item = channel.find("item")
    assert item.findtext("title") == f"CW {evil}"  # plain text, once parsed
    desc = item.findtext("description")  # HTML, once parsed
    assert "<script" not in desc and "&lt;script&gt;" in desc


def test_hostile_tag_names_are_refused_or_escaped(base_url):
    for name in ('%3Cscript%3E', '%22onmouseover%3D', 'x%3Cb%3E'):
        r = get(base_url, f"/tags/{name}")
        assert r.status_code in (400, 404)
        assert "<script>" not in r.text and "<b>" not in r.text


def test_tag_page_summary_counts_in_words_for_link_previews(base_url, make_user):
    tag = "Preview" + secrets.token_hex(4)
    u = make_user("prev")
    u.api.status_post(f"one voice #{tag}")
    r = requests.get(f"{base_url}/tags/{tag}", timeout=30)
    soup = BeautifulSoup(r.text, "html.parser")
    desc = soup.find("meta", attrs={"name": "description"})["content"]
    assert desc.endswith(": 1 post today, 1 person today.")
    r = requests.get(f"{base_url}/tags/{tag}", headers={"Accept-Language": "es"}, timeout=30)
    soup = BeautifulSoup(r.text, "html.parser")
    desc = soup.find("meta", attrs={"name": "description"})["content"]
    assert desc.endswith(": 1 publicación hoy, 1 persona hoy.")
