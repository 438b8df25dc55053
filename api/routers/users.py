"""People's accounts, for administrators: the list, disabling and enabling, a new token (with an expiry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Ctx, Now
from api.user_schemas import TokenIn, TokenOut, UserOut
from workflow.people.accounts import MAX_PAGE
from workflow.procedure.inputs import MAX_ID

router = APIRouter(prefix="/admin/users", tags=["operations"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[UserOut])
def list_users(ctx: Ctx, caller: Caller, now: Now,
               after: Annotated[int, Query(ge=0, le=MAX_ID, description="page on: the last id you got")] = 0,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> list[UserOut]:
    """Every account in id order (admins): role, whether it is disabled, its token's expiry, its signed-in
    browsers. Never a token or a hash."""
    return [UserOut.model_validate(a) for a in ctx.accounts.users(caller, now=now, after_id=after, limit=limit)]


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: Id, ctx: Ctx, caller: Caller, now: Now) -> UserOut:
    """One account (admins)."""
    return UserOut.model_validate(ctx.accounts.user(caller, user_id, now=now))


@router.post("/{user_id}/disable", response_model=UserOut)
def disable(user_id: Id, ctx: Ctx, caller: Caller, now: Now) -> UserOut:
    """Disable an account (admins; not your own): its token and password no longer sign in, and its browsers
    are signed out now. Enabling it restores both."""
    return UserOut.model_validate(ctx.accounts.disable(caller, user_id, now=now))


@router.post("/{user_id}/enable", response_model=UserOut)
def enable(user_id: Id, ctx: Ctx, caller: Caller, now: Now) -> UserOut:
    """Enable a disabled account again (admins): its token (unless expired) and password sign in again."""
    return UserOut.model_validate(ctx.accounts.enable(caller, user_id, now=now))


@router.post("/{user_id}/token", response_model=TokenOut)
def new_token(user_id: Id, body: TokenIn, ctx: Ctx, caller: Caller, now: Now) -> TokenOut:
    """A new API token for the account (admins), valid for `days` or, with `{}`, until replaced. The old token
    stops working and the account's browsers are signed out. The token is in this answer only."""
    issued = ctx.accounts.issue_token(caller, user_id, now=now, days=body.days)
    return TokenOut(user=UserOut.model_validate(issued.account), token=issued.token,
                    expires_at=issued.account.token_expires_at)
