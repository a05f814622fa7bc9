"""The staff web app: static files served at /app/ (no build step; see docs/web-app.md)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
