"""What another server reads before it can follow anyone here: WebFinger
and host-meta turn a handle into an actor; the actor (a Person, a bot's
Service, the instance's Application) carries its RSA key; posts are Notes
(boosts Announces) addressed by their visibility, and the outbox,
followers, following, featured and featured-tags collections list what a
stranger may see. Paths the web pages share answer ActivityStreams JSON
only when the request's Accept asks for it.

These are reads with no HTTP signatures: what is not public (private and
direct posts) is never served."""

import json
import re
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from conftest import ChorusServer, assert_error, chorus_bin, html_text

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AP_ACCEPTS = [AP_JSON, LD_JSON]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


# ---- helpers ----------------------------------------------------------------

def get(url, accept=None, **kw):
    kw.setdefault("timeout", 30)
    kw.setdefault("allow_redirects", False)
    headers = dict(kw.pop("headers", {}))
    if accept:
        headers["Accept"] = accept
    return requests.get(url, headers=headers, **kw)


def ap_get(url, accept=AP_JSON, status=200):
    """GET url asking for ActivityStreams; the response (status checked)."""
    r = get(url, accept)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    return r


def ap_doc(url, accept=AP_JSON):
    """The ActivityStreams document at url: 200, activity+json, parsed."""
    r = ap_get(url, accept)
    assert r.headers.get("Content-Type", "").startswith(AP_JSON), r.headers
    assert "PRIVATE KEY" not in r.text
    return r.json()


def webfinger(base_url, resource, status=200):
    r = get(base_url + "/.well-known/webfinger",
            params={} if resource is None else {"resource": resource})
    assert r.status_code == status, (resource, r.status_code, r.text[:500])
    return r


def host(base_url):
    return urlparse(base_url).netloc


def word():
    return "w" + secrets.token_hex(6)


def tagname():
    return "fedtag" + secrets.token_hex(4)


def status_uri(base_url, name, sid):
    return f"{base_url}/users/{name}/statuses/{sid}"


def note_of(base_url, name, sid):
    return ap_doc(status_uri(base_url, name, sid))


def load_rsa(pem):
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey), type(key)
    assert key.key_size == 2048, key.key_size
    return key


def object_id(obj):
    """An activity's object, embedded or by reference, as its id."""
    return obj["id"] if isinstance(obj, dict) else obj


def first_page(coll):
    """The first page of an OrderedCollection, followed through its URL."""
    assert isinstance(coll.get("first"), str), coll
    page = ap_doc(coll["first"])
    assert page["type"] == "OrderedCollectionPage", page
    assert isinstance(page["orderedItems"], list), page
    return page


def wait_media(api, media_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(f"{api.api_base_url}/api/v1/media/{media_id}",
                         headers={"Authorization": f"Bearer {api.access_token}"},
                         timeout=10)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 206, (r.status_code, r.text)
        time.sleep(0.2)
    pytest.fail(f"media {media_id} still processing after {timeout}s")


# ---- WebFinger ----------------------------------------------------------------

def test_webfinger_finds_a_local_account_by_handle(base_url, alice):
    r = webfinger(base_url, f"acct:alice@{host(base_url)}")
    assert r.headers["Content-Type"].startswith("application/jrd+json"), r.headers
    doc = r.json()
    assert doc["subject"] == f"acct:alice@{host(base_url)}"
    assert f"{base_url}/@alice" in doc["aliases"]
    assert f"{base_url}/users/alice" in doc["aliases"]
    links = doc["links"]
    assert {"rel": "self", "type": AP_JSON,
            "href": f"{base_url}/users/alice"} in links, links
    assert {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
            "href": f"{base_url}/@alice"} in links, links
    subscribe = [x for x in links if x.get("rel") == "http://ostatus.org/schema/1.0/subscribe"]
    assert len(subscribe) == 1 and "{uri}" in subscribe[0]["template"], links


def test_webfinger_answers_cross_origin_readers(base_url, alice):
    r = webfinger(base_url, f"acct:alice@{host(base_url)}")
    assert r.headers.get("Access-Control-Allow-Origin") == "*", r.headers


@pytest.mark.parametrize("form", ["actor", "profile"])
def test_webfinger_accepts_the_actor_id_and_profile_url_as_resource(base_url, bob, form):
    resource = f"{base_url}/users/bob" if form == "actor" else f"{base_url}/@bob"
    doc = webfinger(base_url, resource).json()
    assert doc["subject"] == f"acct:bob@{host(base_url)}"
    assert {"rel": "self", "type": AP_JSON, "href": f"{base_url}/users/bob"} in doc["links"]


def test_webfinger_resource_without_acct_scheme_is_found(base_url, carol):
    doc = webfinger(base_url, f"carol@{host(base_url)}").json()
    assert doc["subject"] == f"acct:carol@{host(base_url)}"


def test_webfinger_host_match_ignores_case(tmp_path):
    """A server whose handle domain has letters: WebFinger matches the
    domain whatever its case, and answers with its own spelling."""
    srv = ChorusServer(chorus_bin(), tmp_path)
    srv.config = f"[server]\nbase_url = http://LocalHost:{srv.port}\n"
    srv.create_user("dora", "dora@example.com", "dora-secret-pw")
    srv.start()
    try:
        domain = f"LocalHost:{srv.port}"
        for spelled in (domain, domain.lower(), domain.upper()):
            doc = webfinger(srv.url, f"acct:dora@{spelled}").json()
            assert doc["subject"] == f"acct:dora@{domain}", (spelled, doc)
            assert {"rel": "self", "type": AP_JSON,
                    "href": f"http://LocalHost:{srv.port}/users/dora"} in doc["links"]
        assert_error(webfinger(srv.url, f"acct:dora@elsewhere:{srv.port}", 404), 404)
    finally:
        assert srv.stop() == 0


def test_webfinger_without_resource_is_400(base_url):
    assert_error(webfinger(base_url, None, 400), 400)
    r = get(base_url + "/.well-known/webfinger?resource=")
    assert r.status_code in (400, 404), (r.status_code, r.text[:300])
    assert_error(r, r.status_code)


@pytest.mark.parametrize("resource", [
    "acct:nobody_here_at_all@{host}",
    "acct:alice@other.example",
    "{base}/users/nobody_here_at_all",
    "https://other.example/users/alice",
])
def test_webfinger_for_no_local_account_is_404(base_url, resource):
    resource = resource.format(host=host(base_url), base=base_url)
    assert_error(webfinger(base_url, resource, 404), 404)


def test_webfinger_garbage_resource_is_a_json_error(base_url):
    for resource in ("foo", "acct:", "acct:@", "@", f"acct:@{host(base_url)}"):
        r = get(base_url + "/.well-known/webfinger", params={"resource": resource})
        assert r.status_code in (400, 404), (resource, r.status_code, r.text[:300])
        assert_error(r, r.status_code)


def test_host_meta_points_at_webfinger(base_url):
    r = get(base_url + "/.well-known/host-meta")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("application/xrd+xml"), r.headers
    root = ET.fromstring(r.content)
    ns = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag in (f"{ns}XRD", "XRD"), root.tag
    links = [el for el in root.iter() if el.tag in (f"{ns}Link", "Link")]
    lrdd = [el for el in links if el.get("rel") == "lrdd"]
    assert len(lrdd) == 1, ET.tostring(root)
    assert lrdd[0].get("template") == f"{base_url}/.well-known/webfinger?resource={{uri}}"


def test_webfinger_self_link_leads_to_the_actor(base_url, alice):
    doc = webfinger(base_url, f"acct:alice@{host(base_url)}").json()
    href = next(x["href"] for x in doc["links"] if x["rel"] == "self")
    actor = ap_doc(href)
    assert actor["id"] == href
    assert actor["webfinger"] == f"alice@{host(base_url)}"


# ---- actors: content negotiation ----------------------------------------------

@pytest.mark.parametrize("accept", AP_ACCEPTS, ids=["activity+json", "ld+json"])
def test_actor_is_served_at_both_paths_when_activity_json_is_asked_for(base_url, alice, accept):
    by_id = ap_get(f"{base_url}/users/alice", accept)
    by_page = ap_get(f"{base_url}/@alice", accept)
    for r in (by_id, by_page):
        assert r.headers["Content-Type"].startswith(AP_JSON), r.headers
        vary = [v.strip().lower() for v in r.headers.get("Vary", "").split(",")]
        assert "accept" in vary, r.headers
    assert by_id.json() == by_page.json()
    assert by_id.json()["id"] == f"{base_url}/users/alice"


@pytest.mark.parametrize("accept", ["text/html", BROWSER])
def test_browsers_get_the_profile_page_and_a_redirect_to_it(base_url, alice, accept):
    r = get(f"{base_url}/@alice", accept)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    r = get(f"{base_url}/users/alice", accept)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert r.headers["Location"] == f"{base_url}/@alice"


def test_unknown_actor_is_404_json(base_url):
    for path in ("/users/nobody_here_at_all", "/@nobody_here_at_all"):
        assert_error(get(base_url + path, AP_JSON), 404)


# ---- actors: the document ------------------------------------------------------

def test_actor_document_describes_the_account(base_url, make_user):
    u = make_user("actor")
    w = word()
    u.api.account_update_credentials(display_name="Rosa Actor", note=f"Organising since 1955 {w}",
                                     fields=[("Pronouns", "she/her")])
    me = u.api.account_verify_credentials()
    base = f"{base_url}/users/{u.name}"
    a = ap_doc(base)
    ctx = a["@context"]
    assert isinstance(ctx, list) and ctx[0] == "https://www.w3.org/ns/activitystreams", ctx
    assert "https://w3id.org/security/v1" in ctx
    assert a["id"] == base
    assert a["type"] == "Person"
    assert a["preferredUsername"] == u.name
    assert a["name"] == "Rosa Actor"
    assert w in html_text(a["summary"])
    assert a["url"] == f"{base_url}/@{u.name}"
    assert a["inbox"] == f"{base}/inbox"
    assert a["outbox"] == f"{base}/outbox"
    assert a["followers"] == f"{base}/followers"
    assert a["following"] == f"{base}/following"
    assert a["featured"] == f"{base}/collections/featured"
    assert a["featuredTags"] == f"{base}/collections/tags"
    assert a["endpoints"]["sharedInbox"] == f"{base_url}/inbox"
    assert a["manuallyApprovesFollowers"] is False
    assert isinstance(a["discoverable"], bool)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", a["published"]), a["published"]
    assert a["published"][:10] == me["created_at"].date().isoformat()
    assert a["webfinger"] == f"{u.name}@{host(base_url)}"
    fields = [f for f in a["attachment"] if f.get("type") == "PropertyValue"]
    assert len(fields) == 1, a["attachment"]
    assert fields[0]["name"] == "Pronouns"
    assert html_text(fields[0]["value"]) == "she/her"


@pytest.mark.parametrize(
    "setting, field, when_on, when_off",
    [
        ("locked", "manuallyApprovesFollowers", True, False),
        ("bot", "type", "Service", "Person"),
        ("discoverable", "discoverable", True, False),
    ],
)
def test_actor_follows_each_account_setting(base_url, make_user, setting, field, when_on, when_off):
    u = make_user(setting[:6])
    u.api.account_update_credentials(**{setting: True})
    assert ap_doc(f"{base_url}/users/{u.name}")[field] == when_on
    u.api.account_update_credentials(**{setting: False})
    assert ap_doc(f"{base_url}/users/{u.name}")[field] == when_off


def test_actor_public_key_is_rsa_2048_and_stable(base_url, alice):
    actor = f"{base_url}/users/alice"
    key = ap_doc(actor)["publicKey"]
    assert key["id"] == f"{actor}#main-key"
    assert key["owner"] == actor
    load_rsa(key["publicKeyPem"])
    assert ap_doc(f"{base_url}/@alice", LD_JSON)["publicKey"] == key


def test_each_account_has_its_own_key(base_url, alice, bob):
    a = ap_doc(f"{base_url}/users/alice")["publicKey"]["publicKeyPem"]
    b = ap_doc(f"{base_url}/users/bob")["publicKey"]["publicKeyPem"]
    assert load_rsa(a).public_numbers() != load_rsa(b).public_numbers()


def test_no_document_gives_away_a_private_key(base_url, alice):
    s = alice.api.status_post("keys stay home " + word())
    urls = [f"{base_url}/users/alice", f"{base_url}/@alice", f"{base_url}/actor",
            status_uri(base_url, "alice", s["id"]), f"{base_url}/users/alice/outbox",
            f"{base_url}/.well-known/webfinger?resource=acct:alice@{host(base_url)}"]
    for url in urls:
        for accept in (AP_JSON, None):
            r = get(url, accept)
            assert "PRIVATE KEY" not in r.text, url


def test_first_fetches_racing_agree_on_one_key(base_url, make_user):
    """The key is made on first use: sixteen first fetches at once all
    answer, and with the same key, the one kept."""
    u = make_user("race")
    url = f"{base_url}/users/{u.name}"
    n = 16
    barrier = threading.Barrier(n)
    answers = [None] * n

    def fetch(i):
        barrier.wait()
        try:
            answers[i] = get(url, AP_JSON, timeout=60)
        except requests.RequestException as e:
            answers[i] = e

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    codes = [getattr(r, "status_code", r) for r in answers]
    assert codes == [200] * n, codes
    pems = {r.json()["publicKey"]["publicKeyPem"] for r in answers}
    assert len(pems) == 1, pems
    (pem,) = pems
    load_rsa(pem)
    assert ap_doc(url)["publicKey"]["publicKeyPem"] == pem


# ---- the instance actor ------------------------------------------------------------

@pytest.mark.parametrize("accept", [None, AP_JSON])
def test_instance_actor_is_an_application_with_a_key(base_url, accept):
    r = get(f"{base_url}/actor", accept)
    assert r.status_code == 200, r.text[:300]
    assert "json" in r.headers.get("Content-Type", ""), r.headers
    assert "PRIVATE KEY" not in r.text
    a = r.json()
    assert a["type"] == "Application"
    assert a["id"] == f"{base_url}/actor"
    assert isinstance(a["inbox"], str) and a["inbox"].startswith(base_url)
    assert a["publicKey"]["owner"] == a["id"]
    load_rsa(a["publicKey"]["publicKeyPem"])


def test_instance_actor_key_is_not_an_accounts(base_url, alice):
    inst = get(f"{base_url}/actor", AP_JSON).json()["publicKey"]["publicKeyPem"]
    assert inst == get(f"{base_url}/actor", AP_JSON).json()["publicKey"]["publicKeyPem"]
    assert inst != ap_doc(f"{base_url}/users/alice")["publicKey"]["publicKeyPem"]


# ---- notes ----------------------------------------------------------------

@pytest.mark.parametrize("accept", AP_ACCEPTS, ids=["activity+json", "ld+json"])
def test_public_post_is_a_note_at_its_id_and_its_page(base_url, make_user, accept):
    u = make_user("note")
    w = word()
    s = u.api.status_post(f"Rights are won, not given {w}")
    uri = status_uri(base_url, u.name, s["id"])
    assert s["uri"] == uri
    by_id = ap_get(uri, accept)
    by_page = ap_get(f"{base_url}/@{u.name}/{s['id']}", accept)
    for r in (by_id, by_page):
        assert r.headers["Content-Type"].startswith(AP_JSON), r.headers
        vary = [v.strip().lower() for v in r.headers.get("Vary", "").split(",")]
        assert "accept" in vary, r.headers
    assert by_id.json() == by_page.json()
    n = by_id.json()
    actor = f"{base_url}/users/{u.name}"
    assert n["id"] == uri
    assert n["type"] == "Note"
    assert n["attributedTo"] == actor
    assert n["url"] == f"{base_url}/@{u.name}/{s['id']}"
    assert w in html_text(n["content"])
    assert ISO.match(n["published"]), n["published"]
    assert n["sensitive"] is False
    assert n.get("summary") is None
    assert n.get("inReplyTo") is None
    assert n["to"] == [AS_PUBLIC]
    assert f"{actor}/followers" in n["cc"]


def test_browsers_still_get_the_thread_page(base_url, alice):
    s = alice.api.status_post("for people " + word())
    r = get(f"{base_url}/@alice/{s['id']}", "text/html")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    r = get(status_uri(base_url, "alice", s["id"]), "text/html")
    assert r.status_code in (301, 302) and r.headers["Location"] == s["url"]


def test_content_warning_is_the_summary_and_marks_it_sensitive(base_url, alice):
    s = alice.api.status_post("what happened " + word(), spoiler_text="workplace abuse")
    n = note_of(base_url, "alice", s["id"])
    assert n["summary"] == "workplace abuse"
    assert n["sensitive"] is True


def test_reply_names_its_parent(base_url, alice, bob):
    parent = alice.api.status_post("who else? " + word())
    reply = bob.api.status_post("me too " + word(), in_reply_to_id=parent["id"])
    n = note_of(base_url, "bob", reply["id"])
    assert n["inReplyTo"] == status_uri(base_url, "alice", parent["id"])


def test_hashtags_and_mentions_are_tags(base_url, alice, bob):
    t = tagname()
    s = alice.api.status_post(f"@bob see #{t} " + word())
    tags = note_of(base_url, "alice", s["id"])["tag"]
    assert {"type": "Hashtag", "name": f"#{t}", "href": f"{base_url}/tags/{t}"} in tags, tags
    mentions = [x for x in tags if x.get("type") == "Mention"]
    assert len(mentions) == 1, tags
    assert mentions[0]["href"] == f"{base_url}/users/bob"
    assert mentions[0]["name"] in ("@bob", f"@bob@{host(base_url)}")


def test_unlisted_post_is_addressed_to_followers(base_url, make_user):
    u = make_user("unl")
    s = u.api.status_post("quietly " + word(), visibility="unlisted")
    n = note_of(base_url, u.name, s["id"])
    assert f"{base_url}/users/{u.name}/followers" in n["to"]
    assert AS_PUBLIC in n["cc"]
    assert AS_PUBLIC not in n["to"]


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_private_and_direct_posts_are_not_served(base_url, alice, bob, visibility):
    w = word()
    s = alice.api.status_post(f"@bob just between us {w}", visibility=visibility)
    for url in (status_uri(base_url, "alice", s["id"]), f"{base_url}/@alice/{s['id']}"):
        for accept in AP_ACCEPTS:
            r = get(url, accept)
            assert r.status_code == 404, (url, r.status_code, r.text[:300])
            assert w not in r.text


def test_post_under_the_wrong_account_or_unknown_id_is_404(base_url, alice, bob):
    s = alice.api.status_post("mine " + word())
    assert_error(ap_get(status_uri(base_url, "bob", s["id"]), status=404), 404)
    assert_error(ap_get(f"{base_url}/@bob/{s['id']}", status=404), 404)
    assert_error(ap_get(status_uri(base_url, "alice", 999999999999999), status=404), 404)
    assert_error(ap_get(status_uri(base_url, "nobody_here_at_all", s["id"]), status=404), 404)


def test_language_gives_a_content_map(base_url, alice):
    s = alice.api.status_post("in English " + word(), language="en")
    n = note_of(base_url, "alice", s["id"])
    assert n["contentMap"] == {"en": n["content"]}


def test_image_attachment_is_a_document_with_its_alt_text(base_url, alice, tmp_path):
    png = tmp_path / "sign.png"
    Image.new("RGB", (64, 48), (200, 40, 90)).save(png)
    m = alice.api.media_post(str(png), description="alt text")
    wait_media(alice.api, m["id"])
    s = alice.api.status_post("on the march " + word(), media_ids=[m["id"]])
    att = note_of(base_url, "alice", s["id"])["attachment"]
    assert len(att) == 1, att
    assert att[0]["type"] == "Document"
    assert att[0]["mediaType"].startswith("image/")
    assert att[0]["url"].startswith(base_url)
    assert att[0]["name"] == "alt text"
    r = requests.get(att[0]["url"], timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/")


def test_edited_post_says_when(base_url, alice):
    s = alice.api.status_post("first draft " + word())
    w = word()
    alice.api.status_update(s["id"], status="second draft " + w)
    n = note_of(base_url, "alice", s["id"])
    assert ISO.match(n["updated"]), n.get("updated")
    assert n["updated"] >= n["published"]
    assert w in html_text(n["content"])


def test_boost_is_an_announce_of_the_original(base_url, alice, make_user):
    booster = make_user("boost")
    s = alice.api.status_post("spread the word " + word())
    b = booster.api.status_reblog(s["id"])
    doc = ap_doc(status_uri(base_url, booster.name, b["id"]))
    assert doc["type"] == "Announce"
    assert doc["id"] == status_uri(base_url, booster.name, b["id"])
    assert doc["actor"] == f"{base_url}/users/{booster.name}"
    assert object_id(doc["object"]) == status_uri(base_url, "alice", s["id"])


def test_public_post_declares_who_may_interact(base_url, alice):
    s = alice.api.status_post("reply freely " + word())
    policy = note_of(base_url, "alice", s["id"])["interactionPolicy"]
    assert isinstance(policy, dict)
    for key in ("canReply", "canLike", "canAnnounce"):
        assert isinstance(policy[key]["always"], list), policy
    assert AS_PUBLIC in policy["canReply"]["always"]


# ---- collections ----------------------------------------------------------------

def test_outbox_lists_public_posts_and_never_private_ones(base_url, make_user):
    u = make_user("outbox")
    public = u.api.status_post("for the record " + word())
    secret = word()
    private = u.api.status_post(f"followers only {secret}", visibility="private")
    coll = ap_doc(f"{base_url}/users/{u.name}/outbox")
    assert coll["type"] == "OrderedCollection"
    assert isinstance(coll["totalItems"], int) and coll["totalItems"] >= 1, coll
    page = first_page(coll)
    creates = [a for a in page["orderedItems"]
               if isinstance(a, dict) and a.get("type") == "Create"]
    uri = status_uri(base_url, u.name, public["id"])
    found = [a for a in creates if object_id(a["object"]) == uri]
    assert len(found) == 1, page["orderedItems"]
    if isinstance(found[0]["object"], dict):
        assert found[0]["object"]["type"] == "Note"
    text = json.dumps(page)
    assert secret not in text
    assert f"/statuses/{private['id']}" not in text


def test_followers_collection_counts_and_lists_followers(base_url, make_user):
    u, fan = make_user("leader"), make_user("fan")
    url = f"{base_url}/users/{u.name}/followers"
    before = ap_doc(url)
    assert before["type"] == "OrderedCollection"
    assert isinstance(before["totalItems"], int)
    fan.api.account_follow(u.id)
    after = ap_doc(url)
    assert after["totalItems"] == before["totalItems"] + 1
    assert after["totalItems"] == u.api.account(u.id)["followers_count"]
    assert f"{base_url}/users/{fan.name}" in first_page(after)["orderedItems"]


def test_following_collection_counts_and_lists_followed(base_url, make_user):
    u, star = make_user("reader"), make_user("star")
    url = f"{base_url}/users/{u.name}/following"
    before = ap_doc(url)
    assert before["type"] == "OrderedCollection"
    u.api.account_follow(star.id)
    after = ap_doc(url)
    assert after["totalItems"] == before["totalItems"] + 1
    assert after["totalItems"] == u.api.account(u.id)["following_count"]
    assert f"{base_url}/users/{star.name}" in first_page(after)["orderedItems"]


def test_featured_collection_holds_pinned_posts(base_url, make_user):
    u = make_user("pinner")
    pinned = u.api.status_post("read this first " + word())
    other = u.api.status_post("not pinned " + word())
    u.api.status_pin(pinned["id"])
    coll = ap_doc(f"{base_url}/users/{u.name}/collections/featured")
    assert coll["type"] == "OrderedCollection"
    items = coll["orderedItems"]
    uri = status_uri(base_url, u.name, pinned["id"])
    notes = [x for x in items if isinstance(x, dict) and x.get("id") == uri]
    assert len(notes) == 1 and notes[0]["type"] == "Note", items
    assert status_uri(base_url, u.name, other["id"]) not in json.dumps(items)


def test_featured_tags_collection_holds_hashtags(base_url, make_user):
    u = make_user("tagger")
    t = tagname()
    u.api.status_post(f"every week #{t} " + word())
    u.api.featured_tag_create(t)
    coll = ap_doc(f"{base_url}/users/{u.name}/collections/tags")
    assert coll["type"] == "Collection"
    assert {"type": "Hashtag", "name": f"#{t}",
            "href": f"{base_url}/tags/{t}"} in coll["items"], coll


@pytest.mark.parametrize("suffix", ["outbox", "followers", "following",
                                    "collections/featured", "collections/tags"])
def test_collections_of_an_unknown_account_are_404(base_url, suffix):
    r = get(f"{base_url}/users/nobody_here_at_all/{suffix}", AP_JSON)
    assert_error(r, 404)
