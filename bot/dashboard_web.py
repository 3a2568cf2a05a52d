"""Advisor dashboard routes. (Being filled in: see issue 6.)"""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Register /dashboard and its data endpoints on the web app."""
