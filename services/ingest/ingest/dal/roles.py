"""Whether an S3 event's principal is the dashboard API: the only writer whose ``uploaded-by`` metadata is believed.

The API signs each upload grant with its own role's credentials, so S3 names the put
``AWS:<role unique id>:<session name>`` in the event's ``userIdentity.principalId`` (an
assumed role's form; a Lambda function's session is the function's name). The unique id
(``AROA...``) is IAM's, given when the role is created: the API's stack is deployed after this
one, so it cannot come as a setting. It is read from IAM by the role's name on first use and kept
for the execution environment; a role deleted and created again under the same name gets another
id, which is believed only from the next cold start on. If IAM cannot be asked, nothing is
believed for a minute (reports name the principal instead of the person), then IAM is asked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.observability import logger

#: How long an unanswered IAM lookup is not tried again.
RETRY_SECONDS = 60.0


class ApiRole:
    """The API function's role, known by name; see the module docstring."""

    def __init__(
        self,
        iam: Any,
        role_name: str,
        *,
        principal_id: str = "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``principal_id``: a principal believed as it is (the local emulator names every caller alike)."""
        self._iam = iam
        self._role_name = role_name
        self._principal_id = principal_id
        self._monotonic = monotonic
        self._prefix: str | None = None
        self._retry_at = 0.0

    def signed(self, principal: str) -> bool:
        if self._principal_id and principal == self._principal_id:
            return True
        prefix = self._role_prefix()
        return bool(prefix) and principal.startswith(prefix) and len(principal) > len(prefix)

    def _role_prefix(self) -> str:
        if self._prefix is not None or not self._role_name or self._monotonic() < self._retry_at:
            return self._prefix or ""
        try:
            role_id = self._iam.get_role(RoleName=self._role_name)["Role"]["RoleId"]
        except (ClientError, BotoCoreError, KeyError) as error:
            self._retry_at = self._monotonic() + RETRY_SECONDS
            logger.warning(
                "The API's role could not be read: uploaded-by metadata is not believed",
                extra={"role": self._role_name, "error": str(error)[:200]},
            )
            return ""
        self._prefix = f"AWS:{role_id}:"
        return self._prefix
