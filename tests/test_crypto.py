"""The envelope (known answers, tampering), the AES-256-GCM primitive against published test
cases, ciphertext moved between rows, and the master key file."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quietline.app import Services, build_services
from quietline.config import ConfigError, Settings
from quietline.crypto.envelope import (
    FORMAT_VERSION,
    NONCE_BYTES,
    DecryptionError,
    associated_data,
    associated_data_for,
    open_envelope,
    read_header,
    seal,
)
from quietline.crypto.keys import (
    KeyFileError,
    create_master_key_file,
    load_master_key_file,
    master_key_id,
)
from quietline.storage.tables import conversations, messages
from quietline.storage.unit import Unit
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import create_direct, create_group, history, raw_message, send_message

VECTORS_FILE = Path(__file__).parent / "data" / "envelope_vectors.json"


def _load_vectors() -> list[dict[str, Any]]:
    document = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = document["vectors"]
    return vectors


VECTORS = _load_vectors()


class FixedNonce:
    """A nonce source returning one fixed nonce, recording the sizes it was asked for."""

    def __init__(self, nonce: bytes) -> None:
        self.nonce = nonce
        self.requested: list[int] = []

    def __call__(self, size: int) -> bytes:
        self.requested.append(size)
        return self.nonce


def _aad(spec: dict[str, Any]) -> bytes:
    return associated_data(spec["purpose"], **spec["ids"])


# -- known answers for our envelope ---------------------------------------------------------


def test_vector_file_covers_the_cases_we_rely_on() -> None:
    assert len(VECTORS) >= 4
    names = {v["name"] for v in VECTORS}
    assert len(names) == len(VECTORS), "vector names must be unique"
    assert any(v["plaintext"] == "" for v in VECTORS), "an empty plaintext case"
    assert len({v["key_id"] for v in VECTORS}) >= 3, "several key ids (lengths differ)"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_envelope_known_answer(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key"])
    nonce = FixedNonce(bytes.fromhex(vector["nonce"]))
    plaintext = bytes.fromhex(vector["plaintext"])
    aad = _aad(vector["aad"])
    expected = bytes.fromhex(vector["envelope"])

    # The associated data format is part of what is stored forever: pin it too.
    assert aad == bytes.fromhex(vector["aad_hex"])
    envelope = seal(key, vector["key_id"], plaintext, aad, nonce_source=nonce)
    assert envelope.hex() == expected.hex()
    assert nonce.requested == [NONCE_BYTES]
    assert open_envelope(key, expected, aad) == plaintext
    header = read_header(expected)
    assert header.key_id == vector["key_id"]
    kid = vector["key_id"].encode("ascii")
    assert expected[2] == len(kid)
    assert expected[3 : 3 + len(kid)] == kid
    assert expected[3 + len(kid) : 3 + len(kid) + NONCE_BYTES] == nonce.nonce
    # ciphertext is as long as the plaintext, plus the 16-byte tag
    assert len(expected) == 3 + len(kid) + NONCE_BYTES + len(plaintext) + 16
    # and it is plain AES-256-GCM with the header bound into the associated data
    header_end = 3 + len(kid)
    body = expected[header_end + NONCE_BYTES :]
    assert AESGCM(key).decrypt(nonce.nonce, body, expected[:header_end] + aad) == plaintext


def test_associated_data_is_canonical() -> None:
    practice = UUID("00000000-0000-4000-8000-000000000001")
    message = UUID("00000000-0000-4000-8000-000000000003")
    assert associated_data("message-body", practice=practice, message=message) == (
        b"quietline/v1/message-body|message=00000000-0000-4000-8000-000000000003"
        b"|practice=00000000-0000-4000-8000-000000000001"
    )
    # the order in which ids are given does not matter; the purpose does
    assert associated_data("x", a=1, b=2) == associated_data("x", b=2, a=1)
    assert associated_data("x", a=1) != associated_data("y", a=1)
    # several purposes over the same ids (a message's body and data key): the same bytes
    assert associated_data_for(
        ("message-body", "message-key"), message=message, practice=practice
    ) == (
        associated_data("message-body", practice=practice, message=message),
        associated_data("message-key", practice=practice, message=message),
    )


def test_fresh_nonce_per_envelope() -> None:
    key = bytes(32)
    first = seal(key, "ck", b"same text", b"aad")
    second = seal(key, "ck", b"same text", b"aad")
    assert first != second
    assert open_envelope(key, first, b"aad") == open_envelope(key, second, b"aad") == b"same text"


def test_seal_refuses_bad_keys_and_key_ids() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        seal(bytes(16), "ck", b"x", b"")
    with pytest.raises(ValueError, match="key id"):
        seal(bytes(32), "", b"x", b"")
    with pytest.raises(ValueError, match="key id"):
        seal(bytes(32), "k" * 256, b"x", b"")


# -- the primitive, against published AES-256-GCM test cases --------------------------------
# McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13-16 (the
# AES-256 cases of the NIST GCM test vectors).

TC_ZERO_KEY = bytes(32)
TC_ZERO_IV = bytes(12)
TC16_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
TC16_IV = bytes.fromhex("cafebabefacedbaddecaf888")
TC16_PLAINTEXT = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
TC16_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
TC16_CIPHERTEXT = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
)
TC16_TAG = bytes.fromhex("76fc6ece0f4e1768cddf8853bb2d551b")


@pytest.mark.parametrize(
    ("key", "iv", "plaintext", "aad", "ciphertext", "tag"),
    [
        pytest.param(
            TC_ZERO_KEY,
            TC_ZERO_IV,
            b"",
            b"",
            b"",
            bytes.fromhex("530f8afbc74536b9a963b4f1c4cb738b"),
            id="test-case-13",
        ),
        pytest.param(
            TC_ZERO_KEY,
            TC_ZERO_IV,
            bytes(16),
            b"",
            bytes.fromhex("cea7403d4d606b6e074ec5d3baf39d18"),
            bytes.fromhex("d0d1c8a799996bf0265b98b5d48ab919"),
            id="test-case-14",
        ),
        pytest.param(
            TC16_KEY,
            TC16_IV,
            TC16_PLAINTEXT,
            TC16_AAD,
            TC16_CIPHERTEXT,
            TC16_TAG,
            id="test-case-16",
        ),
    ],
)
def test_aes_256_gcm_published_vectors(
    key: bytes, iv: bytes, plaintext: bytes, aad: bytes, ciphertext: bytes, tag: bytes
) -> None:
    aead = AESGCM(key)
    assert aead.encrypt(iv, plaintext, aad or None) == ciphertext + tag
    assert aead.decrypt(iv, ciphertext + tag, aad or None) == plaintext
    with pytest.raises(InvalidTag):
        aead.decrypt(iv, ciphertext + bytes([tag[0] ^ 1]) + tag[1:], aad or None)


def test_envelope_body_is_the_primitive_output() -> None:
    """Our envelope around test case 14's inputs carries its ciphertext C unchanged after
    the header and nonce; the tag differs from T only because the envelope authenticates
    its header as associated data (checked against the primitive directly)."""
    envelope = seal(TC_ZERO_KEY, "k1", bytes(16), b"", nonce_source=FixedNonce(TC_ZERO_IV))
    header = envelope[: 3 + 2]
    assert header == bytes((FORMAT_VERSION, 1, 2)) + b"k1"
    assert envelope[3 + 2 : 3 + 2 + NONCE_BYTES] == TC_ZERO_IV
    body = envelope[3 + 2 + NONCE_BYTES :]
    assert body[:16] == bytes.fromhex("cea7403d4d606b6e074ec5d3baf39d18")
    assert body == AESGCM(TC_ZERO_KEY).encrypt(TC_ZERO_IV, bytes(16), header)
    assert body[16:] != bytes.fromhex("d0d1c8a799996bf0265b98b5d48ab919")


# -- tampering ----------------------------------------------------------------------------

TAMPER_KEY = bytes(range(32))
TAMPER_AAD = associated_data("message-body", practice="p", conversation="c", message="m")


def _sealed(key_id: str = "ck") -> bytes:
    return seal(TAMPER_KEY, key_id, b"call the client back at 3pm", TAMPER_AAD)


def test_untampered_envelope_opens() -> None:
    assert open_envelope(TAMPER_KEY, _sealed(), TAMPER_AAD) == b"call the client back at 3pm"


@pytest.mark.parametrize(
    "position",
    [
        "version",
        "algorithm",
        "kid-length",
        "key-id",
        "nonce",
        "ciphertext-first",
        "ciphertext-last",
        "tag-last",
    ],
)
def test_flipped_byte_is_refused(position: str) -> None:
    envelope = bytearray(_sealed())
    kid_len = envelope[2]
    offsets = {
        "version": 0,
        "algorithm": 1,
        "kid-length": 2,
        "key-id": 3,
        "nonce": 3 + kid_len,
        "ciphertext-first": 3 + kid_len + NONCE_BYTES,
        "ciphertext-last": len(envelope) - 17,
        "tag-last": len(envelope) - 1,
    }
    envelope[offsets[position]] ^= 0x01
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, bytes(envelope), TAMPER_AAD)


@pytest.mark.parametrize("new_kid", ["cx", "kc", "dek", "c"])
def test_wrong_key_id_in_header_is_refused(new_kid: str) -> None:
    """Another key id spliced into the header (same length or not) must not open."""
    envelope = _sealed("ck")
    rest = envelope[3 + 2 :]
    forged = bytes((envelope[0], envelope[1], len(new_kid))) + new_kid.encode() + rest
    assert read_header(forged).key_id == new_kid
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, forged, TAMPER_AAD)


@pytest.mark.parametrize(
    "aad",
    [
        b"",
        associated_data("message-body", practice="p", conversation="c", message="m2"),
        associated_data("message-key", practice="p", conversation="c", message="m"),
        associated_data("message-body", practice="p2", conversation="c", message="m"),
    ],
    ids=["empty", "other-message", "other-purpose", "other-practice"],
)
def test_wrong_associated_data_is_refused(aad: bytes) -> None:
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, _sealed(), aad)


def test_version_downgrade_and_unauthenticated_headers_are_refused() -> None:
    envelope = bytearray(_sealed())
    assert envelope[0] == FORMAT_VERSION == 2
    envelope[0] = 1  # pretend the header was not authenticated
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, bytes(envelope), TAMPER_AAD)
    # an envelope whose tag does not cover its header (the unreleased version 1 layout)
    nonce = bytes(range(12))
    unbound = (
        bytes((1, 1, 2))
        + b"ck"
        + nonce
        + AESGCM(TAMPER_KEY).encrypt(nonce, b"header not covered", TAMPER_AAD)
    )
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, unbound, TAMPER_AAD)


def test_wrong_key_truncation_and_garbage_are_refused() -> None:
    envelope = _sealed()
    with pytest.raises(DecryptionError):
        open_envelope(bytes(32), envelope, TAMPER_AAD)
    for cut in (0, 2, 5, 3 + 2 + NONCE_BYTES, len(envelope) - 1):
        with pytest.raises(DecryptionError):
            open_envelope(TAMPER_KEY, envelope[:cut], TAMPER_AAD)
    with pytest.raises(DecryptionError):
        open_envelope(TAMPER_KEY, envelope + b"\x00", TAMPER_AAD)
    with pytest.raises(DecryptionError):
        read_header(bytes((1, 1, 2)) + b"\xff\xfe" + bytes(40))


# -- ciphertext moved between rows ------------------------------------------------------------


def _copy_ciphertext(services: Services, source: str, target: str) -> None:
    stored = raw_message(services, source)
    assert stored is not None
    assert stored.body_sealed is not None
    body, dek = stored.body_sealed, stored.dek_wrapped

    def move(unit: Unit) -> None:
        result = unit.conn.execute(
            update(messages)
            .where(messages.c.id == UUID(target))
            .values(body_sealed=body, dek_wrapped=dek)
        )
        assert result.rowcount == 1

    services.db.write_sync(move)


def test_ciphertext_moved_between_rows_is_never_shown(
    services: Services, client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    """A row holding another row's ciphertext fails authentication (the associated data
    binds practice, conversation and message ids). The API answers without the foreign text
    and without an error: the damaged message is left out, the others are still shown."""
    dana_id = add_staff(owner, "dana@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    direct = create_direct(owner, dana_id)
    group = create_group(owner, "Intake team", [dana_id])
    secret = f"alpha-{uuid.uuid4().hex}"
    source = send_message(owner, direct, f"{secret} call back at 3")["id"]
    same_conversation = send_message(owner, direct, "bravo")["id"]
    after = send_message(owner, direct, "charlie")["id"]
    other_conversation = send_message(owner, group, "delta")["id"]

    _copy_ciphertext(services, source, same_conversation)
    _copy_ciphertext(services, source, other_conversation)

    for reader in (dana, owner):
        response = reader.get(f"/conversations/{direct}/messages")
        assert response.status_code == 200, response.text
        shown = response.json()["messages"]
        assert [m["id"] for m in shown] == [source, after]
        assert response.text.count(secret) == 1  # only in its own row

        response = reader.get(f"/conversations/{group}/messages")
        assert response.status_code == 200, response.text
        assert response.json()["messages"] == []
        assert secret not in response.text

        response = reader.post("/search", {"query": secret})
        assert response.status_code == 200, response.text
        assert [m["id"] for m in response.json()] == [source]

        # the conversation list still works and counts rows, not content
        assert reader.get("/conversations").status_code == 200


def test_ciphertext_moved_between_practices_is_never_shown(
    services: Services, client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    other = make_practice(services, "lakeside")
    other_owner = sign_in(client, other.slug, other.owner_email)
    dana_id = add_staff(owner, "dana@riverbend.test")
    lee_id = add_staff(other_owner, "lee@lakeside.test")
    here = create_direct(owner, dana_id)
    there = create_direct(other_owner, lee_id)
    secret = f"echo-{uuid.uuid4().hex}"
    source = send_message(other_owner, there, secret)["id"]
    target = send_message(owner, here, "foxtrot")["id"]
    _copy_ciphertext(services, source, target)
    response = owner.get(f"/conversations/{here}/messages")
    assert response.status_code == 200, response.text
    assert response.json()["messages"] == []
    assert secret not in response.text
    assert [m["body"] for m in history(other_owner, there)] == [secret]


def _titles(api: Api) -> dict[str, str | None]:
    response = api.get("/conversations")
    assert response.status_code == 200, response.text
    return {c["id"]: c["title"] for c in response.json()}


def _set_title_sealed(services: Services, conversation_id: str, sealed: bytes) -> None:
    def write(unit: Unit) -> None:
        result = unit.conn.execute(
            update(conversations)
            .where(conversations.c.id == UUID(conversation_id))
            .values(title_sealed=sealed)
        )
        assert result.rowcount == 1

    services.db.write_sync(write)


def test_opened_titles_are_remembered_by_ciphertext_and_never_shown_stale_or_moved(
    services: Services, practice: PracticeHandle, owner: Api
) -> None:
    """The server remembers opened titles (the list shows hundreds), keyed by conversation
    and ciphertext: a renamed title is shown anew, a title's ciphertext moved to another
    conversation still fails authentication, and a damaged one is left out, even after the
    original was opened and remembered."""
    dana_id = add_staff(owner, "dana@riverbend.test")
    secret = f"golf-{uuid.uuid4().hex}"
    source = create_group(owner, f"Intake {secret}", [dana_id])
    target = create_group(owner, "Front desk", [dana_id])
    assert _titles(owner)[source] == f"Intake {secret}"  # opened and remembered
    assert _titles(owner)[source] == f"Intake {secret}"  # from memory

    renamed = owner.patch(f"/conversations/{source}", {"title": "Intake (renamed)"})
    assert renamed.status_code == 200, renamed.text
    assert _titles(owner)[source] == "Intake (renamed)"

    def sealed_of(conversation_id: str) -> bytes:
        def read(unit: Unit) -> bytes:
            found = unit.conn.execute(
                select(conversations.c.title_sealed).where(
                    conversations.c.id == UUID(conversation_id)
                )
            ).scalar_one()
            return bytes(found)

        return services.db.read_sync(read)

    # the renamed ciphertext, remembered for its own conversation, moved to the other
    _set_title_sealed(services, target, sealed_of(source))
    titles = _titles(owner)
    assert titles[source] == "Intake (renamed)"
    assert titles[target] is None
    # damaged in place after it was remembered: a new ciphertext, opened anew, refused
    damaged = bytearray(sealed_of(source))
    damaged[-1] ^= 0x01
    _set_title_sealed(services, source, bytes(damaged))
    titles = _titles(owner)
    assert titles[source] is None
    assert titles[target] is None
    assert secret not in str(titles)


# -- the master key file ---------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_master_key_file_is_created_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    created = create_master_key_file(path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) & 0o077 == 0
    loaded = load_master_key_file(path)
    assert loaded.key == created.key
    assert len(loaded.key) == 32
    assert loaded.key_id == created.key_id == master_key_id(created.key)
    assert base64.b64encode(loaded.key).decode() not in repr(loaded)
    with pytest.raises(FileExistsError):
        create_master_key_file(path)  # never overwrites a key
    assert load_master_key_file(path).key == created.key


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o620, 0o602])
def test_master_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    create_master_key_file(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="readable by other users") as caught:
        load_master_key_file(path)
    assert f"chmod 600 {path}" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is not a Quietline master key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n", "is not a Quietline master key"),
        ("quietline-master-key-v1:not base64!!\n", "damaged (not base64)"),
        ("quietline-master-key-v1:" + base64.b64encode(bytes(16)).decode(), "wrong length"),
        ("quietline-master-key-v1:" + base64.b64encode(bytes(32)).decode()[:20], "damaged"),
    ],
    ids=["empty", "other-format", "not-base64", "short-key", "truncated"],
)
def test_damaged_master_key_file_gives_a_clear_error(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "master.key"
    path.write_text(content, encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=re.escape(problem)) as caught:
        load_master_key_file(path)
    assert str(path) in str(caught.value)


def test_missing_or_binary_master_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        load_master_key_file(tmp_path / "nope.key")
    path = tmp_path / "binary.key"
    path.write_bytes(os.urandom(8) + b"\xff\xfe")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="cannot be read"):
        load_master_key_file(path)


def test_server_refuses_to_start_with_a_damaged_master_key(settings: Settings) -> None:
    settings.master_key_path.write_text("quietline-master-key-v1:@@@\n", encoding="ascii")
    with pytest.raises(ConfigError, match="damaged") as caught:
        build_services(settings)
    message = str(caught.value)
    assert str(settings.master_key_path) in message
    assert "QUIETLINE_MASTER_KEY_FILE" in message
