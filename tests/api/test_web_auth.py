"""The web's sign-up, sign-in and sign-out, browser sessions, CSRF on every
form, and /oauth/authorize through those forms. Each test is a browser
of its own (a requests.Session: its own cookie jar)."""

import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import ChorusServer, Http, assert_json, chorus_bin, unique_name

CSRF_RE = re.compile(r'name="csrf_token" value="([A-Za-z0-9_-]{43})"')
REDIRECT = "http://127.0.0.1:9/callback"


# ---- helpers ----------------------------------------------------------------

def browser(server):
    return Http(server.url)


def csrf_of(page):
    m = CSRF_RE.search(page.text)
    assert m, f"no CSRF field on {page.url}:\n{page.text[:800]}"
    return m.group(1)


def set_cookies(resp):
    """Every Set-Cookie header, unmerged: {name: full header}."""
    out = {}
    for h in resp.raw.headers.getlist("Set-Cookie"):
        out[h.split("=", 1)[0]] = h
    return out


def sign_in(b, login, password, return_to=None):
    page = b.get("/auth/sign_in")
    data = {"csrf_token": csrf_of(page), "username": login, "password": password}
    if return_to is not None:
        data["return_to"] = return_to
    return b.post("/auth/sign_in", data=data)


def signed_in_as(b):
    """The username the layout shows as signed in, or None."""
    page = b.get("/about")
    assert page.status_code == 200
    if 'action="/auth/sign_out"' not in page.text:
        return None
    m = re.search(r'<li><a href="/@([^"]+)">', page.text)
    return m.group(1) if m else "?"


def new_user(server, prefix="web"):
    name = unique_name(prefix)
    password = f"pw-{secrets.token_hex(6)}"
    server.create_user(name, f"{name}@example.com", password)
    return name, password


class Controls(HTMLParser):
    """Inputs (but hidden ones) and the labels that name them."""

    def __init__(self):
        super().__init__()
        self.inputs, self.label_for = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.inputs.append(a)


# ---- sign in ----------------------------------------------------------------

@pytest.mark.parametrize("by", ["username", "email"])
def test_sign_in_by_username_or_email(server, by):
    name, password = new_user(server)
    b = browser(server)
    r = sign_in(b, name if by == "username" else f"{name}@example.com", password)
    assert r.status_code in (302, 303), r.text[:300]
    assert r.headers["Location"] == "/"
    assert signed_in_as(b) == name


def test_wrong_password_shows_the_form_again_with_the_login_kept(server):
    name, _ = new_user(server)
    b = browser(server)
    r = sign_in(b, name, "not-the-password")
    assert r.status_code in (401, 422)
    assert "text/html" in r.headers["Content-Type"]
    assert f'value="{name}"' in r.text
    assert 'role="alert"' in r.text
    assert "chorus_session" not in set_cookies(r)
    assert signed_in_as(b) is None


def test_session_cookie_flags_on_http(server):
    name, password = new_user(server)
    b = browser(server)
    page = b.get("/auth/sign_in")
    csrf = set_cookies(page)["chorus_csrf"]
    r = b.post("/auth/sign_in", data={"csrf_token": csrf_of(page), "username": name,
                                      "password": password})
    cookies = set_cookies(r)
    for header in (cookies["chorus_session"], cookies["chorus_csrf"], csrf):
        parts = [p.strip().lower() for p in header.split(";")]
        assert "httponly" in parts, header
        assert "samesite=lax" in parts, header
        assert "path=/" in parts, header
        assert any(p.startswith("max-age=") and int(p[8:]) > 0 for p in parts), header
        assert "secure" not in parts, header  # base_url is http
    # signing in gives the browser a new CSRF token
    assert cookies["chorus_csrf"].split(";")[0] != csrf.split(";")[0]


def test_pages_with_a_form_are_never_cached(server):
    """The page cache must not hand one visitor's CSRF token to the next."""
    a, b = browser(server), browser(server)
    pa, pb = a.get("/auth/sign_in"), b.get("/auth/sign_in")
    assert csrf_of(pa) != csrf_of(pb)
    assert pa.headers["Cache-Control"] == "no-store"
    assert "ETag" not in pa.headers
    # a secret beside reflected text is never compressed (BREACH)
    page = a.get("/auth/sign_in", params={"username": "guess"},
                 headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers


def test_every_control_has_a_label_and_autocomplete(server):
    for path in ("/auth/sign_in", "/auth/sign_up"):
        page = browser(server).get(path)
        p = Controls()
        p.feed(page.text)
        main = [i for i in p.inputs if i.get("name") != "q"]  # the layout's search
        assert main, path
        for i in main:
            assert i.get("id") in p.label_for, (path, i)
            if i.get("type") != "checkbox":
                assert i.get("autocomplete"), (path, i)


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example", "/%0a/evil.example\n", "///evil.example",
])
def test_return_to_never_leaves_the_site(server, target):
    name, password = new_user(server)
    r = sign_in(browser(server), name, password, return_to=target)
    assert r.status_code in (302, 303)
    assert r.headers["Location"] == "/", (target, r.headers["Location"])


def test_return_to_a_local_path_is_followed(server):
    name, password = new_user(server)
    r = sign_in(browser(server), name, password, return_to="/explore?x=1")
    assert r.headers["Location"] == "/explore?x=1"


def test_the_sign_in_page_carries_return_to(server):
    page = browser(server).get("/auth/sign_in", params={"return_to": "/about"})
    assert 'name="return_to" value="/about"' in page.text
    page = browser(server).get("/auth/sign_in", params={"return_to": "//evil.example"})
    assert "evil.example" not in page.text


# ---- sign out and the ends of sessions ------------------------------------------

def session_cookie(b):
    return b.session.cookies.get("chorus_session")


def with_cookie(server, value):
    b = browser(server)
    b.session.cookies.set("chorus_session", value)
    return b


def test_sign_out_ends_the_session(server):
    name, password = new_user(server)
    b = browser(server)
    sign_in(b, name, password)
    stolen = session_cookie(b)
    assert signed_in_as(with_cookie(server, stolen)) == name
    page = b.get("/about")
    r = b.post("/auth/sign_out", data={"csrf_token": csrf_of(page)})
    assert r.status_code in (302, 303) and r.headers["Location"] == "/"
    assert "max-age=0" in set_cookies(r)["chorus_session"].lower()
    assert signed_in_as(b) is None
    # the secret itself no longer signs anyone in
    assert signed_in_as(with_cookie(server, stolen)) is None


def test_a_made_up_session_cookie_is_nobody(server):
    assert signed_in_as(with_cookie(server, "A" * 43)) is None
    assert signed_in_as(with_cookie(server, "<script>")) is None


def web_sessions(server, name):
    out = server.cli("user", "sessions", name, *server.backend_args()).stdout
    return [line.split("\t") for line in out.splitlines() if "\tweb\t" in line]


def test_user_passwd_ends_web_sessions(server):
    name, password = new_user(server)
    b = browser(server)
    sign_in(b, name, password)
    rows = web_sessions(server, name)
    assert len(rows) == 1, rows
    assert session_cookie(b) not in "\t".join(rows[0])  # never the secret
    server.cli("user", "passwd", name, "--password", "a-new-password-1",
               *server.backend_args())
    assert signed_in_as(b) is None
    assert web_sessions(server, name) == []


def test_user_revoke_ends_web_sessions(server):
    name, password = new_user(server)
    one, two = browser(server), browser(server)
    sign_in(one, name, password)
    sign_in(two, name, password)
    first = web_sessions(server, name)[0][0]
    server.cli("user", "revoke", name, "--token", first, *server.backend_args())
    assert signed_in_as(one) is None and signed_in_as(two) == name
    server.cli("user", "revoke", name, *server.backend_args())
    assert signed_in_as(two) is None


# ---- CSRF -------------------------------------------------------------------

POST_FORMS = ["/auth/sign_in", "/auth/sign_up", "/auth/sign_out", "/oauth/authorize"]


@pytest.mark.parametrize("path", POST_FORMS)
@pytest.mark.parametrize("how", ["missing", "wrong", "in_query", "no_cookie"])
def test_forms_without_the_csrf_token_are_refused(server, path, how):
    name, password = new_user(server)
    b = browser(server)
    sign_in(b, name, password)  # signed in: sign-out and consent would act
    token = csrf_of(b.get("/about"))  # the layout's sign-out form
    data = {"username": name, "password": password, "email": f"x{name}@example.com",
            "agreement": "1", "decision": "authorize"}
    params = {}
    if how == "wrong":
        data["csrf_token"] = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif how == "in_query":
        params["csrf_token"] = token
    elif how == "no_cookie":
        data["csrf_token"] = token
        for c in list(b.session.cookies):
            if c.name == "chorus_csrf":
                b.session.cookies.clear(c.domain, c.path, c.name)
    r = b.post(path, data=data, params=params)
    assert r.status_code == 403, (path, how, r.status_code, r.text[:300])
    assert "text/html" in r.headers["Content-Type"]
    assert "code=" not in r.headers.get("Location", "")
    if path == "/auth/sign_out":
        assert signed_in_as(b) == name


# ---- sign up ----------------------------------------------------------------

def sign_up(b, username, email, password, agreement=True):
    page = b.get("/auth/sign_up")
    data = {"csrf_token": csrf_of(page), "username": username, "email": email,
            "password": password}
    if agreement:
        data["agreement"] = "1"
    return b.post("/auth/sign_up", data=data)


def test_sign_up_creates_the_account_and_signs_in(server, http):
    b = browser(server)
    name = unique_name("newweb")
    r = sign_up(b, name, f"{name}@example.com", "a-long-password")
    assert r.status_code in (302, 303), r.text[:500]
    assert signed_in_as(b) == name
    acc = assert_json(http.get("/api/v1/accounts/lookup", params={"acct": name}))
    assert acc["username"] == name
    # and the password works for a second browser
    assert sign_in(browser(server), name, "a-long-password").status_code in (302, 303)


def field_error(page, field):
    """The error tied to input #f-<field>, or None."""
    m = re.search(rf'<input id="f-{field}"[^>]*>', page.text)
    assert m, field
    tag = m.group(0)
    if 'aria-invalid="true"' not in tag:
        return None
    ids = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    err = f"f-{field}-error"
    assert err in ids, tag
    m = re.search(rf'id="{err}">([^<]+)<', page.text)
    return m.group(1)


@pytest.mark.parametrize("case", ["taken", "bad_username", "short_password", "bad_email",
                                  "no_agreement"])
def test_sign_up_errors_are_shown_next_to_their_field(server, case):
    existing, _ = new_user(server)
    name = unique_name("err")
    args = {"username": name, "email": f"{name}@example.com", "password": "a-long-password"}
    field = {"taken": "username", "bad_username": "username", "short_password": "password",
             "bad_email": "email", "no_agreement": "agreement"}[case]
    if case == "taken":
        args["username"] = existing
    elif case == "bad_username":
        args["username"] = "no spaces <b>"
    elif case == "short_password":
        args["password"] = "short"
    elif case == "bad_email":
        args["email"] = "not-an-email"
    b = browser(server)
    r = sign_up(b, **args, agreement=case != "no_agreement")
    assert r.status_code == 422, r.status_code
    assert field_error(r, field), r.text[:2000]
    for other in ({"username", "email", "password"} - {field}):
        assert field_error(r, other) is None
    assert "<b>" not in r.text
    assert 'value="a-long-password"' not in r.text  # never sent back
    assert signed_in_as(b) is None


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("closed"), config=(
        "[server]\nbase_url = https://chorus.example\n"
        "[instance]\nregistrations_open = false\n"))
    srv.create_user("ines", "ines@example.com", "ines-password")
    srv.start()
    yield srv
    srv.stop()


def test_closed_registrations_say_so_and_refuse(closed_server):
    b = browser(closed_server)
    page = b.get("/auth/sign_up")
    assert page.status_code == 200
    assert "closed" in page.text.lower()
    assert 'name="password"' not in page.text
    token = csrf_of(b.get("/auth/sign_in"))
    r = b.post("/auth/sign_up", data={"csrf_token": token, "username": "newbie",
                                      "email": "newbie@example.com",
                                      "password": "a-long-password", "agreement": "1"})
    assert r.status_code == 403
    assert "chorus_session" not in set_cookies(r)


def test_cookies_are_secure_under_an_https_base_url(closed_server):
    b = browser(closed_server)
    page = b.get("/auth/sign_in")
    assert "secure" in [p.strip().lower() for p in set_cookies(page)["chorus_csrf"].split(";")]
    # requests keeps Secure cookies off http: send the token by hand
    token = csrf_of(page)
    r = b.post("/auth/sign_in", data={"csrf_token": token, "username": "ines",
                                      "password": "ines-password"},
               headers={"Cookie": f"chorus_csrf={token}"})
    assert r.status_code in (302, 303), r.text[:300]
    parts = [p.strip().lower() for p in set_cookies(r)["chorus_session"].split(";")]
    assert "secure" in parts and "httponly" in parts and "samesite=lax" in parts


# ---- /oauth/authorize through the forms ---------------------------------------

def make_app(http, name="Web Auth App", website="https://app.example/about"):
    return assert_json(http.post("/api/v1/apps", data={
        "client_name": name, "redirect_uris": REDIRECT, "scopes": "read write follow",
        "website": website}))


def authorize_params(app, **extra):
    p = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT,
         "scope": "read write", "state": "st-123"}
    p.update(extra)
    return p


def consent_page(server, http, app):
    """A browser signed in through the authorize page's own form, on the
    consent page. Returns (browser, page, username)."""
    name, password = new_user(server, "authz")
    b = browser(server)
    page = b.get("/oauth/authorize", params=authorize_params(app))
    assert page.status_code == 200
    assert "Web Auth App" in page.text
    assert 'name="password"' in page.text and 'name="decision"' not in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(username=name, password=password)
    r = b.post("/oauth/authorize", data=form)
    assert r.status_code in (302, 303), r.text[:500]
    loc = r.headers["Location"]
    assert loc.startswith("/oauth/authorize?"), loc
    page = b.get(loc)
    assert page.status_code == 200
    return b, page, name


def consent_form(page):
    text = page.text[page.text.index('action="/oauth/authorize"'):]
    text = text[:text.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text))


def test_authorize_through_the_forms_gives_a_working_token(server, http):
    app = make_app(http)
    b, page, name = consent_page(server, http, app)
    # the app's name, its website, the scopes in words, both buttons
    assert "Web Auth App" in page.text
    assert 'href="https://app.example/about"' in page.text
    assert "Read everything in your account" in page.text
    assert 'value="authorize"' in page.text and 'value="deny"' in page.text
    assert "form-action" not in page.headers["Content-Security-Policy"]
    form = consent_form(page)
    form["decision"] = "authorize"
    r = b.post("/oauth/authorize", data=form)
    assert r.status_code in (302, 303)
    loc = urlparse(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = parse_qs(loc.query)
    assert q["state"] == ["st-123"]
    tok = assert_json(http.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": q["code"][0], "redirect_uri": REDIRECT,
        "client_id": app["client_id"], "client_secret": app["client_secret"]}))
    assert tok["scope"] == "read write"
    me = assert_json(http.get("/api/v1/accounts/verify_credentials",
                              token=tok["access_token"]))
    assert me["username"] == name


def test_deny_sends_access_denied_back_to_the_app(server, http):
    app = make_app(http)
    b, page, _ = consent_page(server, http, app)
    form = consent_form(page)
    form["decision"] = "deny"
    r = b.post("/oauth/authorize", data=form)
    assert r.status_code in (302, 303)
    loc = urlparse(r.headers["Location"])
    q = parse_qs(loc.query)
    assert q["error"] == ["access_denied"] and q["state"] == ["st-123"]
    assert "code" not in q


def test_a_signed_in_browser_goes_straight_to_consent(server, http):
    app = make_app(http)
    name, password = new_user(server, "already")
    b = browser(server)
    sign_in(b, name, password)
    page = b.get("/oauth/authorize", params=authorize_params(app))
    assert 'name="decision"' in page.text and 'name="password"' not in page.text
    assert f"@{name}" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_authorize_wrong_password_stays_on_the_form(server, http):
    app = make_app(http)
    name, _ = new_user(server, "wrongpw")
    b = browser(server)
    page = b.get("/oauth/authorize", params=authorize_params(app))
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(username=name, password="wrong-password")
    r = b.post("/oauth/authorize", data=form)
    assert r.status_code == 401
    assert 'name="password"' in r.text and f'value="{name}"' in r.text
    assert "code=" not in r.headers.get("Location", "")


def test_authorize_with_a_bad_redirect_uri_is_an_error_page(server, http):
    app = make_app(http)
    r = browser(server).get("/oauth/authorize",
                            params=authorize_params(app, redirect_uri="https://evil.example/"))
    assert r.status_code == 400 and "text/html" in r.headers["Content-Type"]
    assert "Location" not in r.headers
