"""The test tools themselves: Chromium devices, the push-service stand-in, the storage reader
and the axe check. Each is shown to find what it is meant to find."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page, Route

from tests.browser.push_service import PushService, b64url
from tests.browser.support import (
    CONTEXT_OPTIONS,
    Devices,
    blocking,
    check_generic_pushes,
    describe_violations,
    generic_payload,
    read_storage,
    run_axe,
)

pywebpush = importlib.import_module("pywebpush")

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; "
    "trusted-types 'none'"
)


def serve(page: Page, url: str, html: str, csp: str | None = STRICT_CSP) -> None:
    """Answer ``url`` in the browser itself (no server), by default with a strict CSP of the
    app's kind."""
    headers = {"content-type": "text/html; charset=utf-8"}
    if csp is not None:
        headers["content-security-policy"] = csp

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, headers=headers, body=html)

    page.route(url, fulfil)


def test_chromium_devices_open_the_server_at_both_sizes(devices: Devices, app_origin: str) -> None:
    for kind in ("phone", "desktop"):
        device = devices.open(kind)
        page = device.page
        response = page.goto(f"{app_origin}/api/v1/health")
        assert response is not None
        assert response.status == 200
        assert isinstance(response.json(), dict)
        assert page.evaluate("location.hostname") == "localhost"
        assert page.evaluate("window.isSecureContext") is True
        # (A page without a viewport meta tag lays out 980 px wide on a phone: compare screens.)
        size = CONTEXT_OPTIONS[kind]["viewport"]
        assert page.evaluate("[screen.width, screen.height]") == [size["width"], size["height"]]
        touch = page.evaluate("matchMedia('(pointer: coarse)').matches && navigator.maxTouchPoints")
        assert bool(touch) is (kind == "phone")
        schema = page.goto(f"{app_origin}/api/v1/openapi.json")
        assert schema is not None
        assert schema.status == 200
        assert "/api/v1/health" in schema.json()["paths"]


def test_the_proxy_keeps_requests_on_this_machine(devices: Devices, app_origin: str) -> None:
    """A request to another host fails (dead proxy) and is reported as leaving localhost."""
    device = devices.open("desktop")
    serve(device.page, f"{app_origin}/__open", "<!doctype html><title>open</title>", csp=None)
    device.page.goto(f"{app_origin}/__open")
    outcome = device.page.evaluate(
        "async () => { try { await fetch('http://example.invalid/x', {mode: 'no-cors'});"
        " return 'reached' } catch (e) { return 'failed' } }"
    )
    assert outcome == "failed"
    assert device.foreign_requests == ["http://example.invalid/x"]
    device.foreign_requests.clear()  # expected here; any other test fails on one


def test_push_stand_in_decrypts_what_pywebpush_sends(tmp_path: Path) -> None:
    vapid_key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "vapid.pem"
    pem.write_bytes(
        vapid_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    vapid_public = b64url(
        vapid_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    payload = json.dumps(generic_payload(3))
    with PushService() as service, requests.Session() as session:
        session.trust_env = False
        one, other = service.subscribe(), service.subscribe()
        pywebpush.webpush(
            one.as_json(),
            data=payload,
            vapid_private_key=str(pem),
            vapid_claims={"sub": "mailto:tests@quietline.test"},
            ttl=60,
            timeout=5,
            requests_session=session,
        )
        (got,) = service.wait_for(1, one)
        assert got.method == "POST"
        assert got.headers["content-encoding"] == "aes128gcm"
        assert got.headers["ttl"] == "60"
        assert got.payload == payload.encode()
        assert got.json() == generic_payload(3)
        assert got.vapid is not None
        assert got.vapid.signature_valid
        assert got.vapid.public_key == vapid_public
        assert got.vapid.claims["aud"] == service.origin
        assert check_generic_pushes([got]) == []

        # Encrypted for one subscription but sent to another: not readable, and reported.
        wrong = {**one.as_json(), "endpoint": other.endpoint}
        pywebpush.webpush(wrong, data="hello", timeout=5, requests_session=session)
        (bad,) = service.wait_for(1, other)
        assert bad.payload is None
        assert "decryption failed" in str(bad.error)
        assert check_generic_pushes([bad]) != []

        # Readable but not the generic payload, or carrying a marker: reported.
        pywebpush.webpush(
            one.as_json(),
            data=json.dumps({"title": "Quietline", "body": "from Dr Marker-7", "count": 1}),
            vapid_private_key=str(pem),
            vapid_claims={"sub": "mailto:tests@quietline.test"},
            timeout=5,
            requests_session=session,
        )
        leaky = service.wait_for(2, one)[1]
        problems = check_generic_pushes([leaky], forbidden=("Marker-7",))
        assert any("not the generic one" in p for p in problems)
        assert any("Marker-7" in p for p in problems)


def test_storage_reader_finds_a_marker_everywhere(devices: Devices, app_origin: str) -> None:
    page = devices.open("desktop").page
    url = f"{app_origin}/__storage-probe"
    serve(page, url, "<!doctype html><html lang='en'><title>probe</title><main><input></main>")
    page.goto(url)
    marker = "probe-7f3c2a"
    page.evaluate(
        """async (m) => {
          localStorage.setItem('k', 'x ' + m);
          sessionStorage.setItem(m, '1');
          await new Promise((resolve, reject) => {
            const r = indexedDB.open('probe-db', 1);
            r.onupgradeneeded = () => r.result.createObjectStore('things');
            r.onsuccess = () => {
              const tx = r.result.transaction('things', 'readwrite');
              tx.objectStore('things').put({nested: [new TextEncoder().encode(m)]}, 'a');
              tx.oncomplete = () => { r.result.close(); resolve(); };
              tx.onerror = () => reject(tx.error);
            };
            r.onerror = () => reject(r.error);
          });
          const cache = await caches.open('probe-cache');
          await cache.put('/app/probe', new Response('body ' + m));
          const p = document.createElement('p');
          p.textContent = m;
          document.querySelector('main').append(p);
          document.querySelector('input').value = m;
        }""",
        marker,
    )
    hits = read_storage(page, marker).hits
    expected = [
        "localStorage",
        "sessionStorage key",
        "indexedDB probe-db/things (values)",
        "Cache Storage probe-cache",
        "DOM (text)",
        "value of <input",
    ]
    for place in expected:
        assert any(hit.startswith(place) for hit in hits), (place, hits)

    page.evaluate(
        """async () => {
          localStorage.clear(); sessionStorage.clear();
          await new Promise((resolve) => {
            const r = indexedDB.deleteDatabase('probe-db'); r.onsuccess = r.onerror = resolve;
          });
          await caches.delete('probe-cache');
          document.querySelector('p').remove();
          document.querySelector('input').value = '';
        }"""
    )
    report = read_storage(page, marker)
    assert report.hits == []
    assert report.inventory["indexedDB"] == []
    assert report.inventory["caches"] == []


def test_axe_runs_under_a_strict_csp_and_reports_violations(
    devices: Devices, app_origin: str
) -> None:
    page = devices.open("phone").page
    bad = f"{app_origin}/__axe-bad"
    good = f"{app_origin}/__axe-good"
    serve(
        page,
        bad,
        "<!doctype html><html lang='en'><title>bad</title><main>"
        "<img src='data:,'><button></button></main></html>",
    )
    serve(
        page,
        good,
        "<!doctype html><html lang='en'><title>good</title><main><h1>Fine</h1>"
        "<button>Save</button></main></html>",
    )
    page.goto(bad)
    # Trusted Types are enforced on this page, as on the app's.
    refused = page.evaluate(
        "() => { try { document.body.innerHTML = '<b>x</b>'; return false }"
        " catch (e) { return e instanceof TypeError } }"
    )
    assert refused is True
    found = blocking(run_axe(page))
    assert {v["id"] for v in found} >= {"image-alt", "button-name"}, describe_violations(
        "bad", found
    )
    assert "image-alt (critical)" in describe_violations("bad", found)
    page.goto(good)
    assert blocking(run_axe(page)) == []
