"""Browser devices, and what the tests read out of a page: storage, accessibility, pushes."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, BrowserType, Page, Request, WebError

from tests.browser.push_service import PushRequest

Kind = Literal["phone", "desktop"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP localhost 127.0.0.1",
    # Loopback bypasses a proxy; anything else goes to a dead one and never leaves the machine.
    "--proxy-server=http://127.0.0.1:9",
]
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
CONTEXT_OPTIONS: dict[Kind, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "screen": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 1,
        "user_agent": PHONE_UA,
    },
    "desktop": {
        "viewport": {"width": 1280, "height": 800},
        "screen": {"width": 1280, "height": 800},
        "device_scale_factor": 1,
    },
}
SIZES: dict[Kind, str] = {"phone": "360x740", "desktop": "1280x800"}
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
NON_NETWORK_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


# -- devices --------------------------------------------------------------------------------
class Chromium:
    """Launches Chromium devices: one browser per device, each with fresh user data."""

    def __init__(self, browser_type: BrowserType, executable: Path) -> None:
        self.browser_type = browser_type
        self.executable = executable

    def new_context(self, user_data_dir: Path, kind: Kind) -> BrowserContext:
        return self.browser_type.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(self.executable),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="en-US",
            timezone_id="UTC",
            service_workers="allow",
            **CONTEXT_OPTIONS[kind],
        )


@dataclass
class Device:
    """One browser (a phone or a desktop) with its page, and what went wrong in it."""

    name: str
    kind: Kind
    context: BrowserContext
    page: Page
    origin: str  # http://localhost:<port>
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    @property
    def app_url(self) -> str:
        return f"{self.origin}/app/"

    @property
    def size(self) -> str:
        return SIZES[self.kind]

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in NON_NETWORK_SCHEMES:
            return
        if parts.hostname not in LOCAL_HOSTS:
            self.foreign_requests.append(request.url)

    def _on_error(self, error: WebError) -> None:
        self.page_errors.append(f"{error.error.name}: {error.error.message}")

    def problems(self) -> list[str]:
        found = [f"{self.name}: uncaught error in the page: {e}" for e in self.page_errors]
        found += [f"{self.name}: request left localhost: {u}" for u in self.foreign_requests]
        return found


class Devices:
    def __init__(self, chromium: Chromium, origin: str, root: Path) -> None:
        self._chromium = chromium
        self._origin = origin
        self._root = root
        self._opened: list[Device] = []

    def open(self, kind: Kind = "desktop", name: str | None = None) -> Device:
        index = len(self._opened)
        context = self._chromium.new_context(self._root / f"{index}-{kind}", kind)
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        page = context.pages[0] if context.pages else context.new_page()
        device = Device(name or f"{kind}-{index}", kind, context, page, self._origin)
        context.on("request", device._on_request)
        context.on("weberror", device._on_error)
        self._opened.append(device)
        return device

    def close(self) -> list[str]:
        problems: list[str] = []
        for device in self._opened:
            try:
                device.context.close()
            except Exception as exc:
                problems.append(f"{device.name}: closing failed: {exc}")
            problems += device.problems()
        self._opened.clear()
        return problems


def record_measurement(name: str, value: float) -> None:
    """Keep a measured value (seconds) in test-artifacts/measurements.json for the record."""
    path = REPO_ROOT / "test-artifacts" / "measurements.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    known[name] = round(value, 3)
    path.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


def screenshot(page: Page, screen: str, size: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{screen}-{size}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def wait_until(check: Any, timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``check()`` until it returns something truthy; that value, or None at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# -- what a page keeps -------------------------------------------------------------------------
_READ_STORAGE = """
async (marker) => {
  const hits = [];
  const inventory = {localStorage: {}, sessionStorage: {}, indexedDB: [], caches: []};
  const look = (where, text) => {
    if (typeof text === 'string' && text.includes(marker)) hits.push(where);
  };
  const decoder = new TextDecoder('utf-8', {fatal: false});
  const flatten = async (value, depth) => {
    if (depth > 32 || value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value !== 'object') return String(value);
    if (value instanceof Blob) return decoder.decode(await value.arrayBuffer());
    if (value instanceof ArrayBuffer) return decoder.decode(value);
    if (ArrayBuffer.isView(value)) {
      return decoder.decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    if (value instanceof Date) return value.toISOString();
    const entries = value instanceof Map ? [...value.entries()]
      : value instanceof Set ? [...value].map((v, i) => [i, v]) : Object.entries(value);
    const parts = [];
    for (const [k, v] of entries) {
      parts.push(await flatten(k, depth + 1), await flatten(v, depth + 1));
    }
    return parts.join('\\u0000');
  };
  const webStorage = [['localStorage', localStorage], ['sessionStorage', sessionStorage]];
  for (const [name, store] of webStorage) {
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      const value = store.getItem(key);
      inventory[name][key] = value;
      look(`${name} key ${JSON.stringify(key)}`, key);
      look(`${name}[${JSON.stringify(key)}]`, value);
    }
  }
  const settle = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  for (const info of await indexedDB.databases()) {
    look(`indexedDB database name ${JSON.stringify(info.name)}`, info.name);
    const db = await new Promise((resolve) => {
      const r = indexedDB.open(info.name);
      r.onupgradeneeded = () => r.transaction.abort();  // deleted meanwhile: do not create it
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => resolve(null);
      r.onblocked = () => resolve(null);
    });
    if (db === null) {
      inventory.indexedDB.push({database: info.name, store: null, records: null});
      continue;
    }
    for (const storeName of Array.from(db.objectStoreNames)) {
      const store = db.transaction(storeName, 'readonly').objectStore(storeName);
      const keys = await settle(store.getAllKeys());
      const values = await settle(store.getAll());
      inventory.indexedDB.push({database: info.name, store: storeName, records: values.length});
      look(`indexedDB ${info.name}/${storeName} (store name)`, storeName);
      look(`indexedDB ${info.name}/${storeName} (keys)`, await flatten(keys, 0));
      look(`indexedDB ${info.name}/${storeName} (values)`, await flatten(values, 0));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    look(`Cache Storage cache name ${JSON.stringify(name)}`, name);
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const body = response ? decoder.decode(await response.clone().arrayBuffer()) : '';
      const headers = response ? [...response.headers].map((h) => h.join(': ')).join('\\n') : '';
      inventory.caches.push({cache: name, url: request.url, status: response && response.status});
      look(`Cache Storage ${name} ${request.url} (URL)`, request.url);
      look(`Cache Storage ${name} ${request.url} (headers)`, headers);
      look(`Cache Storage ${name} ${request.url} (body)`, body);
    }
  }
  const root = document.documentElement;
  look('DOM (outerHTML)', root.outerHTML);
  look('DOM (text)', root.textContent);
  look('document.title', document.title);
  look('location', location.href);
  look('history.state', JSON.stringify(history.state));
  for (const el of document.querySelectorAll('input, textarea, select')) {
    look(`value of <${el.tagName.toLowerCase()} ${el.name || el.id || ''}>`, el.value);
  }
  for (const el of document.querySelectorAll('*')) {
    if (el.shadowRoot) look(`shadow root of <${el.tagName}>`, el.shadowRoot.innerHTML);
  }
  return {hits, inventory};
}
"""


STORAGE_PLACES = ("localStorage", "sessionStorage", "indexedDB", "Cache Storage")


@dataclass(frozen=True)
class StorageReport:
    hits: list[str]  # where the marker was found
    inventory: dict[str, Any]  # what is stored at all

    @property
    def stored(self) -> list[str]:
        """The hits in storage (not on the page itself)."""
        return [hit for hit in self.hits if hit.startswith(STORAGE_PLACES)]


def read_storage(page: Page, marker: str) -> StorageReport:
    """Look for ``marker`` in localStorage, sessionStorage, IndexedDB (every database, every
    store, keys and values), Cache Storage (every cached URL, header and body) and the DOM."""
    result = page.evaluate(_READ_STORAGE, marker)
    return StorageReport(list(result["hits"]), dict(result["inventory"]))


def assert_marker_gone(page: Page, marker: str, when: str) -> StorageReport:
    report = read_storage(page, marker)
    assert not report.hits, (
        f"after {when}, {marker!r} is still in: {report.hits}\n"
        f"stored: {json.dumps(report.inventory, indent=1)}"
    )
    return report


def assert_all_gone(page: Page, markers: list[str], when: str) -> None:
    for text in markers:
        assert_marker_gone(page, text, when)


# -- accessibility (axe-core) ------------------------------------------------------------------
def axe_script() -> Path:
    """axe.min.js as shipped inside the axe-playwright-python package."""
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None, "axe-playwright-python is not installed"
    assert spec.submodule_search_locations, "axe-playwright-python is not a package"
    return Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"


BLOCKING_IMPACTS = {"serious", "critical"}


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations for the page as it is now.

    The script is evaluated (not added as a <script> element): the app's CSP and Trusted Types
    rightly refuse inline scripts, and DevTools evaluation is not subject to them.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script().read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    violations: list[dict[str, Any]] = list(result)
    return violations


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(screen: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{screen}] {v['id']} ({v.get('impact')}): {v.get('help')}")
        lines.append(f"    {v.get('helpUrl')}")
        for node in v.get("nodes", [])[:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    - {target}: {summary}")
            lines.append(f"      {str(node.get('html', ''))[:200]}")
    return "\n".join(lines)


# -- pushes ---------------------------------------------------------------------------------
GENERIC_TITLE = "Quietline"


def generic_body(count: int) -> str:
    return "New secure message" if count == 1 else f"{count} new secure messages"


def generic_payload(count: int) -> dict[str, Any]:
    return {"title": GENERIC_TITLE, "body": generic_body(count), "count": count}


def check_generic_pushes(requests: list[PushRequest], forbidden: tuple[str, ...] = ()) -> list[str]:
    """Every problem with these pushes: not a decryptable POST, not exactly the generic
    payload of the contract, missing or invalid VAPID, or a forbidden text anywhere in the
    request (path, headers, decrypted payload)."""
    problems = []
    for r in requests:
        where = f"push {r.method} {r.path}"
        if r.method != "POST" or r.subscription is None:
            problems.append(f"{where}: not a POST to a known subscription")
            continue
        if r.payload is None:
            problems.append(f"{where}: could not be decrypted ({r.error})")
        else:
            try:
                payload = json.loads(r.payload)
            except ValueError:
                payload = None
            count = payload.get("count") if isinstance(payload, dict) else None
            valid_count = isinstance(count, int) and not isinstance(count, bool) and count >= 1
            if not valid_count or payload != generic_payload(int(count or 1)):
                problems.append(f"{where}: payload is not the generic one: {r.payload!r}")
        if r.vapid is None or not r.vapid.signature_valid:
            problems.append(f"{where}: no valid VAPID authorization")
        text = "\n".join(
            [r.path, *(f"{k}: {v}" for k, v in r.headers.items())]
            + ([r.payload.decode("utf-8", "replace")] if r.payload is not None else [])
        )
        problems += [f"{where}: contains {m!r}" for m in forbidden if m and m in text]
    return problems


def words(text: str) -> re.Pattern[str]:
    """A pattern for ``text`` as a whole phrase (for accessible names with more in them)."""
    return re.compile(re.escape(text))
