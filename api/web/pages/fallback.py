"""Any other address under /app: a page that says so, in the viewer's frame (signed out: sign in first)."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.errors import PageRoute
from api.web.session import Viewer
from workflow.errors import NotFound

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)


@router.api_route("/{rest:path}", methods=["GET", "POST"])
def no_such_page(rest: str, viewer: Viewer) -> None:
    raise NotFound(f"no page /app/{rest}")
