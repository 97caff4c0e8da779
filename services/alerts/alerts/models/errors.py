"""What can go wrong with one record or one integration, as the project's own exceptions."""

from __future__ import annotations


class MalformedRecord(ValueError):
    """A stream record that cannot be read as a stock change; the message says why."""


class PublishFailed(RuntimeError):
    """The alerts topic refused or did not answer a digest; its records must be retried."""


class HistoryUnavailable(RuntimeError):
    """The History table refused a write for a reason other than the dedupe condition."""
