"""(being written) pages: review."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.errors import PageRoute

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)
