"""What can go wrong with one record, one batch or one integration, as the service's own exceptions."""

from __future__ import annotations


class MalformedRecord(ValueError):
    """A stream record whose new image cannot be read as a stock change; the message says why."""


class PublishFailed(RuntimeError):
    """The alerts topic refused or did not answer a digest; its records must be retried."""


class HistoryUnavailable(RuntimeError):
    """A change's History row and totals could not be written (throttled, conflicting, unreachable)."""


class ForecastUnavailable(RuntimeError):
    """The Forecast table could not be read or written (throttled past the retries, unreachable)."""


class NotProcessed(RuntimeError):
    """A record left untouched because an earlier record of its batch failed (Lambda resends from there)."""


class StoresUnavailable(RuntimeError):
    """The Stores or Inventory table could not be read or written during a recount."""


class StreamUnavailable(RuntimeError):
    """The Inventory stream could not be read right now; reading again later may work."""


class RecordsExpired(RuntimeError):
    """The stream no longer holds the records a failure pointer names (it keeps them 24 hours)."""


class ArchiveUnavailable(RuntimeError):
    """The failed-records table could not be read or written."""


class ReplayBusy(RuntimeError):
    """Another replay holds the replay lock; nothing was replayed."""


class ConfigurationMissing(LookupError):
    """An operator command could not find the stack it was pointed at; the message says what to do."""


class ProgressUnavailable(RuntimeError):
    """The recount's progress item could not be read or written."""
