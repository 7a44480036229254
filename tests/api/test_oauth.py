"""OAuth 2 and registration: apps, password / authorization_code /
client_credentials grants, PKCE, revocation, sign-up through Mastodon.py."""

import base64
import hashlib
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
from mastodon import Mastodon, MastodonError

from conftest import (DEFAULT_SCOPES, OOB, Http, assert_error, assert_json,
                      is_json, make_client, unique_name)


# ---- helpers ------------------------------------------------------------

def create_app(http, scopes="read write follow", redirect_uris=OOB, as_json=False):
    body = {"client_name": "oauth-tests", "redirect_uris": redirect_uris,
            "scopes": scopes, "website": "https://example.org"}
    r = http.post("/api/v1/apps", **({"json": body} if as_json else {"data": body}))
    return assert_json(r)


def password_grant(http, app, username, password, scope="read write follow"):
    return http.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": username,
        "password": password, "scope": scope})


def exchange_code(http, app, code, redirect_uri=OOB, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": app["client_id"], "client_secret": app["client_secret"]}
    data.update(extra)
    return http.post("/oauth/token", data=data)


def me(http, token):
    return http.get("/api/v1/accounts/verify_credentials", token=token)


class FormParser(HTMLParser):
    """Collects <form>s (action, method, inputs) plus text of <code>/<pre>/<kbd>
    and values of all <input>s, to find an OOB authorization code."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.code_texts = []
        self._in_code = 0
        self.input_values = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": []})
        elif tag in ("input", "button", "textarea", "select"):
            # a hidden field (the CSRF token, the client_id) is no code
            if a.get("value") and (a.get("type") or "").lower() != "hidden":
                self.input_values.append(a["value"])
            if self.forms and a.get("name"):
                self.forms[-1]["fields"].append((a["name"], a.get("value") or "",
                                                 (a.get("type") or "text").lower(), tag))
        elif tag in ("code", "pre", "kbd", "samp"):
            self._in_code += 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre", "kbd", "samp") and self._in_code:
            self._in_code -= 1

    def handle_data(self, data):
        if self._in_code and data.strip():
            self.code_texts.append(data.strip())


def parse_html(text):
    p = FormParser()
    p.feed(text)
    return p


def fill_form(form, username, password):
    """Form data for a parsed login/consent form: keep hidden fields, set the
    credentials, press the first submit button (an 'approve'-ish one if any)."""
    data = []
    submit = None
    for name, value, typ, tag in form["fields"]:
        if typ == "submit" or tag == "button":
            if submit is None or re.search(r"authori|allow|approve|accept|log", f"{name} {value}", re.I):
                if submit is None or not re.search(r"deny|reject|cancel", f"{name} {value}", re.I):
                    submit = (name, value)
            continue
        if name == "username" or name.endswith("[email]") or name in ("email", "login"):
            data.append((name, username))
        elif name == "password" or name.endswith("[password]"):
            data.append((name, password))
        elif typ in ("checkbox", "radio"):
            data.append((name, value or "on"))
        else:
            data.append((name, value))
    names = {n for n, _ in data}
    if "username" not in names and not any(n.endswith("[email]") or n == "email" for n in names):
        data.append(("username", username))
    if "password" not in names and not any(n.endswith("[password]") for n in names):
        data.append(("password", password))
    if submit and submit[0]:
        data.append(submit)
    return data


def authorize(http, app, username, password, redirect_uri=OOB, scope="read write follow",
              state=None, challenge=None):
    """Drive GET/POST /oauth/authorize like a browser: the sign-in form,
    then the consent form (Authorize). Returns (code, state) from the
    redirect, or (code, None) read off the OOB page. A browser of its own
    (cookie jar), so no test is signed in by another's session."""
    http = Http(http.base)
    params = {"response_type": "code", "client_id": app["client_id"],
              "redirect_uri": redirect_uri, "scope": scope}
    if state:
        params["state"] = state
    if challenge:
        params["code_challenge"] = challenge
        params["code_challenge_method"] = "S256"
    r = http.get("/oauth/authorize", params=params)
    assert r.status_code == 200, f"GET /oauth/authorize: {r.status_code} {r.text[:300]}"
    assert "text/html" in r.headers.get("Content-Type", ""), r.headers.get("Content-Type")
    page_url = r.url
    known = {app["client_id"], app["client_secret"]}
    for _step in range(3):
        page = parse_html(r.text)
        forms = [f for f in page.forms if f["method"] == "post"]
        assert forms, f"no POST form on the authorize page:\n{r.text[:1000]}"
        # the page's own form, not the layout's (sign out)
        form = next((f for f in forms if "authorize" in f["action"]), forms[0])
        action = urljoin(page_url, form["action"] or page_url)
        r = http.post(action, data=fill_form(form, username, password))
        if r.status_code in (301, 302, 303, 307, 308):
            loc = r.headers["Location"]
            if loc.startswith(redirect_uri) and redirect_uri != OOB:
                q = parse_qs(urlparse(loc).query)
                assert "code" in q, f"redirect without code: {loc}"
                return q["code"][0], q.get("state", [None])[0]
            # OOB may redirect to a page that shows the code
            q = parse_qs(urlparse(loc).query)
            if "code" in q:
                return q["code"][0], q.get("state", [None])[0]
            page_url = urljoin(action, loc)
            r = http.get(page_url)
        assert r.status_code == 200, f"authorize step: {r.status_code} {r.text[:300]}"
        page = parse_html(r.text)
        candidates = [c for c in page.input_values + page.code_texts
                      if re.fullmatch(r"[A-Za-z0-9_\-\.~]{16,}", c) and c not in known]
        if candidates:
            return candidates, None
        page_url = r.url if r.url else page_url
    raise AssertionError(f"no authorization code after the authorize form:\n{r.text[:1500]}")


def oob_code(http, app, username, password, **kw):
    """Run the OOB flow; returns the code, or the list of code-looking
    strings shown on the OOB page (the caller tries each)."""
    code, _ = authorize(http, app, username, password, **kw)
    return code


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# ---- apps ----------------------------------------------------------------

def test_create_app_returns_client_credentials(http):
    app = create_app(http)
    assert isinstance(app["client_id"], str) and len(app["client_id"]) >= 16
    assert isinstance(app["client_secret"], str) and len(app["client_secret"]) >= 16
    assert app["client_id"] != app["client_secret"]
    assert app["name"] == "oauth-tests"
    assert app["redirect_uri"] == OOB
    assert isinstance(app["id"], str) and app["id"].isdigit()
    assert sorted(app["scopes"]) == ["follow", "read", "write"]


def test_create_app_accepts_json_body_like_toot(http):
    app = create_app(http, as_json=True)
    assert app["client_id"] and app["client_secret"]
    assert app["name"] == "oauth-tests"


def test_create_app_without_name_is_422(http):
    r = http.post("/api/v1/apps", data={"redirect_uris": OOB, "scopes": "read"})
    assert_error(r, 422)


def test_create_app_through_mastodon_py(server):
    cid, secret = Mastodon.create_app("mpy-app", api_base_url=server.url, scopes=DEFAULT_SCOPES)
    assert cid and secret and cid != secret


# ---- password grant --------------------------------------------------------

def test_password_login_by_email(server, app_keys, make_user):
    u = make_user("pwemail")
    m = make_client(server.url, client_id=app_keys[0], client_secret=app_keys[1])
    token = m.log_in(username=u.email, password=u.password, scopes=DEFAULT_SCOPES)
    assert token
    assert m.account_verify_credentials()["username"] == u.name


def test_password_login_by_username(server, app_keys, make_user):
    u = make_user("pwname")
    m = make_client(server.url, client_id=app_keys[0], client_secret=app_keys[1])
    m.log_in(username=u.name, password=u.password, scopes=DEFAULT_SCOPES)
    assert m.account_verify_credentials()["username"] == u.name


def test_token_response_shape_and_scope_echo(http, make_user):
    u = make_user("tokshape")
    app = create_app(http, scopes="read write follow push")
    body = assert_json(password_grant(http, app, u.email, u.password, scope="read write follow push"))
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20
    assert body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) >= {"read", "write", "follow", "push"}
    assert isinstance(body["created_at"], int)


def test_token_scope_narrowed_to_request(http, make_user):
    u = make_user("toknarrow")
    app = create_app(http, scopes="read write follow")
    body = assert_json(password_grant(http, app, u.email, u.password, scope="read"))
    assert body["scope"].split() == ["read"]
    # a read-only token cannot post
    r = http.post("/api/v1/statuses", token=body["access_token"], data={"status": "nope"})
    assert_error(r, 403, "This action is outside the authorized scopes")


def test_token_scope_beyond_app_scopes_rejected(http, make_user):
    u = make_user("tokbeyond")
    app = create_app(http, scopes="read")
    r = password_grant(http, app, u.email, u.password, scope="read write")
    assert r.status_code in (400, 401), r.text
    assert is_json(r)
    assert r.json()["error"] == "invalid_scope"


def test_mastodon_py_login_with_granular_scopes(server, make_user):
    u = make_user("granular")
    scopes = ["read:accounts", "read:statuses", "write:statuses"]
    cid, secret = Mastodon.create_app("granular", api_base_url=server.url, scopes=scopes)
    m = make_client(server.url, client_id=cid, client_secret=secret)
    m.log_in(username=u.email, password=u.password, scopes=scopes)  # raises if not echoed
    assert m.account_verify_credentials()["username"] == u.name
    st = m.status_post("granular scopes can post")
    assert st["id"]


@pytest.mark.parametrize("who", ["email", "username"])
def test_wrong_password_is_invalid_grant(http, alice, who):
    app = create_app(http)
    login = alice.email if who == "email" else alice.name
    r = password_grant(http, app, login, "definitely-not-it")
    assert r.status_code in (400, 401), r.text
    assert is_json(r), r.headers.get("Content-Type")
    assert r.json()["error"] == "invalid_grant"
    assert "access_token" not in r.json()


def test_unknown_user_is_invalid_grant(http):
    app = create_app(http)
    r = password_grant(http, app, "nobody-here@example.com", "whatever-pw")
    assert r.status_code in (400, 401)
    assert is_json(r) and r.json()["error"] == "invalid_grant"


def test_wrong_password_raises_in_mastodon_py(server, app_keys, alice):
    m = make_client(server.url, client_id=app_keys[0], client_secret=app_keys[1])
    with pytest.raises(MastodonError):
        m.log_in(username=alice.email, password="wrong-password!", scopes=DEFAULT_SCOPES)


def test_password_grant_wrong_client_secret_rejected(http, alice):
    app = create_app(http)
    app = dict(app, client_secret="x" * 43)
    r = password_grant(http, app, alice.email, alice.password)
    assert r.status_code in (400, 401), r.text
    assert is_json(r) and r.json()["error"] == "invalid_client"


def test_token_endpoint_accepts_json_body(http, make_user):
    u = make_user("tokjson")
    app = create_app(http)
    r = http.post("/oauth/token", json={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": u.email,
        "password": u.password, "scope": "read write follow"})
    tok = assert_json(r)["access_token"]
    assert assert_json(me(http, tok))["username"] == u.name


# ---- authorization_code ------------------------------------------------------

def test_authorize_page_is_html_login_form(http):
    app = create_app(http)
    r = http.get("/oauth/authorize", params={"response_type": "code", "client_id": app["client_id"],
                                              "redirect_uri": OOB, "scope": "read write follow"})
    assert r.status_code == 200
    assert "text/html" in r.headers["Content-Type"]
    page = parse_html(r.text)
    names = {f[0] for form in page.forms for f in form["fields"]}
    assert "password" in names, names


def test_authorize_with_trailing_slash_like_toot(http):
    app = create_app(http)
    r = http.get("/oauth/authorize/", params={"response_type": "code", "client_id": app["client_id"],
                                               "redirect_uri": OOB, "scope": "read write follow"})
    assert r.status_code == 200
    assert "text/html" in r.headers["Content-Type"]


def test_authorize_unknown_client_rejected(http):
    r = http.get("/oauth/authorize", params={"response_type": "code", "client_id": "nope",
                                              "redirect_uri": OOB, "scope": "read"})
    assert 400 <= r.status_code < 500
    assert "code=" not in r.headers.get("Location", "")


def test_authorization_code_oob_flow_with_mastodon_py(server, http, make_user):
    u = make_user("oobflow")
    cid, secret = Mastodon.create_app("oob-app", api_base_url=server.url, scopes=DEFAULT_SCOPES)
    app = {"client_id": cid, "client_secret": secret}
    code = oob_code(http, app, u.email, u.password, scope=" ".join(DEFAULT_SCOPES))
    cands = code if isinstance(code, list) else [code]
    m = make_client(server.url, client_id=cid, client_secret=secret)
    last = None
    for c in cands:
        try:
            m.log_in(code=c, scopes=DEFAULT_SCOPES)
            break
        except MastodonError as e:
            last = e
    else:
        raise AssertionError(f"no code from the OOB page was accepted: {last}")
    assert m.account_verify_credentials()["username"] == u.name


def test_authorization_code_redirect_flow_keeps_state(http, make_user):
    u = make_user("redirflow")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    code, state = authorize(http, app, u.name, u.password, redirect_uri=redirect, state="xyz123")
    assert state == "xyz123"
    r = exchange_code(http, app, code, redirect_uri=redirect)
    body = assert_json(r)
    assert set(body["scope"].split()) >= {"read", "write", "follow"}
    assert assert_json(me(http, body["access_token"]))["username"] == u.name


def test_authorization_code_is_single_use(http, make_user):
    u = make_user("codeonce")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    code, _ = authorize(http, app, u.email, u.password, redirect_uri=redirect)
    assert_json(exchange_code(http, app, code, redirect_uri=redirect))
    again = exchange_code(http, app, code, redirect_uri=redirect)
    assert again.status_code in (400, 401)
    assert is_json(again) and again.json()["error"] == "invalid_grant"


def test_authorize_wrong_password_issues_no_code(http, make_user):
    u = make_user("badform")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    r = http.get("/oauth/authorize", params={"response_type": "code", "client_id": app["client_id"],
                                              "redirect_uri": redirect, "scope": "read"})
    form = [f for f in parse_html(r.text).forms if f["method"] == "post"][0]
    r2 = http.post(urljoin(r.url, form["action"] or r.url), data=fill_form(form, u.email, "wrong-pw-123"))
    assert "code=" not in r2.headers.get("Location", "")
    assert r2.status_code not in (301, 302, 303) or not r2.headers["Location"].startswith(redirect)


def test_authorize_redirect_uri_must_match_app(http):
    app = create_app(http, redirect_uris="http://127.0.0.1:9/callback")
    r = http.get("/oauth/authorize", params={"response_type": "code", "client_id": app["client_id"],
                                              "redirect_uri": "http://evil.example/steal", "scope": "read"})
    assert "evil.example" not in r.headers.get("Location", "")
    assert 400 <= r.status_code < 500, r.status_code


# ---- PKCE --------------------------------------------------------------------

def test_pkce_s256_good_verifier(http, make_user):
    u = make_user("pkcegood")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    verifier, challenge = pkce_pair()
    code, _ = authorize(http, app, u.email, u.password, redirect_uri=redirect, challenge=challenge)
    body = assert_json(exchange_code(http, app, code, redirect_uri=redirect, code_verifier=verifier))
    assert assert_json(me(http, body["access_token"]))["username"] == u.name


def test_pkce_s256_bad_verifier_rejected(http, make_user):
    u = make_user("pkcebad")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    verifier, challenge = pkce_pair()
    code, _ = authorize(http, app, u.email, u.password, redirect_uri=redirect, challenge=challenge)
    bad = exchange_code(http, app, code, redirect_uri=redirect, code_verifier=verifier + "x")
    assert bad.status_code in (400, 401), bad.text
    assert is_json(bad) and bad.json()["error"] == "invalid_grant"
    assert "access_token" not in bad.json()


def test_pkce_missing_verifier_rejected(http, make_user):
    u = make_user("pkcemiss")
    redirect = "http://127.0.0.1:9/callback"
    app = create_app(http, redirect_uris=redirect)
    _verifier, challenge = pkce_pair()
    code, _ = authorize(http, app, u.email, u.password, redirect_uri=redirect, challenge=challenge)
    r = exchange_code(http, app, code, redirect_uri=redirect)
    assert r.status_code in (400, 401), r.text
    assert is_json(r) and r.json()["error"] == "invalid_grant"


# ---- revoke ------------------------------------------------------------------

def test_revoke_then_token_rejected(http, make_user):
    u = make_user("revoke")
    app = create_app(http)
    tok = assert_json(password_grant(http, app, u.email, u.password))["access_token"]
    assert_json(me(http, tok))
    r = http.post("/oauth/revoke", data={"client_id": app["client_id"],
                                         "client_secret": app["client_secret"], "token": tok})
    assert r.status_code == 200, r.text
    assert is_json(r) and r.json() == {}
    assert_error(me(http, tok), 401, "The access token is invalid")
    assert_error(http.post("/api/v1/statuses", token=tok, data={"status": "after revoke"}), 401)


def test_revoke_via_mastodon_py(server, app_keys, make_user):
    u = make_user("revokempy")
    m = make_client(server.url, client_id=app_keys[0], client_secret=app_keys[1])
    m.log_in(username=u.email, password=u.password, scopes=DEFAULT_SCOPES)
    tok = m.access_token
    m.revoke_access_token()
    m2 = make_client(server.url, access_token=tok)
    with pytest.raises(MastodonError) as ei:
        m2.account_verify_credentials()
    assert ei.value.args[1] == 401


def test_revoke_other_apps_token_does_nothing(http, make_user):
    u = make_user("revokeother")
    app1, app2 = create_app(http), create_app(http)
    tok = assert_json(password_grant(http, app1, u.email, u.password))["access_token"]
    http.post("/oauth/revoke", data={"client_id": app2["client_id"],
                                     "client_secret": app2["client_secret"], "token": tok})
    assert_json(me(http, tok))  # still valid: app2 does not own it


# ---- client_credentials and registration -------------------------------------

def client_token(http, app, scope="read write"):
    r = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": app["client_id"],
                                        "client_secret": app["client_secret"], "scope": scope})
    body = assert_json(r)
    assert body["token_type"].lower() == "bearer"
    return body["access_token"]


def test_client_credentials_token_is_not_a_user(http):
    app = create_app(http)
    tok = client_token(http, app)
    r = me(http, tok)
    assert 400 <= r.status_code < 500
    assert is_json(r)


def test_client_credentials_with_json_body_like_toot(http):
    app = create_app(http)
    r = http.post("/oauth/token", json={"grant_type": "client_credentials", "client_id": app["client_id"],
                                        "client_secret": app["client_secret"],
                                        "redirect_uri": OOB, "scope": "read write"})
    assert assert_json(r)["access_token"]


def test_create_account_with_mastodon_py(server, http):
    cid, secret = Mastodon.create_app("signup", api_base_url=server.url, scopes=DEFAULT_SCOPES)
    m = make_client(server.url, client_id=cid, client_secret=secret)
    name = unique_name("signup")
    token = m.create_account(name, "signup-password-1", f"{name}@example.org", agreement=True, locale="en")
    assert token and m.access_token == token
    acct = m.account_verify_credentials()
    assert acct["username"] == name
    assert acct["acct"] == name
    # the new account can also log in with the password grant
    m2 = make_client(server.url, client_id=cid, client_secret=secret)
    m2.log_in(username=f"{name}@example.org", password="signup-password-1", scopes=DEFAULT_SCOPES)
    assert m2.account_verify_credentials()["id"] == acct["id"]


def test_create_account_requires_a_token(http):
    name = unique_name("notoken")
    r = http.post("/api/v1/accounts", data={"username": name, "email": f"{name}@example.org",
                                            "password": "long-enough-pw", "agreement": "1", "locale": "en"})
    assert_error(r, 401)


def register(http, token, **fields):
    data = {"agreement": "1", "locale": "en"}
    data.update(fields)
    return http.post("/api/v1/accounts", token=token, data=data)


def test_registration_taken_username_is_422_err_taken(http, alice):
    tok = client_token(http, create_app(http))
    r = register(http, tok, username="alice", email=f"{unique_name('x')}@example.org",
                 password="long-enough-pw")
    body = assert_error(r, 422)
    assert body["details"]["username"][0]["error"] == "ERR_TAKEN"
    assert body["details"]["username"][0]["description"]


def test_registration_taken_email_is_422(http, alice):
    tok = client_token(http, create_app(http))
    r = register(http, tok, username=unique_name("dupmail"), email=alice.email, password="long-enough-pw")
    body = assert_error(r, 422)
    assert body["details"]["email"][0]["error"] == "ERR_TAKEN"


def test_registration_short_password_is_422_err_too_short(http):
    tok = client_token(http, create_app(http))
    name = unique_name("shortpw")
    r = register(http, tok, username=name, email=f"{name}@example.org", password="short")
    body = assert_error(r, 422)
    assert body["details"]["password"][0]["error"] == "ERR_TOO_SHORT"


def test_registration_bad_email_is_422_err_invalid(http):
    tok = client_token(http, create_app(http))
    r = register(http, tok, username=unique_name("bademail"), email="not-an-email", password="long-enough-pw")
    body = assert_error(r, 422)
    assert body["details"]["email"][0]["error"] == "ERR_INVALID"


def test_registration_bad_username_is_422(http):
    tok = client_token(http, create_app(http))
    r = register(http, tok, username="bad name!", email=f"{unique_name('x')}@example.org",
                 password="long-enough-pw")
    body = assert_error(r, 422)
    assert body["details"]["username"][0]["error"] == "ERR_INVALID"


def test_registration_errors_reach_mastodon_py(server):
    cid, secret = Mastodon.create_app("signup-err", api_base_url=server.url, scopes=DEFAULT_SCOPES)
    m = make_client(server.url, client_id=cid, client_secret=secret)
    token, err = m.create_account("bob", "long-enough-pw", f"{unique_name('x')}@example.org",
                                  agreement=True, return_detailed_error=True)
    assert token is None
    assert err["details"]["username"][0]["error"] == "ERR_TAKEN"


def test_failed_registration_creates_nothing(http):
    tok = client_token(http, create_app(http))
    name = unique_name("ghost")
    assert_error(register(http, tok, username=name, email=f"{name}@example.org", password="short"), 422)
    assert_error(http.get("/api/v1/accounts/lookup", params={"acct": name}), 404)


def test_registration_username_taken_case_insensitively(http, alice):
    """'Alice' must not be registrable next to 'alice' (impersonation)."""
    tok = client_token(http, create_app(http))
    r = register(http, tok, username="ALICE", email=f"{unique_name('x')}@example.org",
                 password="long-enough-pw")
    body = assert_error(r, 422)
    assert body["details"]["username"][0]["error"] == "ERR_TAKEN"


def test_password_login_email_case_insensitive(http, make_user):
    u = make_user("mailcase")
    app = create_app(http)
    body = assert_json(password_grant(http, app, u.email.upper(), u.password))
    assert assert_json(me(http, body["access_token"]))["username"] == u.name


def test_unsupported_grant_type(http):
    app = create_app(http)
    r = http.post("/oauth/token", data={"grant_type": "magic", "client_id": app["client_id"],
                                        "client_secret": app["client_secret"]})
    assert r.status_code == 400
    assert is_json(r) and r.json()["error"] == "unsupported_grant_type"


def test_token_error_on_missing_grant_params(http):
    app = create_app(http)
    r = http.post("/oauth/token", data={"grant_type": "password", "client_id": app["client_id"],
                                        "client_secret": app["client_secret"]})
    assert r.status_code in (400, 401)
    assert is_json(r) and r.json()["error"] in ("invalid_request", "invalid_grant")


# ---- the authorize page is on our origin: nothing user-supplied may run there ----

XSS = '<script>alert(1)</script>'


def test_authorize_page_escapes_app_name_and_state(http):
    r = http.post("/api/v1/apps", data={"client_name": f"evil {XSS}", "redirect_uris": OOB,
                                        "scopes": "read", "website": "https://example.org/?q=<b>"})
    app = assert_json(r)
    page = http.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": OOB,
        "scope": "read", "state": f'"><img src=x onerror=alert(2)>{XSS}'})
    assert page.status_code == 200
    assert XSS not in page.text
    assert "<img src=x" not in page.text
    assert "<b>" not in page.text


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "data:text/html,hi", "not a uri",
                                 "https://example.org/cb#fragment"])
def test_app_with_dangerous_redirect_uri_rejected(http, uri):
    r = http.post("/api/v1/apps", data={"client_name": "bad redirect", "redirect_uris": uri,
                                        "scopes": "read"})
    assert_error(r, 422)
