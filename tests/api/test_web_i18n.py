"""The web pages in the reader's language, and the catalogue behind them.

A page asked for with `Accept-Language: es` is Spanish (`<html lang="es">`
and every catalogue string on it translated), without the header English;
the anonymous page cache never hands one language's page to the other.
Then the catalogue itself: every string the sources mark with _(), N_() or
web_trn() has a Spanish translation in po/es.po that is neither missing,
empty nor fuzzy, so a new string without a translation fails here with the
list of what to translate.

Run:  CHORUS_BIN=$PWD/build/chorus /usr/bin/python3 -m pytest -q \
          -p no:cacheprovider tests/api/test_web_i18n.py
"""

import json
import re
import subprocess
from html.parser import HTMLParser

import pytest
import requests

from conftest import REPO, ChorusServer, chorus_bin

PO = REPO / "po" / "es.po"
TIMEOUT = 10
# Pages every server has, whatever its data: the home page, and the 404
# page of an account that does not exist.
PAGES = ["/", "/@no-such-account-here"]


# ---- reading a .po file ----------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s):
    """The text of one C string literal line of a .po file."""
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


class PoEntry:
    def __init__(self):
        self.msgid = None
        self.msgid_plural = None
        self.msgstr = {}  # index (0 for a singular entry) -> text
        self.flags = set()
        self.references = []
        self.obsolete = False

    @property
    def translated(self):
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


def read_po(path):
    """{msgid: PoEntry} of a .po or .pot file; obsolete (#~) entries and
    the header are left out."""
    entries, cur, field = {}, PoEntry(), None

    def finish():
        nonlocal cur, field
        if cur.msgid and not cur.obsolete:
            entries[cur.msgid] = cur
        cur, field = PoEntry(), None

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            finish()
        elif line.startswith("#~"):
            cur.obsolete = True
        elif line.startswith("#,"):
            cur.flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#:"):
            cur.references += line[2:].split()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = _unquote(line)
            if field == "msgid":
                cur.msgid += text
            elif field == "msgid_plural":
                cur.msgid_plural += text
            elif isinstance(field, int):
                cur.msgstr[field] += text
        else:
            key, _, rest = line.partition(" ")
            m = re.fullmatch(r"msgstr\[(\d+)\]", key)
            if key == "msgid":
                field, cur.msgid = "msgid", _unquote(rest)
            elif key == "msgid_plural":
                field, cur.msgid_plural = "msgid_plural", _unquote(rest)
            elif key == "msgstr" or m:
                field = int(m.group(1)) if m else 0
                cur.msgstr[field] = _unquote(rest)
            else:
                field = None  # msgctxt and the like: not used by chorus
    return entries


def spanish():
    """{msgid: singular msgstr} of po/es.po's translated entries."""
    return {k: e.msgstr[0] for k, e in read_po(PO).items() if e.translated}


# ---- reading a page --------------------------------------------------------

class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.texts = []
        self.script_strings = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "meta" and dict(attrs).get("name") == "chorus-strings":
            self.script_strings = json.loads(dict(attrs)["content"])
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "title", "alt") and value:
                self.texts.append(value.strip())

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


def page(base_url, path, accept_language=None):
    headers = {"Accept": "text/html"}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    r = requests.get(base_url + path, headers=headers, timeout=TIMEOUT)
    assert r.headers.get("Content-Type", "").startswith("text/html"), (
        f"GET {path}: {r.status_code} {r.headers.get('Content-Type')}\n{r.text[:300]}")
    p = _Page()
    p.feed(r.text)
    return r, p


def catalogue_texts(p, catalogue):
    """The texts of page p (its text nodes and labels) that are, whole,
    a msgid of the catalogue with a translation that differs from it."""
    return {t for t in p.texts if t in catalogue and catalogue[t] != t}


# ---- pages -----------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_accept_language_is_english(base_url, path):
    r, p = page(base_url, path)
    assert p.lang == "en", r.text[:300]
    es = spanish()
    spanish_only = {v for k, v in es.items() if v != k}
    leaked = [t for t in p.texts if t in spanish_only]
    assert not leaked, f"GET {path} without Accept-Language shows Spanish: {leaked}"


@pytest.mark.parametrize("path", PAGES)
def test_a_page_asked_for_in_spanish_is_spanish(base_url, path):
    es = spanish()
    r_en, en = page(base_url, path, "en")
    r_es, sp = page(base_url, path, "es")
    assert r_es.status_code == r_en.status_code
    assert sp.lang == "es", r_es.text[:300]
    english = catalogue_texts(en, es)
    assert english, (f"GET {path}: no catalogue string found on the English "
                     f"page; texts: {en.texts[:40]}")
    untranslated = sorted(t for t in english if t in sp.texts)
    assert not untranslated, (
        f"GET {path} with Accept-Language: es still shows English: {untranslated}")
    missing = sorted(es[t] for t in english if es[t] not in sp.texts)
    assert not missing, f"GET {path} in Spanish lacks: {missing}"


def test_sign_in_is_translated_on_the_home_page(base_url):
    es = spanish()
    assert "Sign in" in es, "po/es.po has no translation of 'Sign in'"
    _, sp = page(base_url, "/", "es-MX,es;q=0.9,en;q=0.8")
    assert es["Sign in"] in sp.texts


def test_the_page_script_gets_its_strings_in_the_page_language(base_url):
    es = read_po(PO)
    _, en = page(base_url, "/")
    _, sp = page(base_url, "/", "es")
    assert en.script_strings and sp.script_strings, "no <meta name=chorus-strings>"
    assert en.script_strings["new_posts_one"] == "{n} new post"
    assert en.script_strings["new_posts_other"] == "{n} new posts"
    plural = es["{n} new post"].msgstr
    assert sp.script_strings["new_posts_one"] == plural[0]
    assert sp.script_strings["new_posts_other"] == plural[1]
    assert sp.script_strings["share"] == es["Share"].msgstr[0]
    # every key the script knows is there, translated, in both languages
    keys = {"share", "copy_link", "copied", "copy_failed", "new_posts_one",
            "new_posts_other"}
    assert keys <= set(en.script_strings) and keys <= set(sp.script_strings)
    assert not {k for k in keys if sp.script_strings[k] == en.script_strings[k]}


@pytest.mark.parametrize("header,lang", [
    ("es-ES,es;q=0.9", "es"),
    ("fr-CA, es;q=0.5, en;q=0.1", "es"),
    ("en-US,en;q=0.9,es;q=0.8", "en"),
    ("es;q=0, *", "en"),
    ("en;q=0, *", "es"),
    ("de, fr", "en"),
    ("*", "en"),
    ("", "en"),
    ("es;q=banana", "en"),
    ("\u00e9s", "en"),
    ("x" * 4000, "en"),
    ("fr;q=0.1, " * 300 + "es;q=0.2", "es"),
])
def test_accept_language_chooses_the_page_language(base_url, header, lang):
    r, p = page(base_url, "/", header)
    assert r.status_code == 200
    assert p.lang == lang, f"Accept-Language: {header[:80]!r}"


@pytest.mark.parametrize("path", PAGES)
def test_the_page_cache_keeps_languages_apart(base_url, path):
    seen = {}
    for header, lang in [("es", "es"), (None, "en"), ("es", "es"), ("en", "en"),
                         ("es-AR", "es"), (None, "en")]:
        r, p = page(base_url, path, header)
        assert p.lang == lang, f"GET {path} Accept-Language {header!r}: lang {p.lang}"
        seen.setdefault(lang, set()).add(r.headers.get("ETag"))
    assert "accept-language" in r.headers.get("Vary", "").lower(), (
        f"GET {path}: a cache between chorus and the reader needs "
        f"Vary: Accept-Language (got {r.headers.get('Vary')!r})")
    if None not in seen["es"] | seen["en"]:
        assert not seen["es"] & seen["en"], "the same ETag for both languages"


def test_an_english_etag_does_not_validate_the_spanish_page(base_url):
    r, _ = page(base_url, "/", "en")
    etag = r.headers.get("ETag")
    if not etag:
        pytest.skip("the home page has no ETag")
    r = requests.get(base_url + "/", headers={"Accept-Language": "es",
                                              "If-None-Match": etag},
                     timeout=TIMEOUT)
    assert r.status_code == 200, "a 304 would keep the English page for a Spanish reader"


# ---- servers with an unusual environment ------------------------------------

def _server_log_lines(srv, word):
    return [l for l in srv.log_path.read_text(errors="replace").splitlines() if word in l]


def test_language_in_the_servers_environment_does_not_override_the_reader(
        tmp_path, monkeypatch):
    # gettext lets LANGUAGE outrank the thread's locale; the server drops it
    monkeypatch.setenv("LANGUAGE", "en_GB:en")
    srv = ChorusServer(chorus_bin(), tmp_path)
    srv.start()
    try:
        es = spanish()
        _, sp = page(srv.url, "/", "es")
        assert sp.lang == "es"
        assert es["Sign in"] in sp.texts
        assert len(_server_log_lines(srv, "LANGUAGE")) == 1
    finally:
        srv.stop()


def test_a_missing_catalogue_serves_english_and_says_so_once(tmp_path, monkeypatch):
    empty = tmp_path / "no-catalogues"
    empty.mkdir()
    monkeypatch.setenv("CHORUS_LOCALE_DIR", str(empty))
    srv = ChorusServer(chorus_bin(), tmp_path / "srv")
    srv.start()
    try:
        r, p = page(srv.url, "/", "es")
        assert r.status_code == 200
        assert p.lang == "en"
        assert "Sign in" in p.texts
        page(srv.url, "/", "es")
        lines = _server_log_lines(srv, "catalogue")
        assert len([l for l in lines if "no es catalogue" in l]) == 1, lines
    finally:
        srv.stop()


# ---- the catalogue ----------------------------------------------------------

def _extract(tmp_path):
    """The strings the sources mark today, extracted as `make pot` does."""
    pot = tmp_path / "sources.pot"
    res = subprocess.run(["make", "-s", "-C", str(REPO), "pot-extract", f"POT={pot}"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"xgettext failed:\n{res.stdout}\n{res.stderr}"
    return read_po(pot)


def test_every_string_in_the_sources_has_a_spanish_translation(tmp_path):
    sources = _extract(tmp_path)
    assert sources, "xgettext found no _() strings in the sources"
    po = read_po(PO)
    problems = []
    for msgid, src in sources.items():
        where = " ".join(src.references[:3])
        e = po.get(msgid)
        if e is None:
            problems.append(f"  missing     {msgid!r}  ({where})")
        elif "fuzzy" in e.flags:
            problems.append(f"  fuzzy       {msgid!r}  ({where})")
        elif not e.translated:
            problems.append(f"  untranslated {msgid!r}  ({where})")
        elif src.msgid_plural and (e.msgid_plural != src.msgid_plural
                                   or sorted(e.msgstr) != [0, 1]):
            problems.append(f"  plural      {msgid!r}: po/es.po needs msgid_plural "
                            f"{src.msgid_plural!r} and msgstr[0], msgstr[1]  ({where})")
    assert not problems, (
        f"{len(problems)} user-facing string(s) lack a Spanish translation in "
        f"po/es.po:\n" + "\n".join(sorted(problems)) +
        "\nRun `make pot` (re-extracts po/chorus.pot and merges it into "
        "po/es.po), translate each entry, and drop its fuzzy flag once checked.")


def test_the_spanish_catalogue_compiles_with_checks(tmp_path):
    res = subprocess.run(["msgfmt", "--check", "--statistics", "-o",
                          str(tmp_path / "es.mo"), str(PO)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"msgfmt --check po/es.po:\n{res.stderr}"
    header = PO.read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in header
    assert '"Language: es\\n"' in header


def test_translations_keep_the_strings_conversions():
    # msgfmt --check compares conversions only for entries flagged
    # c-format; this holds for all, since a translated string may be a
    # format for html() or printf whether xgettext noticed or not
    conv = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[diouxXsc])")
    bad = []
    for msgid, e in read_po(PO).items():
        if not e.translated:
            continue
        want = sorted(conv.findall(msgid))
        for i, text in e.msgstr.items():
            source = e.msgid_plural if i > 0 and e.msgid_plural else msgid
            want = sorted(conv.findall(source))
            got = sorted(conv.findall(text))
            # a singular may leave out the %d ("one post"), never add one
            if got != want and not (i == 0 and e.msgid_plural and set(got) <= set(want)):
                bad.append(f"{msgid!r} -> {text!r}: {got} for {want}")
            # the page script's placeholders
            if sorted(re.findall(r"\{\w+\}", text)) != sorted(re.findall(r"\{\w+\}", source)):
                bad.append(f"{msgid!r} -> {text!r}: its {{placeholders}} differ")
    assert not bad, "translations whose conversions or placeholders differ:\n" + "\n".join(bad)
