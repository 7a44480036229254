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
