"""What ingest knows about one uploaded file: the object-created notification."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Upload:
    """An object-created notification for one file, its key already decoded."""

    bucket: str
    key: str
    event_time: str = ""  # when S3 created the object (ms precision); orders uploads
    version_id: str = ""
    sequencer: str = ""
