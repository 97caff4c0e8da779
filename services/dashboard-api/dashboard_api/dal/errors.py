"""Turning AWS client errors into the API's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import Unavailable


@contextmanager
def unavailable_on_error(what: str, log: Callable[[str, Exception], None] | None = None) -> Iterator[None]:
    """Any AWS failure inside becomes :class:`Unavailable` naming what could not be read."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        if log:
            log(what, error)
        raise Unavailable(f"{what} could not be read; try again shortly") from error
