"""The endpoint table in docs/api.md lists exactly the routes chorus serves
(src/api/routes.c), so client authors can trust it."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def routes_in_code():
    src = (REPO / "src/api/routes.c").read_text()
    routes = set(re.findall(r'R(?:U|L|UL)?\("(\w+)",\s*"([^"]+)"', src))
    # RK: a public GET whose anonymous answer may be kept
    routes |= {("GET", path) for path in re.findall(r'\bRK\("([^"]+)"', src)}
    # OAuth's authorize endpoint is a web page (src/web/authorize.c), but
    # apps call it: it belongs in the API's table too
    web = (REPO / "src/web/routes.c").read_text()
    for kind, path in re.findall(r'\b(WP?)\("(/oauth/[^"]+)"', web):
        routes.add(("POST" if kind == "WP" else "GET", path))
    return routes


def routes_in_docs():
    doc = (REPO / "docs/api.md").read_text()
    return set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", doc, re.M))


def test_every_route_is_documented_and_every_documented_route_exists():
    code, docs = routes_in_code(), routes_in_docs()
    assert len(code) > 50
    assert code - docs == set(), "routes missing from docs/api.md"
    assert docs - code == set(), "docs/api.md lists routes that do not exist"


def test_every_federation_route_is_in_docs_federation():
    """docs/federation.md names every address src/fed/routes.c serves, as
    NAME, ID and @NAME stand for the pattern's parameters."""
    src = (REPO / "src/fed/routes.c").read_text()
    patterns = re.findall(r'\bFN?\("([^"]+)"', src)
    assert len(patterns) > 10
    doc = (REPO / "docs/federation.md").read_text()
    missing = []
    for p in patterns:
        path = p.replace(":acct", "@NAME").replace(":name", "NAME").replace(":id", "ID")
        # an account's collections after the first: "…/followers"
        tail = "…" + path.split("/users/NAME", 1)[-1]
        if path not in doc and not (path.startswith("/users/NAME/") and tail in doc):
            missing.append(p)
    assert missing == [], "routes missing from docs/federation.md"


def test_every_config_key_is_documented_with_its_default():
    """Each row of the table in src/core/config.c has its row in
    docs/configuration.md, section, key and default as the code has them."""
    src = (REPO / "src/core/config.c").read_text()
    keys = re.findall(r'KEY(?:_CHECKED)?\(\s*"(\w+)",\s*"(\w+)",\s*\w+,\s*\w+,\s*"([^"]*)"',
                      src)
    assert len(keys) > 50
    doc = (REPO / "docs/configuration.md").read_text()
    rows = {(m[0], m[1]): m[2] for m in
            re.findall(r"^\| (\w+) \| `(\w+)` \| ([^|]*) \|", doc, re.M)}
    missing = [f"[{s}] {k}" for s, k, _ in keys if (s, k) not in rows]
    assert missing == [], "keys missing from docs/configuration.md"
    # a plain number or word as default must be the one the code has
    wrong = [f"[{s}] {k}: code {d!r}, docs {rows[(s, k)]!r}" for s, k, d in keys
             if re.fullmatch(r"`[\w.]+`", rows[(s, k)].strip())
             and rows[(s, k)].strip() != f"`{d}`"]
    assert wrong == [], "defaults that differ"
