"""Supervision in the web app (scenario 2, decision 0021): an owner assigns Priya to her
supervisor Dr. Lee; Dr. Lee reads Priya's client thread read-only from "Supervision"; Priya,
with the thread open, sees at once that Dr. Lee read it (and again after a reload); ending the
supervision ends Dr. Lee's access. The new screens pass axe at both sizes."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.browser.support import (
    Device,
    Devices,
    blocking,
    describe_violations,
    run_axe,
    screenshot,
)
from tests.conftest import Api, PracticeHandle, add_staff, sign_in

LEE = "Dr. Lee"
PRIYA = "Priya Shah"
THREADS = "Supervisees\u2019 threads"  # the page's heading and list (a typographic apostrophe)


def _checked(page: Page, device: Device, screen: str, reports: list[str]) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    screenshot(page, screen, device.size)
    found = blocking(run_axe(page))
    if found:
        reports.append(describe_violations(f"{screen} @ {device.size}", found))


def _seed(http: httpx.Client, practice: PracticeHandle, owner: Api) -> tuple[str, str, str]:
    """Dr. Lee (supervisor) and Priya (clinician) in the practice, supervisor visibility on,
    and Priya's client with a message in their thread: (client name, thread id, text)."""
    slug = practice.slug
    add_staff(owner, f"lee@{slug}.test", "supervisor", LEE)
    priya_id = add_staff(owner, f"priya@{slug}.test", "clinician", PRIYA)
    on = owner.patch("/practice/policy", {"supervisor_visibility": True})
    assert on.status_code == 200, on.text
    client_name = ui.marker("Jordan")
    created = owner.post("/clients", {"name": client_name, "clinician_ids": [str(priya_id)]})
    assert created.status_code == 201, created.text
    thread = created.json()["conversation_id"]
    text = ui.marker("Session moved to Thursday")
    priya = sign_in(http, slug, f"priya@{slug}.test", device="seed")
    sent = priya.post(
        f"/conversations/{thread}/client-messages",
        {"text": text, "idempotency_key": uuid.uuid4().hex},
    )
    assert sent.status_code == 201, sent.text
    return client_name, thread, text


@pytest.mark.parametrize("lee_kind", ["phone", "desktop"])
def test_admin_assigns_supervisor_reads_member_sees(
    devices: Devices, http: httpx.Client, practice: PracticeHandle, owner: Api, lee_kind: str
) -> None:
    client_name, thread, text = _seed(http, practice, owner)
    slug = practice.slug
    reports: list[str] = []

    # -- the owner assigns Priya to Dr. Lee -----------------------------------------------------
    desk = devices.open("desktop", "owner")
    admin = desk.page
    ui.sign_in(desk, slug, practice.owner_email)
    ui.go(admin, "Admin")
    expect(admin.get_by_role("heading", name="Staff", level=1)).to_be_visible(timeout=ui.SHOW)
    nav = admin.get_by_role("navigation", name="Administration")
    nav.get_by_role("link", name="Supervision", exact=True).click()
    expect(admin.get_by_role("heading", name="Supervision", level=1)).to_be_visible()
    expect(admin.get_by_text("Supervisor visibility is on.")).to_be_visible(timeout=ui.SHOW)
    admin.get_by_label("Supervisor", exact=True).select_option(label=f"{LEE} (supervisor)")
    admin.get_by_label("Supervisee", exact=True).select_option(label=f"{PRIYA} (clinician)")
    with admin.expect_response(ui.answer_to("POST", "/api/v1/supervisions")) as made:
        admin.get_by_role("button", name="Assign supervisee", exact=True).click()
    assert made.value.status == 201, made.value.text()
    supervisions = admin.get_by_role("list", name="Supervisions")
    expect(supervisions).to_contain_text(f"{LEE} supervises {PRIYA}", timeout=ui.SHOW)
    _checked(admin, desk, "admin-supervision", reports)

    # -- Priya has the client's thread open -----------------------------------------------------
    member = devices.open("desktop", "priya")
    ui.sign_in(member, slug, f"priya@{slug}.test")
    ui.open_conversation(member.page, client_name)
    expect(ui.messages(member.page)).to_contain_text(text, timeout=ui.SHOW)
    notice = member.page.locator(".supervision-notice")
    expect(notice).to_be_hidden()

    # -- Dr. Lee reads it, read-only --------------------------------------------------------------
    device = devices.open(lee_kind, "lee")  # type: ignore[arg-type]
    page = device.page
    ui.sign_in(device, slug, f"lee@{slug}.test")
    ui.go(page, "Supervision")
    expect(page.get_by_role("heading", name=THREADS, level=1)).to_be_visible()
    threads = page.get_by_role("list", name=THREADS)
    link = threads.get_by_role("link", name=re.compile(re.escape(client_name)))
    expect(link).to_be_visible(timeout=ui.SHOW)
    expect(link).to_contain_text(f"{PRIYA}\u2019s client")
    _checked(page, device, "supervision-threads", reports)
    link.click()
    expect(page.get_by_role("heading", name=client_name, level=1)).to_be_visible(timeout=ui.SHOW)
    expect(ui.messages(page)).to_contain_text(text, timeout=ui.SHOW)
    expect(page.get_by_text("Reading as supervisor", exact=True)).to_be_visible()
    expect(ui.compose(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Send", exact=True)).to_have_count(0)
    _checked(page, device, "supervision-thread", reports)

    # -- Priya sees it at once, and after a reload ------------------------------------------------
    sentence = re.compile(rf"^{re.escape(LEE)} viewed this thread as supervisor on ")
    expect(notice).to_be_visible(timeout=ui.SHOW)
    expect(notice.get_by_text(sentence)).to_have_count(1)
    member.page.reload()
    expect(ui.messages(member.page)).to_contain_text(text, timeout=ui.SHOW)
    expect(member.page.locator(".supervision-notice").get_by_text(sentence)).to_have_count(
        1, timeout=ui.SHOW
    )
    _checked(member.page, member, "supervision-notice", reports)

    # -- the owner ends the supervision: Dr. Lee's next read is refused ---------------------------
    admin.get_by_role("button", name=f"End supervision of {PRIYA} by {LEE}", exact=True).click()
    dialog = admin.get_by_role("dialog")
    with admin.expect_response(
        lambda r: r.request.method == "DELETE" and "/api/v1/supervisions/" in r.url
    ) as ended:
        dialog.get_by_role("button", name="End supervision", exact=True).click()
    assert ended.value.status == 204, ended.value.text()
    expect(admin.get_by_text("Nobody supervises anyone yet.")).to_be_visible(timeout=ui.SHOW)
    page.get_by_role("button", name="Check for new messages", exact=True).click()
    expect(page.get_by_role("heading", name="This thread is not available")).to_be_visible(
        timeout=ui.SHOW
    )
    assert text not in page.content()
    ui.go(page, "Supervision")
    expect(page.get_by_text("None of your supervisees has client threads yet.")).to_be_visible(
        timeout=ui.SHOW
    )
    assert thread not in page.content()
    if reports:
        pytest.fail(
            "axe found serious or critical violations:\n" + "\n".join(reports), pytrace=False
        )
