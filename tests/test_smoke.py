from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.conftest import Api, PracticeHandle, add_staff, sign_in


def test_send_and_read_a_message(client: TestClient, practice: PracticeHandle, owner: Api) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test", "front_desk", "Dana")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    created = owner.post("/conversations", {"kind": "direct", "user_id": str(dana_id)})
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    sent = owner.post(
        f"/conversations/{cid}/messages",
        {"body": "is room 3 free at 2?", "idempotency_key": str(uuid.uuid4())},
    )
    assert sent.status_code == 201, sent.text
    listing = dana.get("/conversations").json()
    assert listing[0]["unread"] == 1
    page = dana.get(f"/conversations/{cid}/messages").json()
    assert [m["body"] for m in page["messages"]] == ["is room 3 free at 2?"]
