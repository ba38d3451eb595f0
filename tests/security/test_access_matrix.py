"""Access control proven: every named route and every OpenAPI operation, probed as every
persona against the spec in :mod:`tests.security.matrix`.

A route or operation without an entry fails ``test_every_route_has_an_entry`` /
``test_every_api_operation_has_an_entry``: the table is the spec, so a new endpoint is not
done until it says who may use it. The probes are split by app so xdist spreads them; each
runs in a savepoint of the module's seeded world (``conftest.world``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.security.matrix import (
    API,
    EXCLUDED_NAMES,
    EXCLUDED_NAMESPACES,
    PAGES,
    Op,
    Page,
    api_path,
)
from tests.security.probe import REFUSED, WRITES, Outcome, Prober
from tests.security.world import ANON, OTHER_AREA, OTHER_PROVIDER, PERSONAS, World

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1"


def _route_names(resolver=None, namespace: tuple[str, ...] = ()) -> Iterable[str]:
    """Every named route, namespaced (``get_resolver()`` walked recursively)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join((*namespace, pattern.name))


def _matrix_names() -> set[str]:
    return {
        name
        for name in _route_names()
        if name.split(":")[0] not in EXCLUDED_NAMESPACES and name not in EXCLUDED_NAMES
    }


# --- the table covers everything --------------------------------------------------------


def test_every_route_has_an_entry(world):
    names = _matrix_names()
    pages = {n for n in names if not n.startswith("api:")}
    assert not pages - set(PAGES), f"routes without an entry in matrix.PAGES: {pages - set(PAGES)}"
    assert not set(PAGES) - pages, f"entries of routes that no longer exist: {set(PAGES) - pages}"
    # every API route is reached by some operation of the table
    reached = {resolve(api_path(key.split(" ")[1], world)).view_name for key in API}
    api_names = {n for n in names if n.startswith("api:")}
    assert not api_names - reached, f"API routes no operation reaches: {api_names - reached}"


def test_every_api_operation_has_an_entry():
    """The operations of drf-spectacular's schema (what ``/api/schema/`` serves)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert not operations - set(API), f"operations without an entry: {operations - set(API)}"
    assert not set(API) - operations, f"entries of gone operations: {set(API) - operations}"


def test_the_matrix_names_known_personas():
    for name, page in PAGES.items():
        for allowed in (page.get, page.post):
            assert allowed is None or allowed <= set(PERSONAS), name
    for key, op in API.items():
        assert op.allow <= set(PERSONAS), key


# --- probing ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prober(world):
    made = Prober(world)
    yield made
    # the probe count and time, shown with -s
    print(f"\naccess matrix: {made.count} probes in {made.seconds:.1f} s")  # noqa: T201


def _markers(w: World) -> list[str]:
    """Strings that name area A's objects: a refused persona's page must show none."""
    return [w.brief.code, w.case.code, w.interaction.code, w.contact.doc_number]


def _check(
    prober: Prober,
    w: World,
    where: str,
    persona: str,
    method: str,
    allowed: bool,
    outcome: Outcome,
    *,
    api: bool,
    redirect_ok: bool = False,
    shows: frozenset[str] = frozenset(),
    where_query: str = "",
) -> list[str]:
    """What is wrong with ``outcome`` (empty when it is as the matrix says)."""
    status, problems = outcome.status, []
    tag = f"{method.upper()} {where} as {persona}: {status}"
    if status >= 500:
        return [f"{tag} (server error)"]
    if allowed:
        to_login = prober.to_login(outcome) and not redirect_ok
        if (method == "get" and not (200 <= status < 400)) or to_login:
            problems.append(f"{tag}, expected allowed")
        elif method in WRITES and (status in REFUSED or status == 405 or to_login):
            problems.append(f"{tag}, expected allowed (past the access check)")
    else:
        if persona == ANON and not api:
            ok = status in REFUSED or prober.to_login(outcome)
        elif persona == ANON:
            ok = status in (401, 403)
        else:
            ok = status in REFUSED
        if not ok:
            problems.append(f"{tag}, expected refused")
        if outcome.changed:
            problems.append(f"{tag} refused but changed: {outcome.changed}")
    if persona in (OTHER_AREA, OTHER_PROVIDER) and status == 200 and persona not in shows:
        # the markers the request itself carries (a searched document) do not count
        shown = [m for m in _markers(w) if m in outcome.body and m not in where_query]
        if shown:
            problems.append(f"{tag} shows area A's objects {shown}")
    return problems


def _personas(allowed: frozenset[str], heavy: bool) -> list[tuple[str, bool]]:
    """Every persona with whether it is allowed; a heavy entry probes one allowed persona."""
    chosen = []
    first_allowed = True
    for persona in PERSONAS:
        is_allowed = persona in allowed
        if is_allowed and heavy and not first_allowed:
            continue
        first_allowed = first_allowed and not is_allowed
        chosen.append((persona, is_allowed))
    return chosen


def _probe_page(prober: Prober, w: World, name: str, page: Page) -> list[str]:
    path = reverse(name, kwargs=page.kwargs(w))
    if page.query:
        path = f"{path}?{page.query}"
    problems = []
    for method, allowed in (("get", page.get), ("post", page.post)):
        if allowed is None:
            continue
        for persona, is_allowed in _personas(allowed, page.heavy):
            data = page.data(w) if method == "post" else None
            outcome = prober.request(persona, method, path, data, check=method in WRITES)
            problems += _check(
                prober,
                w,
                name,
                persona,
                method,
                is_allowed,
                outcome,
                api=False,
                redirect_ok=page.login_ok,
                where_query=page.query,
            )
    return problems


def _probe_op(prober: Prober, w: World, key: str, op: Op) -> list[str]:
    method, template = key.split(" ")
    method = method.lower()
    path = API_PREFIX + api_path(template.removeprefix(API_PREFIX), w)
    query = op.query(w) if callable(op.query) else op.query
    if query:
        path = f"{path}?{query}"
    problems = []
    for persona, is_allowed in _personas(op.allow, op.heavy):
        data = op.data(w) if method in WRITES else None
        outcome = prober.request(persona, method, path, data, api=True, check=method in WRITES)
        problems += _check(
            prober,
            w,
            key,
            persona,
            method,
            is_allowed,
            outcome,
            api=True,
            shows=op.shows,
            where_query=query,
        )
    return problems


PAGE_GROUPS = sorted({name.split(":")[0] if ":" in name else "project" for name in PAGES})
API_GROUPS = sorted({key.split(" ")[1].split("/")[3] for key in API})


@pytest.mark.parametrize("group", PAGE_GROUPS)
def test_pages(prober, world, group):
    started = time.perf_counter()
    problems = []
    for name, page in sorted(PAGES.items()):
        if (name.split(":")[0] if ":" in name else "project") == group:
            problems += _probe_page(prober, world, name, page)
    prober.seconds += time.perf_counter() - started
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("group", API_GROUPS)
def test_api(prober, world, group):
    started = time.perf_counter()
    problems = []
    for key, op in sorted(API.items()):
        if key.split(" ")[1].split("/")[3] == group:
            problems += _probe_op(prober, world, key, op)
    prober.seconds += time.perf_counter() - started
    assert not problems, "\n".join(problems)
