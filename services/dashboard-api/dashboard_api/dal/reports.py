"""Upload reports in the upload bucket (written by ingest under ``reports/``)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from inventory.models import iso_utc

from dashboard_api.dal.errors import unavailable_on_error
from dashboard_api.models.records import Report, ReportObject

#: Largest report read; ingest keeps the first 1,000 errors, well under this.
MAX_REPORT_BYTES = 2 * 1024 * 1024


class ReportBucket:
    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def newest(self, max_listed: int) -> list[ReportObject]:
        """Report files, newest first, from a listing of at most ``max_listed`` keys.

        S3 lists keys in name order, not time order, so the whole prefix is listed (1,000
        keys per call) up to the cap, then sorted by LastModified.
        """
        found: list[ReportObject] = []
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Prefix": self._prefix}
        with unavailable_on_error("the upload reports"):
            while len(found) < max_listed:
                response = self._client.list_objects_v2(**kwargs)
                for entry in response.get("Contents", []):
                    if entry["Key"].endswith(".json"):
                        found.append(ReportObject(entry["Key"], iso_utc(entry["LastModified"])))
                if not response.get("IsTruncated"):
                    break
                kwargs["ContinuationToken"] = response["NextContinuationToken"]
        found.sort(key=lambda report: (report.last_modified, report.key), reverse=True)
        return found

    def read(self, listed: ReportObject) -> Report | None:
        """A report's content; None if it vanished, is too big or is not a JSON object."""
        with unavailable_on_error("an upload report"):
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=listed.key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                    return None
                raise
            if int(response.get("ContentLength", 0)) > MAX_REPORT_BYTES:
                response["Body"].close()
                return None
            raw = response["Body"].read()
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return Report(listed.key, listed.last_modified, body) if isinstance(body, dict) else None
