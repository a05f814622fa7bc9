"""The HTTP API keeps its published contract, and bad input gets a clear problem, never a 500.

Two halves:

* property-based: schemathesis generates requests for every operation in the live OpenAPI
  schema (served by a real uvicorn on 127.0.0.1, signed in as a practice owner) and checks
  that no answer is a 5xx and that every answer conforms to the schema: status code
  documented, content type documented, body valid against the documented schema;
* hand-written bad input: malformed JSON, wrong types, unknown fields, oversized bodies,
  unknown routes, wrong methods and non-UUID ids each get an RFC 9457 problem whose detail is
  a sentence, and which never repeats what was sent.

The schemathesis run takes about 25 seconds per backend (25 examples per operation and
generation mode, derandomized, no shrinking), so it runs on both; drop it to SQLite with
``QL_TEST_BACKENDS=sqlite`` if that ever matters.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import BaseModel
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from quietline.api import problems
from quietline.api.middleware import MAX_BODY_BYTES
from quietline.app import Services
from quietline.domain.policy import PracticePolicy
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in

PROBLEM_JSON = "application/problem+json"
MAX_EXAMPLES = 25  # per operation and generation mode: the whole run takes ~30 s
SIGN_OUT = "POST /api/v1/auth/sign-out"  # ends the fuzzing session, so it runs last
POLICY = "PATCH /api/v1/practice/policy"
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PATH_PARAM = re.compile(r"\{(\w+)\}")


# -- the schemathesis run --------------------------------------------------------------------


def fuzz(
    schema_url: str,
    base_url: str,
    headers: dict[str, str],
    known_ids: dict[str, str],
    after_case: Callable[[str], None] = lambda _label: None,
    max_examples: int = MAX_EXAMPLES,
) -> tuple[list[str], list[str]]:
    """Fuzz every operation (positive and negative data); returns (operations, failures).

    Path ids are generated freely half of the time and taken from ``known_ids`` (real
    records) the other half, so that requests get past "not found" into the handlers."""
    schema = schemathesis.openapi.from_url(schema_url)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema itself is broken
        operations.append(result.ok())
    operations.sort(key=lambda op: (op.label == SIGN_OUT, op.label))
    failures: list[str] = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            names = PATH_PARAM.findall(operation.path)
            strategy = operation.as_strategy(generation_mode=mode)
            if names and all(name in known_ids for name in names):
                known = {name: known_ids[name] for name in names}
                strategy = st.one_of(
                    strategy, operation.as_strategy(generation_mode=mode, path_parameters=known)
                )
            run = _fuzz_one(strategy, base_url, headers, operation.label, after_case, max_examples)
            try:
                run()
            except Unsatisfiable:
                # Nothing can be made invalid (no parameters, no body): positive cases only.
                if mode is schemathesis.GenerationMode.POSITIVE:
                    failures.append(f"{operation.label}: no positive case could be generated")
            except AssertionError as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    return [op.label for op in operations], failures


def _fuzz_one(
    strategy: st.SearchStrategy[Any],
    base_url: str,
    headers: dict[str, str],
    label: str,
    after_case: Callable[[str], None],
    max_examples: int,
) -> Callable[[], None]:
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,  # the same cases every run
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        except FailureGroup as exc:  # a BaseExceptionGroup: make it an ordinary failure
            raise AssertionError(str(exc)) from None
        finally:
            after_case(label)

    return run


@dataclass
class Seeded:
    live: LiveServer
    practice: PracticeHandle
    owner: Api
    known_ids: dict[str, str]


@pytest.fixture
def seeded(live_server: LiveServer) -> Iterator[Seeded]:
    practice = make_practice(live_server.services, "contract")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        owner = sign_in(http, practice.slug, practice.owner_email)
        colleague_id = add_staff(owner, "sam@contract.test", "clinician", "Sam")
        colleague = sign_in(http, practice.slug, "sam@contract.test")
        created = owner.post(
            "/conversations",
            {"kind": "group", "title": "Front desk", "member_ids": [str(colleague_id)]},
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        sent = owner.post(
            f"/conversations/{cid}/messages",
            {"body": "hello there", "idempotency_key": "contract-0001"},
        )
        assert sent.status_code == 201, sent.text
        known_ids = {
            "conversation_id": cid,
            "message_id": sent.json()["id"],
            "user_id": str(colleague_id),
            "device_id": str(colleague.session_id),  # never the fuzzing session itself
        }
        yield Seeded(live_server, practice, owner, known_ids)


def _reset_policy(services: Services, practice_id: uuid.UUID) -> None:
    services.db.write_sync(lambda unit: unit.practices.update_policy(practice_id, PracticePolicy()))


@pytest.mark.slow
def test_every_operation_conforms_to_the_schema(seeded: Seeded) -> None:
    live = seeded.live

    def after_case(label: str) -> None:
        # A fuzzed policy may require a second factor, which would shut the fuzzing session
        # out of everything else: put the defaults back after each policy case.
        if label == POLICY:
            _reset_policy(live.services, seeded.practice.id)

    operations, failures = fuzz(
        f"{live.url}/api/v1/openapi.json",
        live.url,
        seeded.owner.headers,
        seeded.known_ids,
        after_case,
    )
    assert len(operations) >= 30, operations
    assert POLICY in operations
    assert operations[-1] == SIGN_OUT
    assert not failures, "\n\n".join(failures)


# -- the run above can fail: the same harness against a deliberately broken API --------------


class _Thing(BaseModel):
    name: str


def _broken_app() -> FastAPI:
    app = FastAPI(openapi_url="/api/v1/openapi.json")
    problems.install(app)

    @app.get("/api/v1/crash", response_model=_Thing, responses=problems.RESPONSES)
    async def crash(n: int = 0) -> _Thing:
        raise RuntimeError("boom")

    @app.get("/api/v1/wrong-shape", response_model=_Thing, responses=problems.RESPONSES)
    async def wrong_shape(n: int = 0) -> JSONResponse:
        return JSONResponse({"nom": 1})

    @app.get("/api/v1/undocumented", response_model=_Thing)
    async def undocumented(n: int = 0) -> JSONResponse:
        return JSONResponse({"name": "x"}, status_code=418)

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "throwaway server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_contract_harness_reports_broken_operations() -> None:
    with _serve(_broken_app()) as url:
        operations, failures = fuzz(f"{url}/api/v1/openapi.json", url, {}, {}, max_examples=5)
    assert len(operations) == 3
    report = "\n".join(failures)
    assert "GET /api/v1/crash [positive]" in report
    assert "Server error" in report
    assert "GET /api/v1/wrong-shape [positive]" in report
    assert "Response violates schema" in report
    assert "GET /api/v1/undocumented [positive]" in report
    assert "Undocumented HTTP status code" in report or "Undocumented status code" in report


# -- hand-written bad input -------------------------------------------------------------------

MARKER = "zqxjkmarker"  # would be easy to spot if any answer repeated the input


def assert_problem(
    response: httpx.Response | httpx2.Response, status: int, *, sent: str = MARKER
) -> dict[str, Any]:
    """An RFC 9457 problem with a sentence for a detail, repeating nothing that was sent."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"].startswith("urn:quietline:problem:")
    assert isinstance(body["title"], str)
    assert body["title"]
    assert_sentence(body["detail"])
    for error in body.get("errors", []):
        assert not str(error["field"]).isdigit(), f"a position is not a field name: {body}"
    assert sent.lower() not in response.text.lower(), "the answer repeats the input"
    for name, value in response.headers.items():
        assert sent.lower() not in f"{name}: {value}".lower(), "a header repeats the input"
    return body


def assert_sentence(detail: object) -> None:
    assert isinstance(detail, str)
    assert 15 <= len(detail) <= 1000, detail
    assert detail[0].isupper() or (detail[0] == "'" and detail[1].isalpha()), detail
    assert detail.rstrip().endswith((".", "?", "!")), detail
    assert " " in detail, detail
    for leak in ("Traceback", "pydantic", "Input should", "Field required", "[type=", "{'", '{"'):
        assert leak not in detail, detail


def routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((str(context.path), set(context.methods or ()), route))
    assert len(found) >= 30
    return found


def fill(path: str, value: Callable[[str], str]) -> str:
    return PATH_PARAM.sub(lambda m: value(m.group(1)), path)


@pytest.fixture
def conversation(owner: Api) -> str:
    created = owner.post("/conversations", {"kind": "group", "title": "Intake", "member_ids": []})
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    return cid


MALFORMED = [
    pytest.param(b'{"body": "' + MARKER.encode() + b'", ', id="truncated"),
    pytest.param(b'{"body": "' + MARKER.encode() + b'"} trailing', id="trailing-garbage"),
    pytest.param(b"\xff\xfe\xfd" + MARKER.encode(), id="not-utf8"),
    pytest.param(b'{"body": "' + MARKER.encode() + b'\xc3\x28"}', id="invalid-utf8-inside"),
    pytest.param(b"{'body': '" + MARKER.encode() + b"'}", id="single-quotes"),
    pytest.param(b"", id="empty"),
    pytest.param(b'["' + MARKER.encode() + b'"]', id="array-not-object"),
    pytest.param(b'"' + MARKER.encode() + b'"', id="string-not-object"),
    pytest.param(b"null", id="null"),
    pytest.param(MARKER.encode(), id="bare-word"),
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_malformed_json_is_a_problem(
    client: TestClient, owner: Api, conversation: str, payload: bytes
) -> None:
    for path, headers in (
        (f"/api/v1/conversations/{conversation}/messages", owner.headers),
        ("/api/v1/auth/sign-in", {}),
    ):
        response = client.post(
            path, content=payload, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        assert_problem(response, response.status_code)


def test_a_non_json_content_type_is_a_problem(
    client: TestClient, owner: Api, conversation: str
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(
            f"/api/v1/conversations/{conversation}/messages",
            content=f"body={MARKER}".encode(),
            headers={**owner.headers, "content-type": content_type},
        )
        assert response.status_code in (400, 415, 422), response.text
        assert_problem(response, response.status_code)


WRONG_TYPES = [
    pytest.param({"body": 12345, "idempotency_key": f"key-{MARKER}"}, {"body"}, id="number"),
    pytest.param({"body": [MARKER], "idempotency_key": "key-00000001"}, {"body"}, id="list"),
    pytest.param({"body": {MARKER: MARKER}, "idempotency_key": "k-00000001"}, {"body"}, id="obj"),
    pytest.param({"body": "hi", "idempotency_key": 12345678}, {"idempotency_key"}, id="key-int"),
    pytest.param({"body": "hi", "idempotency_key": "k-000001", "urgent": MARKER}, {"urgent"}),
    pytest.param({"body": "hi", "idempotency_key": "k-000001", "ttl_seconds": MARKER}, set()),
    pytest.param({"body": None, "idempotency_key": None}, {"body", "idempotency_key"}, id="nulls"),
    pytest.param({"idempotency_key": "key-00000001"}, {"body"}, id="missing"),
    pytest.param({"body": "hi", "idempotency_key": f"{MARKER} has spaces"}, {"idempotency_key"}),
    pytest.param({"body": "x" * 4001, "idempotency_key": "key-00000001"}, {"body"}, id="long"),
]


@pytest.mark.parametrize(("payload", "fields"), WRONG_TYPES)
def test_wrong_types_name_the_field_without_repeating_the_value(
    owner: Api, conversation: str, payload: dict[str, Any], fields: set[str]
) -> None:
    response = owner.post(f"/conversations/{conversation}/messages", payload)
    body = assert_problem(response, 422)
    named = {error["field"] for error in body["errors"]}
    assert fields <= named, body
    for field in fields:
        assert field in body["detail"], body


def test_unknown_fields_are_refused_without_being_repeated(owner: Api, conversation: str) -> None:
    for path, payload in (
        (
            f"/conversations/{conversation}/messages",
            {"body": "hi", "idempotency_key": "key-00000001", f"{MARKER}_field": "x"},
        ),
        (
            f"/conversations/{conversation}/messages",
            {"body": "hi", "idempotency_key": "k-0001", "x": MARKER},
        ),
        ("/practice/policy", {f"{MARKER}": True}),
        (
            "/users",
            {
                "email": "a@b.test",
                "display_name": "A",
                "role": "clinician",
                "password": "long enough password",
                "admin": MARKER,
            },
        ),
    ):
        method = owner.patch if path == "/practice/policy" else owner.post
        response = method(path, payload)
        body = assert_problem(response, 422)
        assert "field" in body["detail"], body
    # Nothing was sent or changed by the refused requests.
    page = owner.get(f"/conversations/{conversation}/messages").json()
    assert page["messages"] == []


def test_a_body_over_the_limit_is_a_413_problem(
    client: TestClient, owner: Api, conversation: str
) -> None:
    path = f"/api/v1/conversations/{conversation}/messages"
    headers = {**owner.headers, "content-type": "application/json"}
    huge = ('{"body": "' + MARKER * (MAX_BODY_BYTES // len(MARKER) + 10) + '"}').encode()
    assert len(huge) > MAX_BODY_BYTES

    declared = client.post(path, content=huge, headers=headers)  # with Content-Length
    assert_problem(declared, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for start in range(0, len(huge), 4096):
            yield huge[start : start + 4096]

    streamed = client.post(path, content=chunks(), headers=headers)
    assert_problem(streamed, 413)
    assert streamed.json() == declared.json()

    # Just under the limit the request is read and judged on its content instead.
    under = b'{"body": "' + b"x" * (MAX_BODY_BYTES - 100) + b'", "idempotency_key": "k-0000001"}'
    assert len(under) <= MAX_BODY_BYTES
    assert_problem(client.post(path, content=under, headers=headers), 422)
    assert owner.get(f"/conversations/{conversation}/messages").json()["messages"] == []


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/{MARKER}",
        f"/api/v1/conversations/{uuid.uuid4()}/{MARKER}",
        f"/{MARKER}",
        f"/api/v2/conversations?{MARKER}=1",
        "/api/v1/docs",
    ],
)
def test_an_unknown_route_is_a_404_problem(client: TestClient, owner: Api, path: str) -> None:
    for headers in ({}, owner.headers):
        body = assert_problem(client.get(path, headers=headers), 404)
        assert body["detail"] == "There is nothing at this address. Check the URL."


def test_a_wrong_method_is_a_405_problem_on_every_route(client: TestClient, owner: Api) -> None:
    methods_by_path: dict[str, set[str]] = {}
    for path, methods, _route in routes(client.app):  # type: ignore[arg-type]
        methods_by_path.setdefault(path, set()).update(methods)
    checked = 0
    for path, methods in methods_by_path.items():
        url = fill(path, lambda _name: str(uuid.uuid4()))
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = client.request(method, url, headers=owner.headers)
            body = assert_problem(response, 405)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            # Starlette names the methods of the first route that matched the path only, so
            # Allow may list fewer methods than the address has; never a wrong one.
            assert allowed, (method, path)
            assert allowed <= methods, (method, path)
            checked += 1
            # The detail points to a real document.
            for mentioned in re.findall(r"/api/v1/[\w./-]*\w", body["detail"]):
                assert client.get(mentioned).status_code == 200, mentioned
    assert checked > 40


def test_a_non_uuid_path_id_is_a_422_problem_on_every_route(client: TestClient, owner: Api) -> None:
    checked = 0
    for path, methods, _route in routes(client.app):  # type: ignore[arg-type]
        names = PATH_PARAM.findall(path)
        for name in names:

            def value(param: str, bad: str = name) -> str:
                return f"{MARKER}-1" if param == bad else str(uuid.uuid4())

            url = fill(path, value)
            for method in methods:
                response = client.request(method, url, headers=owner.headers, json={})
                body = assert_problem(response, 422)
                assert name in {error["field"] for error in body["errors"]}, (method, path, body)
                assert name in body["detail"]
                checked += 1
    assert checked >= 15


def test_a_nul_character_in_any_text_is_refused_not_a_500(
    client: TestClient, owner: Api, practice: PracticeHandle, conversation: str
) -> None:
    """PostgreSQL cannot store NUL in text: unchecked, it becomes a 500 there."""
    nul = f"{MARKER}\x00x"
    strong = "a long enough password"
    cases: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/auth/sign-in", {"practice": nul, "email": "a@b.test", "password": "p"}),
        ("POST", "/auth/sign-in", {"practice": practice.slug, "email": nul, "password": "p"}),
        ("POST", "/auth/sign-in", {"practice": "x", "email": "a@b.test", "password": nul}),
        (
            "POST",
            "/auth/sign-in",
            {"practice": "x", "email": "a@b.test", "password": "p", "device_name": nul},
        ),
        (
            "POST",
            "/users",
            {
                "email": f"{nul}@b.test",
                "display_name": "A",
                "role": "clinician",
                "password": strong,
            },
        ),
        (
            "POST",
            "/users",
            {"email": "n@b.test", "display_name": nul, "role": "clinician", "password": strong},
        ),
        ("PATCH", f"/users/{owner.user_id}", {"display_name": nul}),
        ("POST", "/conversations", {"kind": "group", "title": nul, "member_ids": []}),
        ("PATCH", f"/conversations/{conversation}", {"title": nul}),
        (
            "POST",
            f"/conversations/{conversation}/messages",
            {"body": nul, "idempotency_key": "k-1234567"},
        ),
        ("POST", "/search", {"query": nul}),
        ("POST", "/me/password", {"current_password": nul, "new_password": strong}),
        ("POST", "/me/second-factor/totp/confirm", {"code": "12\x0034"}),
        ("POST", "/me/second-factor/disable", {"password": nul}),
        ("GET", f"/audit?subject_id={MARKER}%00x", None),
        ("GET", f"/audit?kind={MARKER}%00x", None),
    ]
    for method, path, payload in cases:
        response = client.request(method, f"/api/v1{path}", json=payload, headers=owner.headers)
        assert_problem(response, 422)
    users = owner.get("/users").json()
    assert [u["email"] for u in users] == [practice.owner_email]
    assert owner.get("/conversations").json()[0]["title"] == "Intake"


def test_missing_or_bad_credentials_are_a_401_problem(client: TestClient, owner: Api) -> None:
    for headers in (
        {},
        {"authorization": f"Bearer {MARKER}"},
        {"authorization": f"Basic {MARKER}"},
        {"authorization": "Bearer " + MARKER * 40},
    ):
        assert_problem(client.get("/api/v1/conversations", headers=headers), 401)


def test_every_error_status_is_documented_as_a_problem(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "4XX" in responses, (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    assert list(answer["content"]) == [PROBLEM_JSON], (method, path, status)
    assert "HTTPValidationError" not in schema.get("components", {}).get("schemas", {})
