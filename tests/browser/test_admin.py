"""Practice administration in the web app (#/admin/...): an owner runs the practice from the
browser (invite, roles, offboarding, devices, policies, audit, legal holds, compliance),
members see emergency access, every admin page passes axe at both sizes, and clinicians get
the server's refusal as a sentence."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.browser.seed import Team
from tests.browser.support import (
    Devices,
    Kind,
    blocking,
    describe_violations,
    record_measurement,
    run_axe,
    screenshot,
    words,
)
from tests.conftest import sign_in
from tests.live_support import create_direct, create_group, send_message

ADMIN_PAGES = {
    "staff": "Staff",
    "devices": "Devices in the practice",
    "policies": "Policies",
    "audit": "Audit log",
    "emergency": "Emergency access",
    "holds": "Legal holds",
    "compliance": "Compliance",
}
NEW_PASSWORD = "a fresh and long passphrase 42"


def admin_tab(page: Page, name: str) -> None:
    """A page of the administration, from its own navigation."""
    nav = page.get_by_role("navigation", name="Administration")
    nav.get_by_role("link", name=name, exact=True).click()


def open_admin(page: Page) -> None:
    ui.go(page, "Admin")
    expect(page.get_by_role("heading", name="Staff", level=1)).to_be_visible(timeout=ui.SHOW)


def dialog_button(page: Page, name: str) -> None:
    page.get_by_role("dialog").get_by_role("button", name=name, exact=True).click()


def test_owner_runs_the_practice(devices: Devices, team: Team, tmp_path: Path) -> None:
    slug = team.practice.slug
    group = create_group(team.api(team.casey, "seed"), "Case review", [team.blake.id])
    send_message(team.api(team.casey, "seed 2"), group, "Agenda for Thursday.")
    lost = team.api(team.blake, "Lost phone")

    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, slug, team.practice.owner_email)
    open_admin(page)

    # -- invite: the link once, then a second browser joins with it ---------------------------
    page.get_by_label("Email", exact=True).fill(f"dana@{slug}.test")
    page.get_by_label("Name", exact=True).fill("Dana Newcomer")
    page.get_by_label("Role", exact=True).select_option(label="Clinician")
    with page.expect_response(ui.answer_to("POST", "/api/v1/invites")) as created:
        page.get_by_role("button", name="Create invitation", exact=True).click()
    assert created.value.status == 201, created.value.text()
    link_box = page.get_by_label("Invitation link", exact=True)
    expect(link_box).to_be_visible(timeout=ui.SHOW)
    link = link_box.input_value()
    assert "/app/#/join/" in link
    token = link.split("#/join/", 1)[1]
    expect(page.get_by_role("button", name="Copy link", exact=True)).to_be_visible()
    pending = page.get_by_role("button", name=f"Revoke invitation for dana@{slug}.test")
    expect(pending).to_be_visible(timeout=ui.SHOW)
    page.get_by_role("button", name="Done", exact=True).click()
    expect(link_box).to_have_count(0)
    assert token not in page.content()
    listed = team.owner.get("/invites")
    assert listed.status_code == 200
    assert token not in listed.text

    newcomer = devices.open("phone", "newcomer")
    newcomer.page.goto(f"{newcomer.app_url}#/join/{token}")
    expect(newcomer.page.get_by_role("heading", name="Join your practice")).to_be_visible(
        timeout=ui.SHOW
    )
    assert token not in newcomer.page.url  # taken out of the address bar at once
    newcomer.page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newcomer.page.get_by_label("Repeat the password", exact=True).fill(NEW_PASSWORD)
    newcomer.page.get_by_role("button", name="Join the practice", exact=True).click()
    expect(ui.search_box(newcomer.page)).to_be_visible(timeout=ui.SHOW)
    expect(newcomer.page.get_by_role("link", name=re.compile("^Admin"))).to_have_count(0)
    sign_in(team.http, slug, f"dana@{slug}.test", password=NEW_PASSWORD, device="check")

    # -- change a role --------------------------------------------------------------------------
    page.reload()
    expect(page.get_by_role("heading", name="Staff", level=1)).to_be_visible(timeout=ui.SHOW)
    page.get_by_label(f"Role of {team.avery.name}", exact=True).select_option(label="Supervisor")
    with page.expect_response(ui.answer_to("PATCH", f"/api/v1/users/{team.avery.id}")) as patched:
        page.get_by_role("button", name=f"Save role for {team.avery.name}").click()
    assert patched.value.status == 200, patched.value.text()
    assert team.owner.get(f"/users/{team.avery.id}").json()["role"] == "supervisor"
    expect(page.get_by_label(f"Role of {team.avery.name}", exact=True)).to_have_value("supervisor")

    # -- offboard Casey, handing over to Blake; Casey's open page goes to sign-in ---------------
    casey = devices.open("phone", "casey")
    ui.sign_in(casey, slug, team.casey.email)
    page.get_by_role("button", name=f"Offboard {team.casey.name}").click()
    dialog = page.get_by_role("dialog", name=f"Offboard {team.casey.name}")
    expect(dialog).to_be_visible(timeout=ui.SHOW)
    dialog.get_by_label("Hand conversations to", exact=True).select_option(label=team.blake.name)
    expect(dialog).to_contain_text(f"handed to {team.blake.name}")
    expect(dialog).to_contain_text("signed out at once")
    with page.expect_response(
        ui.answer_to("POST", f"/api/v1/users/{team.casey.id}/offboard")
    ) as offboarded:
        dialog.get_by_role("button", name=f"Offboard {team.casey.name}", exact=True).click()
    assert offboarded.value.status == 201, offboarded.value.text()
    started = time.monotonic()
    expect(ui.sign_in_button(casey.page)).to_be_visible(timeout=2_000)
    record_measurement("admin_offboard_to_sign_in_seconds", time.monotonic() - started)
    expect(dialog).to_contain_text(f"{team.casey.name} is offboarded")
    with page.expect_download() as record_file:
        dialog.get_by_role("link", name="Download the record").click()
    saved = tmp_path / "record.txt"
    record_file.value.save_as(saved)
    assert saved.stat().st_size > 0
    dialog_button(page, "Done")
    members = team.owner.get(f"/conversations/{group}")
    if members.status_code == 200:
        assert str(team.blake.id) in members.json()["member_ids"]

    # -- devices: revoke Blake's lost phone ----------------------------------------------------
    admin_tab(page, "Devices")
    revoke = page.get_by_role("button", name=f"Revoke Lost phone of {team.blake.name}")
    expect(revoke).to_be_visible(timeout=ui.SHOW)
    revoke.click()
    with page.expect_response(ui.answer_to("DELETE", f"/api/v1/devices/{lost.session_id}")) as gone:
        dialog_button(page, "Revoke device")
    assert gone.value.status == 204, gone.value.text()
    expect(revoke).to_have_count(0)
    assert lost.get("/me").status_code == 401

    # -- policies: a problem shown next to its field, then a change that applies ----------------
    admin_tab(page, "Policies")
    recall = page.get_by_label("Recall window (minutes)", exact=True)
    expect(recall).to_be_visible(timeout=ui.SHOW)
    recall.fill("0")
    with page.expect_response(ui.answer_to("PATCH", "/api/v1/practice/policy")) as refused:
        page.get_by_role("button", name="Save policies", exact=True).click()
    assert refused.value.status == 422, refused.value.text()
    expect(recall).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error:visible")).to_have_count(1)
    expect(page.locator(".field-error:visible")).to_contain_text("at least 1")
    recall.fill("60")
    page.get_by_label("Lock the app after (minutes)", exact=True).fill("7")
    with page.expect_response(ui.answer_to("PATCH", "/api/v1/practice/policy")) as saved_policy:
        page.get_by_role("button", name="Save policies", exact=True).click()
    assert saved_policy.value.status == 200, saved_policy.value.text()
    assert team.owner.get("/practice/policy").json()["app_lock_minutes"] == 7
    ui.go(page, "Settings")
    expect(page.get_by_text("locks itself after 7 minutes")).to_be_visible(timeout=ui.SHOW)

    # -- audit: filter, export, verify, access report -------------------------------------------
    ui.go(page, "Admin")
    admin_tab(page, "Audit")
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    page.get_by_label("Kind", exact=True).select_option(label="user role changed")
    page.get_by_role("button", name="Apply filters", exact=True).click()
    entries = page.get_by_role("list", name="Audit entries")
    expect(entries.get_by_role("listitem").first).to_contain_text(
        "user role changed", timeout=ui.SHOW
    )
    expect(entries).not_to_contain_text("message sent")
    with page.expect_download() as export:
        page.get_by_role("link", name="Export CSV").click()
    assert export.value.suggested_filename == "quietline-audit.csv"
    csv_path = tmp_path / "audit.csv"
    export.value.save_as(csv_path)
    lines = csv_path.read_text().splitlines()
    assert len(lines) >= 2
    assert "kind" in lines[0]
    assert all("user.role_changed" in line for line in lines[1:])
    assert "Agenda for Thursday" not in csv_path.read_text()
    page.get_by_role("button", name="Verify the audit chain", exact=True).click()
    expect(page.get_by_text(re.compile("^The audit chain is intact"))).to_be_visible(
        timeout=ui.SHOW
    )
    page.get_by_role("button", name="Show access report", exact=True).click()
    expect(page.get_by_text(re.compile(r"^\d+ views? by|^Nobody viewed"))).to_be_visible(
        timeout=ui.SHOW
    )

    # -- legal holds: place and release ---------------------------------------------------------
    admin_tab(page, "Legal holds")
    page.get_by_label("Conversation id", exact=True).fill(group)
    page.get_by_label("Reason", exact=True).fill("Records request from the licensing board")
    with page.expect_response(ui.answer_to("POST", f"/conversations/{group}/legal-hold")) as held:
        page.get_by_role("button", name="Place legal hold", exact=True).click()
    assert held.value.status == 201, held.value.text()
    release = page.get_by_role("button", name=re.compile("^Release the hold on"))
    expect(release).to_be_visible(timeout=ui.SHOW)
    release.click()
    hold_id = team.owner.get("/legal-holds").json()[0]["id"]
    with page.expect_response(ui.answer_to("DELETE", f"/legal-holds/{hold_id}")) as released:
        dialog_button(page, "Release hold")
    assert released.value.status == 204, released.value.text()
    expect(page.get_by_text("Released", exact=True)).to_be_visible(timeout=ui.SHOW)
    holds = team.owner.get("/legal-holds").json()
    assert holds
    assert not any(h["active"] for h in holds)

    # -- compliance -------------------------------------------------------------------------------
    admin_tab(page, "Compliance")
    expect(page.get_by_role("heading", name="Compliance", level=1)).to_be_visible()
    checks = page.get_by_role("list", name="Checks").get_by_role("listitem")
    expect(checks).to_have_count(7, timeout=ui.SHOW)
    # Every check shows its state in words, and the audit verification done above counts.
    for state in checks.all():
        expect(state).to_contain_text(re.compile("OK|Warning|Problem|Unknown"))
    verified = checks.filter(has_text="Audit trail verification")
    expect(verified).to_contain_text("OK")
    expect(verified).to_contain_text("The last one succeeded")
    expect(checks.filter(has_text="Backups")).to_contain_text("Problem")


def test_an_owner_gets_a_locked_out_colleague_back_in(devices: Devices, team: Team) -> None:
    """Avery lost the phone with the authenticator on it; Blake forgot a password. The owner
    resets both from the staff page; their devices are signed out."""
    avery = team.api(team.avery, "Avery's phone")
    secret = avery.post("/me/second-factor/totp").json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert avery.post("/me/second-factor/totp/confirm", {"code": code}).status_code == 200
    blake = team.api(team.blake, "Blake's laptop")

    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)
    open_admin(page)

    page.get_by_role("button", name=f"Reset two-step sign-in for {team.avery.name}").click()
    dialog = page.get_by_role("dialog", name=f"Reset two-step sign-in for {team.avery.name}?")
    expect(dialog).to_contain_text("Make sure it is really them asking")
    with page.expect_response(
        ui.answer_to("POST", f"/api/v1/users/{team.avery.id}/second-factor/reset")
    ) as reset:
        dialog.get_by_role("button", name="Reset two-step sign-in", exact=True).click()
    assert reset.value.status == 204, reset.value.text()
    expect(page.get_by_text("two-step sign-in is reset")).to_be_visible(timeout=ui.SHOW)
    assert avery.get("/me").status_code == 401
    again = team.api(team.avery, "Avery's new phone")  # the password alone signs in now
    assert again.get("/me").json()["user"]["has_second_factor"] is False

    page.get_by_role("button", name=f"Set a new password for {team.blake.name}").click()
    dialog = page.get_by_role("dialog", name=f"Set a new password for {team.blake.name}?")
    dialog.get_by_label(f"New password for {team.blake.name}", exact=True).fill(NEW_PASSWORD)
    with page.expect_response(
        ui.answer_to("POST", f"/api/v1/users/{team.blake.id}/password")
    ) as changed:
        dialog.get_by_role("button", name="Set password", exact=True).click()
    assert changed.value.status == 204, changed.value.text()
    expect(page.get_by_text("New password set for")).to_be_visible(timeout=ui.SHOW)
    assert blake.get("/me").status_code == 401
    sign_in(team.http, team.practice.slug, team.blake.email, password=NEW_PASSWORD, device="new")
    kinds = [e["kind"] for e in team.owner.get("/audit", params={"limit": 50}).json()]
    assert "auth.second_factor_disabled" in kinds
    assert "auth.password_changed" in kinds


def test_members_see_emergency_access(devices: Devices, team: Team) -> None:
    """An admin opens emergency access to a conversation they are not in: its members see a
    banner at once, and the admin reads it under the grant."""
    direct = create_direct(team.api(team.avery, "seed"), team.blake.id)
    send_message(team.api(team.blake, "seed"), direct, "Can we swap Tuesday?")
    member = devices.open("phone", "avery")
    ui.sign_in(member, team.practice.slug, team.avery.email)
    ui.open_conversation(member.page, team.blake.name)

    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)
    open_admin(page)
    admin_tab(page, "Emergency access")
    page.get_by_label("Conversation id", exact=True).fill(direct)
    page.get_by_label("Reason", exact=True).fill("Client safety concern reported by the front desk")
    page.get_by_label("Minutes", exact=True).fill("30")
    page.get_by_role("button", name="Open emergency access", exact=True).click()
    expect(page.get_by_text(re.compile("^Open until"))).to_be_visible(timeout=ui.SHOW)

    banner = member.page.locator(".emergency-banner")
    expect(banner).to_be_visible(timeout=ui.SHOW)
    expect(banner).to_contain_text(f"{team.owner_name} can read this conversation")

    page.get_by_role("link", name="Read the conversation").click()
    expect(ui.messages(page)).to_contain_text("Can we swap Tuesday?", timeout=ui.SHOW)
    expect(page.locator(".emergency-banner")).to_contain_text("You are reading")
    # Reading only: no send box for someone who is not a member.
    expect(page.get_by_role("note")).to_contain_text("Only its members can write in it")
    expect(page.get_by_role("textbox", name="Message")).to_have_count(0)


def test_the_access_report_and_a_legal_hold_by_client(
    devices: Devices, team: Team, tmp_path: Path
) -> None:
    """Scenario 3: the admin picks the client by name, sees who read their messages and
    downloads the report (which names the client by id only); then holds the client."""
    created = team.owner.post(
        "/clients", {"name": "Rowan Hale", "clinician_ids": [str(team.blake.id)]}
    )
    assert created.status_code == 201, created.text
    rowan, thread = created.json()["id"], created.json()["conversation_id"]
    blake = team.api(team.blake, "Blake laptop")
    note = {"text": "First session notes", "idempotency_key": "note-0001", "internal": True}
    assert blake.post(f"/conversations/{thread}/client-messages", note).status_code == 201
    assert blake.get(f"/conversations/{thread}/messages").status_code == 200  # one view

    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)
    open_admin(page)
    admin_tab(page, "Audit")
    page.get_by_label("Client viewed", exact=True).fill("rowan")
    choose = page.get_by_role("button", name="Choose Rowan Hale", exact=True)
    expect(choose).to_be_visible(timeout=ui.SHOW)
    choose.scroll_into_view_if_needed()
    screenshot(page, "admin-access-report-client-matches", desk.size)
    choose.click()
    with page.expect_response(ui.answer_to("GET", "/api/v1/audit/access-report")) as shown:
        page.get_by_role("button", name="Show access report", exact=True).click()
    assert f"client_id={rowan}" in shown.value.url
    assert "Rowan" not in shown.value.url
    expect(page.get_by_text("1 view of Rowan Hale\u2019s messages by 1 person")).to_be_visible(
        timeout=ui.SHOW
    )
    views = page.get_by_role("list", name="Views")
    expect(views).to_contain_text(f"{team.blake.name} viewed 1 message")
    expect(views).to_contain_text("Rowan Hale\u2019s thread")
    views.scroll_into_view_if_needed()
    screenshot(page, "admin-access-report-client", desk.size)
    with page.expect_download() as export:
        page.get_by_role("link", name="Export report CSV").click()
    assert export.value.suggested_filename == "quietline-access-report.csv"
    saved = tmp_path / "access.csv"
    export.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("seq,at,user_id,user_name")
    assert rowan in lines[1]
    assert team.blake.name in lines[1]
    assert "Rowan" not in saved.read_text()  # the file names the client by id only

    admin_tab(page, "Legal holds")
    page.get_by_label("Client", exact=True).fill("Hale")
    page.get_by_role("button", name="Choose Rowan Hale", exact=True).click()
    page.get_by_label("Reason", exact=True).fill("Records request 2027-031")
    with page.expect_response(ui.answer_to("POST", "/api/v1/legal-holds")) as held:
        page.get_by_role("button", name="Place legal hold", exact=True).click()
    assert held.value.status == 201, held.value.text()
    release = page.get_by_role("button", name="Release the hold on Client Rowan Hale")
    expect(release).to_be_visible(timeout=ui.SHOW)
    (hold,) = team.owner.get("/legal-holds").json()
    assert (hold["client_id"], hold["active"]) == (rowan, True)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_admin_pages_are_accessible(devices: Devices, team: Team, kind: Kind) -> None:
    team.api(team.blake, "Work phone")
    cid = create_group(team.owner, "Front desk", [team.avery.id])
    hold = team.owner.post(f"/conversations/{cid}/legal-hold", {"reason": "Records request 2291"})
    assert hold.status_code == 201, hold.text
    device = devices.open(kind)
    page = device.page
    ui.sign_in(device, team.practice.slug, team.practice.owner_email)
    open_admin(page)
    reports: list[str] = []
    for key, title in ADMIN_PAGES.items():
        page.goto(f"{device.app_url}#/admin/{key}")
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=ui.SHOW)
        ready = {
            "staff": page.get_by_role("heading", name=words(team.avery.name)),
            "devices": page.get_by_text(re.compile("^Last used")).first,
            "policies": page.get_by_role("button", name="Save policies"),
            "audit": page.get_by_role("list", name="Audit entries").get_by_role("listitem").first,
            "emergency": page.get_by_role("button", name="Open emergency access"),
            "holds": page.get_by_text("Records request 2291", exact=False),
            "compliance": page.get_by_role("button", name="Check again"),
        }[key]
        expect(ready).to_be_visible(timeout=ui.SHOW)
        if key == "audit":
            page.get_by_role("button", name="Verify the audit chain").click()
            expect(page.get_by_text(re.compile("^The audit chain"))).to_be_visible(timeout=ui.SHOW)
        page.evaluate("document.fonts.ready.then(() => true)")
        screenshot(page, f"admin-{key}", device.size)
        found = blocking(run_axe(page))
        if found:
            reports.append(describe_violations(f"admin {key} @ {device.size}", found))
    if reports:
        pytest.fail(
            "axe found serious or critical violations:\n" + "\n".join(reports), pytrace=False
        )


def test_clinicians_have_no_admin(devices: Devices, team: Team) -> None:
    refusal = team.api(team.avery).get("/invites")
    assert refusal.status_code == 403, refusal.text
    detail = refusal.json()["detail"]
    device = devices.open("phone")
    page = device.page
    ui.sign_in(device, team.practice.slug, team.avery.email)
    expect(ui.header(page, "link", "Settings")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Admin"))).to_have_count(0)
    page.goto(f"{device.app_url}#/admin")
    alert = page.get_by_role("alert").filter(has_text=detail)
    expect(alert).to_be_visible(timeout=ui.SHOW)
    page.goto(f"{device.app_url}#/admin/devices")
    expect(page.get_by_role("alert").filter(has_text=detail)).to_be_visible(timeout=ui.SHOW)
