"""Bodies of the administrators' account endpoints (/admin/users): never a token's or a password's hash."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflow.people.accounts import MAX_TOKEN_DAYS


class UserOut(BaseModel):
    """An account as workflow.people.accounts.Account has it (read from its attributes)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    email: str | None
    organisation_id: int | None
    alliance_id: int | None
    language: str
    active: bool = Field(description="false while the account is disabled: neither its token nor its password "
                                     "signs in")
    disabled_at: datetime | None
    has_token: bool
    token_expires_at: datetime | None = Field(description="when the API token stops working; null: until replaced")
    token_expired: bool
    has_password: bool = Field(description="may sign in to the web pages with e-mail and password")
    signed_in_browsers: int = Field(description="web sign-ins of the account that are running now")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 90}, {}]})
    days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_DAYS,
                             description="the token stops working after this many days; omitted: when replaced")


class TokenOut(BaseModel):
    user: UserOut
    token: str = Field(description="the new bearer token; shown only now, only its hash is kept")
    expires_at: datetime | None
