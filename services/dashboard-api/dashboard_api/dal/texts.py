"""Texts to one phone number (SNS Publish with ``PhoneNumber``): the codes that prove a number's owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
else:
    SNSClient = Any


class PhoneTexts:
    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def send(self, number: str, text: str) -> None:
        """Text ``text`` to an E.164 number as a transactional SMS (SNS delivers those most reliably)."""
        try:
            self._client.publish(
                PhoneNumber=number,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in {"InvalidParameter", "InvalidParameterValue", "OptedOut"}:
                raise InvalidInput(
                    "this number cannot receive texts from the alert service", "invalid_endpoint"
                ) from error
            raise Unavailable(f"texting the code failed ({code or 'error'}); try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("texting the code failed; try again shortly") from error
