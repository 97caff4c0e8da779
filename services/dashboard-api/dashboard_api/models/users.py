"""Dashboard users as head office manages them: records from Cognito and the API's shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dashboard_api.models.subscriptions import Cleanup

#: Cognito usernames: at most 128 characters (letters, marks, symbols, digits, punctuation).
MAX_USERNAME_LENGTH = 128
#: Longest email address (RFC 5321 path limit).
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True, slots=True)
class Access:
    """What a user may see: every store (admin) or the listed ones."""

    admin: bool
    stores: frozenset[str]

    def may_see(self, store: str) -> bool:
        return self.admin or store in self.stores


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as Cognito holds them."""

    username: str
    email: str | None
    email_verified: bool
    enabled: bool
    status: str  # Cognito's UserStatus: CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED...
    admin: bool
    stores_attribute: str | None  # custom:stores as stored; logic parses it as it parses the token claim
    created_at: str | None
    mfa_enabled: bool | None = None  # None: not looked up (listings look it up for admins only)


@dataclass(frozen=True, slots=True)
class UserListing:
    users: list[UserRecord]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class PasswordReset:
    """How a user gets back in: a code by email (Cognito sends it) or a temporary password to hand over."""

    delivery: Literal["email", "temporary_password"]
    temporary_password: str | None = None


# -- the API's shapes -------------------------------------------------------------------------


class UserView(BaseModel):
    username: str
    email: str | None
    email_verified: bool
    enabled: bool
    status: str = Field(description="Cognito's account status, e.g. CONFIRMED or FORCE_CHANGE_PASSWORD")
    admin: bool = Field(description="Member of the admin group (head office)")
    stores: list[str] = Field(description="Stores a non-admin may see")
    mfa_enabled: bool | None = Field(
        description="TOTP MFA enrolled; looked up for admins only (an admin without it has no admin rights)"
    )
    created_at: str | None


class UsersPage(BaseModel):
    users: list[UserView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class NewUserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH)
    email: str = Field(
        min_length=3, max_length=MAX_EMAIL_LENGTH, description="Verified by you: the forgotten-password channel"
    )
    stores: list[str] = Field(default_factory=list, description="Stores a non-admin may see")
    admin: bool = Field(default=False, description="Head office: every store (needs TOTP MFA to act as admin)")


class NewUserResponse(BaseModel):
    user: UserView
    temporary_password: str = Field(description="Shown once; the user must replace it at first sign-in")


class AccessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stores: list[str] = Field(default_factory=list)
    admin: bool = False


class SubscriptionCleanup(BaseModel):
    narrowed: int = Field(description="Subscriptions whose filter policy lost stores the user may no longer see")
    removed: int = Field(description="Subscriptions removed: nothing left the user may see, or the user is gone")
    pending: int = Field(
        description="Subscriptions to remove that SNS holds pending confirmation and refuses to remove yet: they "
        "match no alert now, and are removed once SNS allows (status `removing`)"
    )

    @classmethod
    def of(cls, cleanup: Cleanup) -> SubscriptionCleanup:
        return cls(narrowed=cleanup.narrowed, removed=cleanup.removed, pending=cleanup.pending)


class AccessChangeResponse(BaseModel):
    user: UserView
    signed_out: bool = Field(description="Every session of the user was ended; their tokens are refused")
    subscriptions: SubscriptionCleanup


class UserResponse(BaseModel):
    user: UserView


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temporary_password: bool = Field(
        default=False,
        description="Set a new temporary password (returned once) instead of emailing a reset code",
    )


class PasswordResetResponse(BaseModel):
    username: str
    delivery: Literal["email", "temporary_password"] = Field(
        description="`email`: Cognito emailed a code to the verified address; `temporary_password`: hand it over"
    )
    temporary_password: str | None


class UserDeletedResponse(BaseModel):
    username: str
    signed_out: bool = Field(description="Every session of the user was ended; their tokens are refused")
    subscriptions: SubscriptionCleanup
