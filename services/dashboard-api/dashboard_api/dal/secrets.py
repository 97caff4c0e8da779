"""The cursor-signing key, a Secrets Manager secret the stack generates (no default exists)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import SecretUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

#: A shorter key would be guessable by brute force; the stack generates 64 characters.
MIN_KEY_LENGTH = 32


def signing_key(client: SecretsManagerClient, secret_id: str) -> bytes:
    """The secret's value as a signing key. Raises :class:`SecretUnavailable` rather than fall back."""
    try:
        value = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except (ClientError, BotoCoreError) as error:
        raise SecretUnavailable(f"the cursor-signing secret {secret_id!r} could not be read: {error}") from error
    if len(value) < MIN_KEY_LENGTH:
        raise SecretUnavailable(f"the cursor-signing secret {secret_id!r} is shorter than {MIN_KEY_LENGTH} characters")
    return value.encode()
