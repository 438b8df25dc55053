"""The concurrency model of api/app.py, held for every route: nothing that may block runs on the event loop.

FastAPI runs a plain `def` endpoint or dependency on its thread pool and an `async def` one on the event loop, where
a database wait, a password hash or a template stops every other request of the process. So every endpoint and
every dependency of every route is plain `def`, unless it is named below with the reason it never blocks. The same
holds for the exception handlers (Starlette runs a plain `def` one on the thread pool) and the middleware.

A new `async def` handler fails here until it is made plain `def`, or shown not to block and added to the list.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, cast

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from api.app import create_app
from workflow.context import Context

# Known not to block, each with why: "module.qualified_name" of the function.
ASYNC_ALLOWED = {
    "api.deps.context": "returns the app's context from its state",
    "api.deps.now": "reads the app's clock",
    "api.deps.request_id": "reads the request's state",
    "api.deps.caller": "the token's lookup runs on the thread pool (run_in_threadpool)",
    "api.web.session.checked_form": "awaits the form's body and compares two strings; its viewer is plain def",
    "api.web.pages.signin.sign_in": "awaits the form; the check (database, argon2) runs in the sign-in lane's "
                                    "threads and the form is rendered on the thread pool",
    "fastapi.exception_handlers.websocket_request_validation_exception_handler": "closes a WebSocket (there are "
                                                                                 "none)",
}
MIDDLEWARE_ALLOWED = {
    "api.access.AccessMiddleware": "passes messages on; the token's lookup runs on the thread pool",
    "api.limits.BodyLimitMiddleware": "passes messages on, counting the body's bytes",
}
MOUNTS_ALLOWED = {
    "/app/static": "Starlette's StaticFiles looks files up and reads them on anyio's threads",
}


def name_of(call: Callable[..., Any]) -> str:
    while isinstance(call, functools.partial):
        call = call.func
    if not inspect.isroutine(call) and not inspect.isclass(call):
        call = type(call)
    return f"{call.__module__}.{call.__qualname__}"


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    """As FastAPI and Starlette decide: a coroutine or async generator function (or an object whose __call__ is
    one) is awaited on the event loop; anything else goes to the thread pool."""
    while isinstance(call, functools.partial):
        call = call.func
    if not inspect.isroutine(call) and not inspect.isclass(call):
        call = call.__call__  # type: ignore[operator]
    return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)


def calls_of(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from calls_of(sub)


def on_the_loop(app: FastAPI) -> set[str]:
    """Every endpoint, dependency, exception handler and middleware of the app that the event loop would run,
    and every kind of route this test does not know, by name."""
    found: set[str] = set()
    for route in iter_route_contexts(app.routes):  # through the included routers, as FastAPI serves them
        original = route.original_route
        if isinstance(original, APIRoute):  # the route's dependant, with its routers' dependencies
            dependant: Dependant = cast(Any, route).dependant
            found |= {name_of(call) for call in calls_of(dependant) if runs_on_the_loop(call)}
        elif isinstance(original, Route):
            if runs_on_the_loop(original.endpoint):
                found.add(name_of(original.endpoint))
        elif isinstance(original, Mount):
            found.add(f"mount {original.path}")
        else:
            found.add(f"route of unknown kind {type(original).__name__} {getattr(original, 'path', '')}")
    found |= {name_of(handler) for handler in app.exception_handlers.values() if runs_on_the_loop(handler)}
    found |= {name_of(m.cls) for m in app.user_middleware if name_of(m.cls) not in MIDDLEWARE_ALLOWED}
    return found


def unexplained(app: FastAPI) -> set[str]:
    return on_the_loop(app) - set(ASYNC_ALLOWED) - {f"mount {path}" for path in MOUNTS_ALLOWED}


def test_nothing_that_may_block_runs_on_the_event_loop(ctx: Context) -> None:
    app = create_app(ctx)
    assert unexplained(app) == set(), "async def where plain def belongs (or add it, with its reason, above)"


def test_the_allowed_are_still_there(ctx: Context) -> None:
    """A name left on the list after its function became plain def (or went away) would let a later one in."""
    assert set(ASYNC_ALLOWED) <= on_the_loop(create_app(ctx))


async def pure() -> str:
    """Stands for a dependency made async."""
    return "nothing"


async def handler(value: str = Depends(pure)) -> str:
    """Stands for a route handler made async (as the proposals' were before issue 22)."""
    return value


def test_an_async_handler_and_dependency_are_found(ctx: Context) -> None:
    """The check itself: an `async def` handler and its `async def` dependency, included as every router is."""
    app = create_app(ctx)
    router = APIRouter()
    router.add_api_route("/made-async", handler, methods=["PATCH"])
    app.include_router(router)
    assert unexplained(app) == {name_of(handler), name_of(pure)}
