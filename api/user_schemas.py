"""Bodies of the administrators' account endpoints (/admin/users): never a token's or a password's hash."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflow.accounts import MAX_TOKEN_DAYS, Account


class UserOut(BaseModel):
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

    @classmethod
    def of(cls, a: Account) -> UserOut:
        return cls(id=a.id, name=a.name, role=a.role, email=a.email, organisation_id=a.organisation_id,
                   alliance_id=a.alliance_id, language=a.language, active=a.active, disabled_at=a.disabled_at,
                   has_token=a.has_token, token_expires_at=a.token_expires_at, token_expired=a.token_expired,
                   has_password=a.has_password, signed_in_browsers=a.signed_in_browsers)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 90}, {}]})
    days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_DAYS,
                             description="the token stops working after this many days; omitted: when replaced")


class TokenOut(BaseModel):
    user: UserOut
    token: str = Field(description="the new bearer token; shown only now, only its hash is kept")
    expires_at: datetime | None
