"""`quietline serve` as a real process: TLS from a certificate and key, HSTS, clean shutdown."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_over_tls_with_hsts(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    data = tmp_path / "data"
    password_file = tmp_path / "pw"
    password_file.write_text("a long enough password\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUIETLINE_")},
        "QUIETLINE_DATA_DIR": str(data),
        "QUIETLINE_ARGON2_TIME_COST": "1",
        "QUIETLINE_ARGON2_MEMORY_KIB": "8",
    }
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "quietline",
            "init",
            "--practice-code",
            "tls",
            "--practice-name",
            "TLS test",
            "--owner-email",
            "owner@tls.test",
            "--owner-name",
            "Owner",
            "--owner-password-file",
            str(password_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    port = _free_port()
    env.update(
        {
            "QUIETLINE_HOST": "127.0.0.1",
            "QUIETLINE_PORT": str(port),
            "QUIETLINE_TLS_CERT_FILE": str(cert),
            "QUIETLINE_TLS_KEY_FILE": str(key),
        }
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "quietline", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        context = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"https://127.0.0.1:{port}/api/v1/health", verify=context)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        assert response is not None, server.stderr.read() if server.stderr else ""
        assert response.status_code == 200
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["cache-control"] == "no-store"
        # Plain HTTP on the TLS port does not get an answer.
        try:
            plain = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=3)
            assert plain.status_code >= 400
        except httpx.TransportError:
            pass
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, stderr = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate(timeout=5)
    # uvicorn re-raises the signal after a graceful shutdown, as service managers expect.
    assert server.returncode in (0, -signal.SIGTERM), stderr
    assert "Traceback" not in stderr
