"""What can go wrong while ingesting a file, as the service's own exceptions.

Two families matter to the caller:

- *final*: the file itself cannot be loaded (:class:`UploadGone`, :class:`UploadRefused`, and
  the parser's ``FileRejected``); retrying would not help, so the report says ``failed`` at once;
- *passing* (:class:`Unavailable` and its subclasses): AWS refused or did not answer after the
  retry layer gave up; Lambda's own retry of the event may well succeed.
"""

from __future__ import annotations


class UploadGone(Exception):
    """The uploaded object (or the version named in the event) no longer exists."""


class UploadRefused(Exception):
    """The object is not something ingest loads: its name or its folder says so (the reason does)."""


class Unavailable(RuntimeError):
    """A passing failure of an AWS service, after the client's retries; the message says which."""


class TableUnavailable(Unavailable):
    """DynamoDB kept throttling or failing a batch until its time was up."""


class StorageUnavailable(Unavailable):
    """S3 refused or did not answer a read of the upload or a write of its report."""


class ContinuationFailed(Unavailable):
    """The function could not invoke itself to carry on with a big file."""


class LeaseLost(RuntimeError):
    """Another invocation took the upload over (this one was presumed dead): stop without writing."""


class RetryLater(Exception):
    """Raised by the handler so Lambda retries the event: at least one file hit a passing failure."""
