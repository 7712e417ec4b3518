"""Window-platform onboarding pages (P4)."""

from __future__ import annotations

from fastapi import APIRouter

from api.pages_common import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
