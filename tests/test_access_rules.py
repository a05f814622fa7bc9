"""Every HTTP route depends on exactly one access rule (public, signed_in, signed_in_any).

A route with none would be open to anyone by accident; a route with two has an ambiguous
rule. The checker walks each route's dependency tree, so a rule added through a router's or
an include's ``dependencies=[...]`` counts as well as one in a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount

from quietline.actions.context import Actor
from quietline.api.access import ACCESS_RULES, Public, ServicesDep, SignedIn, SignedInAny
from quietline.app import Services, build_services, create_app, ensure_key_files
from quietline.config import Settings

RULE_NAMES = {rule: rule.__name__ for rule in ACCESS_RULES}


@dataclass(frozen=True)
class RouteInfo:
    methods: tuple[str, ...]
    path: str
    dependant: Dependant

    @property
    def label(self) -> str:
        return f"{','.join(self.methods)} {self.path}"


def http_routes(app: FastAPI) -> list[RouteInfo]:
    """Every HTTP route of the app, with the dependency tree it really runs (included
    routers' prefixes and dependencies applied)."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            dependant = context.dependant
            assert isinstance(dependant, Dependant)
            methods = tuple(sorted(context.methods or ()))
            found.append(RouteInfo(methods, str(context.path), dependant))
    return found


def rules_in(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every access rule in a dependency tree, depth first (once per place it appears)."""
    for sub in dependant.dependencies:
        if sub.call in RULE_NAMES:
            assert sub.call is not None
            yield sub.call
        yield from rules_in(sub)


def rule_violations(app: FastAPI) -> list[str]:
    """One line per route that does not have exactly one access rule."""
    problems = []
    for route in http_routes(app):
        rules = {RULE_NAMES[rule] for rule in rules_in(route.dependant)}
        if len(rules) != 1:
            found = ", ".join(sorted(rules)) or "none"
            problems.append(f"{route.label}: expected exactly one access rule, found {found}")
    return problems


@pytest.fixture(scope="module")
def route_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Routes do not depend on the database: one SQLite-configured instance is enough."""
    data_dir: Path = tmp_path_factory.mktemp("access")
    settings = Settings(data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=8)
    ensure_key_files(settings)
    svc = build_services(settings)
    yield svc
    svc.close()


@pytest.fixture
def app(route_services: Services) -> FastAPI:
    return create_app(route_services)


def test_every_route_has_exactly_one_access_rule(app: FastAPI) -> None:
    routes = http_routes(app)
    assert len(routes) >= 30, [r.label for r in routes]  # the walk really reached the routes
    assert rule_violations(app) == []


def test_the_expected_routes_are_public(app: FastAPI) -> None:
    public = sorted(
        route.label
        for route in http_routes(app)
        if {RULE_NAMES[r] for r in rules_in(route.dependant)} == {"public"}
    )
    client_page = [r for r in public if r.split()[1].startswith("/client-api/")]
    assert [r for r in public if r not in client_page] == [
        "GET /",  # a redirect to /app/
        "GET /api/v1/health",
        "GET /api/v1/push/vapid-key",  # the push signing key's public half
        "POST /api/v1/auth/sign-in",
        # Twilio's webhooks: proven by X-Twilio-Signature (api/routes/provider_hooks.py)
        "POST /api/v1/hooks/twilio/sms",
        "POST /api/v1/hooks/twilio/status",
        "POST /api/v1/join",  # accepting an invitation (the link's token is the credential)
        "POST /api/v1/web/join",
        "POST /api/v1/web/sign-in",
    ]
    # The secure client page: no staff sign-in; the link's token, then the client-session
    # cookie with its CSRF token (client_session_token in api/routes/client_page.py).
    assert client_page == [
        "GET /client-api/thread",
        "POST /client-api/appointments/{appointment_id}/answer",
        "POST /client-api/code",
        "POST /client-api/messages",
        "POST /client-api/seen",
        "POST /client-api/sign-out",
        "POST /client-api/start",
        "POST /client-api/verify",
    ]


def test_the_only_mounts_are_static_files(app: FastAPI) -> None:
    """Static files carry no content and no secrets; nothing else is mounted outside the
    access rules."""
    mounts = [r for r in app.routes if isinstance(r, Mount)]
    assert [(m.path, type(m.app).__name__) for m in mounts] == [
        ("/app", "StaticFiles"),
        ("/c", "StaticFiles"),  # the secure client page (web/client)
    ]


def test_the_websocket_authenticates_in_its_first_frame(app: FastAPI) -> None:
    """The one route outside the rule: it cannot use a header dependency, so it reads the
    token from its first frame (tests/test_isolation.py exercises it)."""
    sockets = [
        str(c.path)
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIWebSocketRoute)
    ]
    assert sockets == ["/api/v1/ws"]


# -- the checker itself can fail ----------------------------------------------------------


async def colleague(actor: SignedIn) -> Actor:
    """A finer rule built on a base rule (like the admin and membership checks)."""
    return actor


def _add_rogue_routes(app: FastAPI) -> None:
    rogue = APIRouter()

    @rogue.get("/rogue/no-rule")
    async def no_rule(svc: ServicesDep) -> dict[str, str]:
        return {"anyone": "can read this"}

    @rogue.get("/rogue/two-rules", dependencies=[Public])
    async def two_rules(actor: SignedIn) -> dict[str, str]:
        return {}

    @rogue.get("/rogue/nested-rule")
    async def nested_rule(actor: Annotated[Actor, Depends(colleague)]) -> dict[str, str]:
        return {}

    @rogue.get("/rogue/nested-and-public", dependencies=[Public])
    async def nested_and_public(actor: Annotated[Actor, Depends(colleague)]) -> dict[str, str]:
        return {}

    app.include_router(rogue, prefix="/api/v1")


def test_the_checker_flags_routes_without_a_rule_or_with_two(app: FastAPI) -> None:
    _add_rogue_routes(app)
    assert rule_violations(app) == [
        "GET /api/v1/rogue/no-rule: expected exactly one access rule, found none",
        "GET /api/v1/rogue/two-rules: expected exactly one access rule, found public, signed_in",
        "GET /api/v1/rogue/nested-and-public: expected exactly one access rule, "
        "found public, signed_in",
    ]


def test_the_checker_sees_rules_given_by_a_router_or_an_include() -> None:
    app = FastAPI()
    by_router = APIRouter(dependencies=[Public])

    @by_router.get("/router-rule")
    async def router_rule() -> None:
        return None

    by_include = APIRouter()

    @by_include.get("/include-rule")
    async def include_rule() -> None:
        return None

    deep = APIRouter()

    @deep.get("/deep")
    async def deep_rule(actor: SignedInAny) -> None:
        return None

    outer = APIRouter()
    outer.include_router(deep, prefix="/inner")
    bare = APIRouter()

    @bare.post("/bare")
    async def bare_route() -> None:
        return None

    app.include_router(by_router)
    app.include_router(by_include, dependencies=[Public])
    app.include_router(outer, prefix="/outer")
    app.include_router(bare)
    assert [r.label for r in http_routes(app)] == [
        "GET /router-rule",
        "GET /include-rule",
        "GET /outer/inner/deep",
        "POST /bare",
    ]
    assert rule_violations(app) == ["POST /bare: expected exactly one access rule, found none"]
