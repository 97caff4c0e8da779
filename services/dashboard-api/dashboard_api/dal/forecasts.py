"""The Forecast table (owned by alerts): each item's stockout forecast, and its sparse RunningOut index.

Read eventually consistent, as every dashboard read: a forecast a second old is as good.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from inventory.forecast import RUNNING_OUT_INDEX, ForecastRow, running_out_week
from inventory.leftovers import BACKOFF, Backoff, until_done

from dashboard_api.dal.errors import unavailable_on_error
from dashboard_api.models.errors import Unavailable
from dashboard_api.models.records import ForecastRows

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: BatchGetItem takes at most 100 keys a call.
KEYS_PER_READ = 100
#: What a row's outlook needs (``ForecastRow.outlook``: the count, when it was set, the forecast), by
#: placeholder: reading only these halves what a page's forecasts cost to send and to parse.
OUTLOOK_ATTRIBUTES = {
    "#store": "Store",
    "#item": "Item",
    "#count": "Count",
    "#at": "UpdatedAt",
    "#rate": "RatePerDay",
    "#sd": "DailySd",
    "#days": "DaysLeft",
    "#runs": "RunsOutAt",
}


class ForecastReader:
    #: Calls for one chunk of keys before keys DynamoDB keeps leaving unprocessed count as a failure.
    ATTEMPTS = 4

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        backoff: Backoff = BACKOFF,
    ) -> None:
        self._client = client
        self._table = table_name
        self._backoff = backoff

    def store_rows(self, store: str, max_rows: int) -> ForecastRows:
        """Every row of a store that holds a forecast (Query of its partition, at most ``max_rows`` examined)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#store = :store",
            # Rows without a forecast (not being used up) are read, but not sent over.
            "FilterExpression": "attribute_exists(RunsOutAt)",
            "ExpressionAttributeNames": {"#store": "Store"},
            "ExpressionAttributeValues": {":store": {"S": store}},
        }
        return self._query(kwargs, max_rows, f"the forecasts of {store!r}")

    def running_out(self, store: str, by: str, max_rows: int) -> ForecastRows:
        """A store's rows whose RunningOut entry says they may run out by ``by`` (ISO 8601): every row
        that does, and some that do not (the index keeps the week, see :func:`running_out_week`), in
        the index's order; at most ``max_rows`` examined."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RUNNING_OUT_INDEX,
            "KeyConditionExpression": "#store = :store AND #week <= :week",
            "ExpressionAttributeNames": {"#store": "Store", "#week": "RunningOutIn"},
            "ExpressionAttributeValues": {":store": {"S": store}, ":week": {"N": str(running_out_week(by))}},
            "ScanIndexForward": True,
        }
        return self._query(kwargs, max_rows, f"the forecasts of {store!r}")

    def between(self, store: str, first: str, last: str, max_rows: int) -> ForecastRows:
        """A store's rows for items named ``first`` to ``last`` (inclusive), in name order, read for
        their outlook (:data:`OUTLOOK_ATTRIBUTES`): the model's other numbers read as 0."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#store = :store AND #item BETWEEN :first AND :last",
            "ProjectionExpression": ", ".join(OUTLOOK_ATTRIBUTES),
            "ExpressionAttributeNames": OUTLOOK_ATTRIBUTES,
            "ExpressionAttributeValues": {":store": {"S": store}, ":first": {"S": first}, ":last": {"S": last}},
        }
        return self._query(kwargs, max_rows, f"the forecasts of {store!r}")

    def rows(self, store: str, items: Iterable[str]) -> ForecastRows:
        """The rows of the named items (BatchGetItem, 100 keys a call); items without a row are left out."""
        return self.keyed(((store, item) for item in items), f"the forecasts of {store!r}")

    def keyed(self, keys: Iterable[tuple[str, str]], what: str = "the forecasts") -> ForecastRows:
        """The rows of (store, item) keys of any stores (BatchGetItem, 100 keys a call); absent ones left out."""
        wanted = list(dict.fromkeys(keys))
        found: list[ForecastRow] = []

        def read_once(request: Any) -> Any:
            with unavailable_on_error(what):
                response = self._client.batch_get_item(RequestItems={self._table: request})
            found.extend(_readable(response.get("Responses", {}).get(self._table, [])))
            left = (response.get("UnprocessedKeys") or {}).get(self._table)
            return left if left and left.get("Keys") else None

        for start in range(0, len(wanted), KEYS_PER_READ):
            request: Any = {
                "Keys": [
                    {"Store": {"S": store}, "Item": {"S": item}}
                    for store, item in wanted[start : start + KEYS_PER_READ]
                ]
            }
            if until_done(read_once, request, attempts=self.ATTEMPTS, backoff=self._backoff) is not None:
                raise Unavailable(f"{what} could not be read; try again shortly")
        return ForecastRows(found, examined=len(found), complete=True)

    def _query(self, kwargs: dict[str, Any], max_rows: int, what: str) -> ForecastRows:
        """Follow the Query's pages until done or ``max_rows`` rows were examined (``Limit`` bounds each page)."""
        rows: list[ForecastRow] = []
        examined = 0
        with unavailable_on_error(what):
            while True:
                kwargs["Limit"] = max_rows - examined
                response = self._client.query(**kwargs)
                examined += int(response.get("ScannedCount", 0))
                rows.extend(_readable(response.get("Items", [])))
                last = response.get("LastEvaluatedKey")
                if last is None:
                    return ForecastRows(rows, examined, complete=True)
                if examined >= max_rows:
                    return ForecastRows(rows, examined, complete=False)
                kwargs["ExclusiveStartKey"] = last


def _readable(items: Iterable[Any]) -> list[ForecastRow]:
    """The rows that read as ``ForecastRow``; another is left out (its item shows no forecast until
    the alerts service rewrites the row at the item's next change)."""
    rows = []
    for item in items:
        try:
            rows.append(ForecastRow.from_item(item))
        except (KeyError, ValueError, TypeError, ArithmeticError, AttributeError):
            continue
    return rows
