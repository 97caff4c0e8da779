"""The emulator behind its gateway: loopback hosts only, CORS for the dashboard only, and the stand-ins.

One emulator (moto's server behind :class:`devstack.gateway.Gateway`) on a free loopback port, driven with
boto3 and plain HTTP as the dashboard, the AWS CLI or a hostile web page would.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import jwt
import pyotp
import pytest
from botocore.config import Config

from devstack.cognito import create_demo_users
from devstack.emulator import Emulator
from devstack.lambdas import Functions
from devstack.notifications import print_deliveries
from devstack.provision import Function
from devstack.s3_events import route_to_functions
from tests.integration.devstack.test_function_runtime import function

pytestmark = pytest.mark.integration

DASHBOARD = "http://127.0.0.1:8123"
PASSWORD = "Start-Passw0rd!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def console() -> list[str]:
    return []


@pytest.fixture(scope="module")
def emulator(console: list[str]) -> Iterator[Emulator]:
    emulator = Emulator(free_port(), (DASHBOARD, "http://localhost:8123"), console=console.append)
    emulator.start()
    yield emulator
    emulator.stop()


def request(
    emulator: Emulator, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{emulator.port}", **headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# -- who may talk to the emulator ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example:{port}", "attacker.example", "127.0.0.1.nip.io:{port}"])
def test_a_request_for_a_name_that_is_not_loopback_is_refused(emulator: Emulator, host: str) -> None:
    # DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1
    status, _, _ = request(emulator, "GET", "/", {"Host": host.format(port=emulator.port)})

    assert status == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "localhost"])
def test_loopback_names_are_served(emulator: Emulator, host: str) -> None:
    status, _, body = request(
        emulator, "POST", "/", {"Host": host.format(port=emulator.port)}, b"Action=ListQueues&Version=2012-11-05"
    )

    assert status == 200, body


def test_a_foreign_origin_is_refused_even_for_a_simple_request(emulator: Emulator) -> None:
    # A form POST from another site needs no preflight: it must not reach moto at all.
    queue = f"kept-{uuid.uuid4().hex[:8]}"
    url = emulator.client("sqs").create_queue(QueueName=queue)["QueueUrl"]
    body = f"Action=DeleteQueue&QueueUrl={url}".encode()
    headers = {"Origin": "https://attacker.example", "Content-Type": "application/x-www-form-urlencoded"}

    status, response_headers, _ = request(emulator, "POST", "/", headers, body)

    assert status == 403
    assert "access-control-allow-origin" not in response_headers
    assert emulator.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"] == url


def test_a_preflight_from_a_foreign_origin_gets_no_cors_headers(emulator: Emulator) -> None:
    headers = {"Origin": "https://attacker.example", "Access-Control-Request-Method": "POST"}

    status, response_headers, _ = request(emulator, "OPTIONS", "/", headers)

    assert status == 403
    assert not [name for name in response_headers if name.startswith("access-control-")]


def test_the_dashboard_calls_cognito_with_cors_naming_its_origin_never_a_wildcard(emulator: Emulator) -> None:
    preflight = {
        "Origin": DASHBOARD,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target",
    }
    status, headers, _ = request(emulator, "OPTIONS", "/", preflight)
    assert status == 204
    assert headers["access-control-allow-origin"] == DASHBOARD
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type,x-amz-target"

    call = {
        "Origin": DASHBOARD,
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
    }
    status, headers, body = request(emulator, "POST", "/", call, b'{"MaxResults": 10}')
    assert status == 200, body
    assert headers["access-control-allow-origin"] == DASHBOARD  # moto's own answer is "*"
    assert headers["vary"] == "Origin"


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def test_a_presigned_post_from_the_dashboard_uploads_with_cors(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key = "uploads/stores/Berlin/grant/berlin.csv"
    grant = s3.generate_presigned_post(bucket, key, Fields={"x-amz-meta-uploaded-by": "anna"}, ExpiresIn=600)
    path = "/" + grant["url"].split("/", 3)[3]

    # The page's upload with progress events: a preflight, then the multipart POST
    status, headers, _ = request(
        emulator, "OPTIONS", path, {"Origin": DASHBOARD, "Access-Control-Request-Method": "POST"}
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == DASHBOARD
    content_type, body = multipart(grant["fields"], "berlin.csv", b"store,item,count\nBerlin,Echo Dot,3\n")
    status, headers, answer = request(emulator, "POST", path, {"Origin": DASHBOARD, "Content-Type": content_type}, body)

    assert status == 204, answer
    assert headers["access-control-allow-origin"] == DASHBOARD
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == b"store,item,count\nBerlin,Echo Dot,3\n"
    assert stored["Metadata"] == {"uploaded-by": "anna"}


def sigv2_client(emulator: Emulator) -> Any:
    """An S3 client that signs as boto3 does in us-east-1 unless told ``s3v4``: Signature Version 2."""
    return boto3.client(
        "s3",
        endpoint_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3"),
    )


def assert_sigv2_refused(status: int, body: bytes) -> None:
    """S3's answer where only SigV4 is accepted (every bucket created since 24 June 2020)."""
    assert status == 400, body
    assert b"<Code>InvalidRequest</Code>" in body
    assert (
        b"<Message>The authorization mechanism you have provided is not supported. "
        b"Please use AWS4-HMAC-SHA256.</Message>" in body
    )


def test_a_presigned_post_signed_with_sigv2_is_refused_as_a_new_bucket_refuses_it(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key = "uploads/stores/Berlin/grant/sigv2.csv"
    grant = sigv2_client(emulator).generate_presigned_post(bucket, key, ExpiresIn=600)
    assert {"AWSAccessKeyId", "signature"} <= set(grant["fields"])  # what a SigV2 grant carries
    path = "/" + grant["url"].split("/", 3)[3]
    content_type, body = multipart(grant["fields"], "sigv2.csv", b"store,item,count\nBerlin,Echo Dot,3\n")

    status, headers, answer = request(emulator, "POST", path, {"Origin": DASHBOARD, "Content-Type": content_type}, body)

    assert_sigv2_refused(status, answer)
    assert headers["access-control-allow-origin"] == DASHBOARD  # the page can read why
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_presigned_url_signed_with_sigv2_is_refused_and_one_signed_with_sigv4_is_served(
    emulator: Emulator,
) -> None:
    s3 = emulator.client("s3")
    bucket = f"reports-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="report.json", Body=b"{}")
    old = sigv2_client(emulator).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "report.json"})
    new = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "report.json"})
    assert "AWSAccessKeyId=" in old
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in new

    assert_sigv2_refused(*request(emulator, "GET", "/" + old.split("/", 3)[3], {})[::2])
    status, _, body = request(emulator, "GET", "/" + new.split("/", 3)[3], {})
    assert (status, body) == (200, b"{}")


# -- moto, one request at a time ------------------------------------------------------------------------


def test_a_long_poll_holds_nothing_while_it_waits_and_returns_a_message_sent_meanwhile(emulator: Emulator) -> None:
    """moto waits inside the request for a long poll; the gateway polls for it instead, so the requests
    it serialises (a send to the same queue here) are not held behind the wait."""
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName=f"poll-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    polled: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        polled["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
        polled["seconds"] = time.monotonic() - started

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(0.5)
    started = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    send_seconds = time.monotonic() - started
    waiting.join(timeout=15)

    assert send_seconds < 5
    assert [message["Body"] for message in polled["messages"]] == ["hello"]
    assert polled["seconds"] < 10
    sqs.delete_message(QueueUrl=url, ReceiptHandle=polled["messages"][0]["ReceiptHandle"])
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []
    assert time.monotonic() - started >= 1  # an empty long poll still waits its time


# -- Cognito codes ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool(emulator: Emulator) -> dict[str, str]:
    cognito = emulator.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="people",
        MfaConfiguration="OPTIONAL",
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="dashboard", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return {"pool": pool_id, "client": client_id}


def new_user(emulator: Emulator, pool: dict[str, str]) -> str:
    cognito = emulator.client("cognito-idp")
    name = f"user-{uuid.uuid4().hex[:8]}"
    attributes = [{"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}]
    cognito.admin_create_user(
        UserPoolId=pool["pool"], Username=name, MessageAction="SUPPRESS", UserAttributes=attributes
    )
    cognito.admin_set_user_password(UserPoolId=pool["pool"], Username=name, Password=PASSWORD, Permanent=True)
    return name


def sign_in(emulator: Emulator, pool: dict[str, str], name: str, password: str = PASSWORD) -> dict[str, Any]:
    return dict(
        emulator.client("cognito-idp").initiate_auth(
            ClientId=pool["client"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
    )


def enrol(emulator: Emulator, pool: dict[str, str], name: str) -> str:
    """Enrol the user's authenticator as the dashboard does; returns the secret the QR code carries."""
    cognito = emulator.client("cognito-idp")
    access = sign_in(emulator, pool, name)["AuthenticationResult"]["AccessToken"]
    secret = str(cognito.associate_software_token(AccessToken=access)["SecretCode"])
    assert cognito.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())["Status"] == "SUCCESS"
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return secret


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - botocore's ClientError subclasses, checked below
        call(**kwargs)
    return str(raised.value.response["Error"]["Code"])  # type: ignore[attr-defined]


def test_each_user_gets_a_random_totp_secret_and_a_wrong_code_does_not_enrol(
    emulator: Emulator, pool: dict[str, str]
) -> None:
    cognito = emulator.client("cognito-idp")
    secrets = []
    for name in (new_user(emulator, pool), new_user(emulator, pool)):
        access = sign_in(emulator, pool, name)["AuthenticationResult"]["AccessToken"]
        secrets.append(cognito.associate_software_token(AccessToken=access)["SecretCode"])
        wrong = str((int(pyotp.TOTP(secrets[-1]).now()) + 1) % 1_000_000).zfill(6)

        code = error_code(cognito.verify_software_token, AccessToken=access, UserCode=wrong)

        assert code == "EnableSoftwareTokenMFAException"
    assert secrets[0] != secrets[1]
    assert all(len(secret) >= 32 for secret in secrets)


def test_sign_in_with_totp_accepts_only_the_current_code_of_the_users_secret(
    emulator: Emulator, pool: dict[str, str]
) -> None:
    cognito = emulator.client("cognito-idp")
    name = new_user(emulator, pool)
    secret = enrol(emulator, pool, name)
    other = enrol(emulator, pool, new_user(emulator, pool))

    challenge = sign_in(emulator, pool, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    for wrong in (pyotp.TOTP(other).now(), pyotp.TOTP(secret).at(time.time() - 600), "000000"):
        code = error_code(
            cognito.respond_to_auth_challenge,
            ClientId=pool["client"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )
        assert code == "CodeMismatchException", wrong

    signed_in = cognito.respond_to_auth_challenge(
        ClientId=pool["client"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).now()},
    )
    assert signed_in["AuthenticationResult"]["IdToken"]


def test_a_forgotten_password_is_reset_only_with_the_code_the_console_shows(
    emulator: Emulator, pool: dict[str, str], console: list[str]
) -> None:
    cognito = emulator.client("cognito-idp")
    name = new_user(emulator, pool)

    answer = cognito.forgot_password(ClientId=pool["client"], Username=name)

    assert "x-moto-forgot-password-confirmation-code" not in answer["ResponseMetadata"]["HTTPHeaders"]
    emails = [line for line in console if line.startswith(f"to {name} (email)")]
    assert len(emails) == 1
    code = emails[0].rsplit(" ", 1)[-1]
    assert code.isdigit()
    assert len(code) == 6
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    assert (
        error_code(
            cognito.confirm_forgot_password,
            ClientId=pool["client"],
            Username=name,
            ConfirmationCode=wrong,
            Password="Other-Passw0rd!",
        )
        == "CodeMismatchException"
    )
    assert sign_in(emulator, pool, name)["AuthenticationResult"]  # the old password still works

    cognito.confirm_forgot_password(
        ClientId=pool["client"], Username=name, ConfirmationCode=code, Password="New-Passw0rd!!"
    )

    assert sign_in(emulator, pool, name, "New-Passw0rd!!")["AuthenticationResult"]
    assert (
        error_code(
            cognito.confirm_forgot_password,
            ClientId=pool["client"],
            Username=name,
            ConfirmationCode=code,
            Password="Again-Passw0rd!",
        )
        == "CodeMismatchException"
    ), "a code is used once"


def refresh(emulator: Emulator, pool: dict[str, str], refresh_token: str) -> dict[str, Any]:
    return dict(
        emulator.client("cognito-idp").initiate_auth(
            ClientId=pool["client"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
        )
    )


def test_a_revoked_refresh_token_no_longer_refreshes_and_its_access_tokens_stop_working(
    emulator: Emulator, pool: dict[str, str]
) -> None:
    # Given a user signed in twice (two sessions: two refresh tokens), the first one refreshed once
    cognito = emulator.client("cognito-idp")
    name = new_user(emulator, pool)
    first, second = (sign_in(emulator, pool, name)["AuthenticationResult"] for _ in range(2))
    renewed = refresh(emulator, pool, first["RefreshToken"])["AuthenticationResult"]
    assert cognito.get_user(AccessToken=renewed["AccessToken"])["Username"] == name

    # When the first session signs out, as the dashboard does (RevokeToken with its refresh token)
    answer = cognito.revoke_token(ClientId=pool["client"], Token=first["RefreshToken"])

    # Then Cognito's answer is empty, the token refreshes no more, and the access tokens issued with it fail
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (
        error_code(
            cognito.initiate_auth,
            ClientId=pool["client"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
        == "NotAuthorizedException"
    )
    for access in (first["AccessToken"], renewed["AccessToken"]):
        assert error_code(cognito.get_user, AccessToken=access) == "NotAuthorizedException"
    # while the other session goes on, and revoking the same token again is still a success
    assert refresh(emulator, pool, second["RefreshToken"])["AuthenticationResult"]["IdToken"]
    assert cognito.get_user(AccessToken=second["AccessToken"])["Username"] == name
    cognito.revoke_token(ClientId=pool["client"], Token=first["RefreshToken"])


def test_revoke_token_refuses_a_token_it_never_issued_and_another_clients_token(
    emulator: Emulator, pool: dict[str, str]
) -> None:
    cognito = emulator.client("cognito-idp")
    other_client = cognito.create_user_pool_client(
        UserPoolId=pool["pool"], ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    tokens = sign_in(emulator, pool, new_user(emulator, pool))["AuthenticationResult"]

    assert error_code(cognito.revoke_token, ClientId=pool["client"], Token=str(uuid.uuid4())) == "UnauthorizedException"
    assert error_code(cognito.revoke_token, ClientId=other_client, Token=tokens["RefreshToken"]) == (
        "UnauthorizedException"
    )
    assert refresh(emulator, pool, tokens["RefreshToken"])["AuthenticationResult"]["IdToken"]


def test_the_demo_admin_is_created_with_totp_on_and_signs_in_with_its_keys_code(
    emulator: Emulator, pool: dict[str, str]
) -> None:
    cognito = emulator.client("cognito-idp")

    users = {user.username: user for user in create_demo_users(cognito, pool["pool"], pool["client"])}

    admin, manager = users["admin"], users["berlin-manager"]
    assert admin.totp_secret
    assert len(admin.totp_secret) >= 32
    assert manager.totp_secret is None
    settings = cognito.admin_get_user(UserPoolId=pool["pool"], Username="admin").get("UserMFASettingList")
    assert settings == ["SOFTWARE_TOKEN_MFA"]
    challenge = sign_in(emulator, pool, "admin", admin.password)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    signed_in = cognito.respond_to_auth_challenge(
        ClientId=pool["client"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "admin", "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(admin.totp_secret).now()},
    )
    claims = jwt.decode(signed_in["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admin"]
    assert "AuthenticationResult" in sign_in(emulator, pool, "berlin-manager", manager.password)


# -- Lambda Invoke --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def echo_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("echo") / "events.jsonl"


@pytest.fixture(scope="module")
def functions(emulator: Emulator, echo_log: Path) -> Iterator[Functions]:
    echo: Function = function("tests/integration/devstack/handlers.echo", ECHO_LOG=str(echo_log))
    functions = Functions([echo], emulator.endpoint_url)
    emulator.gateway.functions = functions
    route_to_functions(functions)
    yield functions
    emulator.gateway.functions = None
    functions.stop_all()


def test_a_synchronous_invoke_runs_the_function_in_its_worker(emulator: Emulator, functions: Functions) -> None:
    name = functions.runtimes[0].function.name

    response = emulator.client("lambda").invoke(FunctionName=name, Payload=b'{"hello": "world"}')

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"got": {"hello": "world"}}


def test_a_failing_function_answers_as_lambda_does(emulator: Emulator, functions: Functions) -> None:
    arn = functions.runtimes[0].function.arn

    response = emulator.client("lambda").invoke(FunctionName=arn, Payload=b'{"fail": "on purpose"}')

    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "asked to fail: on purpose"


def test_an_asynchronous_invoke_returns_at_once_and_runs_the_function(
    emulator: Emulator, functions: Functions, tmp_path: Path
) -> None:
    written = tmp_path / "events.jsonl"
    event = {"write_to": str(written), "continuation": {"offset": 1200}}

    response = emulator.client("lambda").invoke(
        FunctionName=functions.runtimes[0].function.name, InvocationType="Event", Payload=json.dumps(event).encode()
    )

    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 20
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [json.loads(line) for line in written.read_text().splitlines()] == [event]


def test_object_events_reach_the_function_as_the_buckets_notification_filters_say(
    emulator: Emulator, functions: Functions, echo_log: Path
) -> None:
    s3 = emulator.client("s3")
    bucket = f"notified-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rules = [{"Name": "prefix", "Value": "uploads/"}, {"Name": "suffix", "Value": ".csv"}]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": functions.runtimes[0].function.arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": rules}},
                }
            ]
        },
    )

    for key in ("uploads/stock list+1.csv", "uploads/berlin.CSV", "reports/uploads/x.csv", "uploads/x.json"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"store,item,count\n")
    version = s3.put_object(Bucket=bucket, Key="uploads/stock list+1.csv", Body=b"again")["VersionId"]
    assert functions.wait_idle(timeout=30)

    records = [
        event["Records"][0]
        for event in map(json.loads, echo_log.read_text().splitlines())
        if event.get("Records") and event["Records"][0]["s3"]["bucket"]["name"] == bucket
    ]
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in records] == ["uploads/stock list+1.csv"] * 2
    assert records[1]["s3"]["object"]["versionId"] == version
    assert records[0]["s3"]["object"]["sequencer"] < records[1]["s3"]["object"]["sequencer"]
    assert records[0]["eventName"].startswith("ObjectCreated:")


# -- SNS deliveries on the console ----------------------------------------------------------------------


def test_each_email_and_sms_subscription_shows_what_its_filter_policy_lets_through(emulator: Emulator) -> None:
    lines: list[str] = []
    print_deliveries(lines.append)
    sns = emulator.client("sns")
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    policy = {"store": ["Berlin"], "severities": ["out"]}
    sns.subscribe(
        TopicArn=topic,
        Protocol="email",
        Endpoint="anna@example.com",
        Attributes={"FilterPolicy": json.dumps(policy)},
    )
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+4915112345678")

    def publish(store: str, severities: list[str], subject: str) -> None:
        sns.publish(
            TopicArn=topic,
            Subject=subject,
            Message=f"{subject}\nOUT Echo Plus: 3 -> 0",
            MessageAttributes={
                "store": {"DataType": "String", "StringValue": store},
                "severities": {"DataType": "String.Array", "StringValue": json.dumps(severities)},
            },
        )

    publish("Berlin", ["out", "low"], "Berlin: 1 out of stock, 1 low")
    publish("Karachi", ["out"], "Karachi: 1 item out of stock")
    publish("Berlin", ["low"], "Berlin: 2 low")

    emails = [line for line in lines if line.startswith("to anna@example.com")]
    texts = [line for line in lines if line.startswith("to +4915112345678")]
    assert emails == [
        "to anna@example.com (email, filter store=Berlin severities=out): "
        "Berlin: 1 out of stock, 1 low | OUT Echo Plus: 3 -> 0"
    ]
    assert len(texts) == 3
    assert texts[1].startswith("to +4915112345678 (sms, no filter): Karachi: 1 item out of stock")
    published = [line for line in lines if line.startswith("topic ")]
    assert len(published) == 3
    assert published[0].endswith(
        "(store=Berlin severities=out,low): Berlin: 1 out of stock, 1 low | OUT Echo Plus: 3 -> 0"
    )


# -- a missing object, as S3 tells a role that may or may not list the bucket -------------------------

READ_BUCKET = f"reads-{uuid.uuid4().hex[:8]}"


def reader(name: str, statements: list[dict[str, Any]]) -> Function:
    return dataclasses.replace(
        function("tests/integration/devstack/handlers.read_object"),
        key=name,
        name=f"inventory-ingest-local-{name}",
        role_statements=statements,
    )


@pytest.fixture(scope="module")
def readers(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Functions, Path]]:
    """Two functions reading one bucket: one may get its objects only, the other may list it too."""
    get = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{READ_BUCKET}/reports/*"}
    listing = {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{READ_BUCKET}"}
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=READ_BUCKET)
    s3.put_object(Bucket=READ_BUCKET, Key="reports/there.json", Body=b"{}")
    calls = tmp_path_factory.mktemp("calls")
    functions = Functions(
        [reader("getOnly", [get]), reader("getAndList", [get, listing])], emulator.endpoint_url, calls_dir=calls
    )
    previous, emulator.gateway.functions = emulator.gateway.functions, functions
    yield functions, calls
    emulator.gateway.functions = previous
    functions.stop_all()


@pytest.mark.parametrize("head", [False, True], ids=["GetObject", "HeadObject"])
def test_a_missing_object_is_access_denied_to_a_role_that_may_not_list_the_bucket(
    readers: tuple[Functions, Path], head: bool
) -> None:
    """S3's GetObject and HeadObject: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP
    status code 403 Access Denied error" for an object that does not exist; 404 with the permission."""
    functions, _ = readers
    missing = {"bucket": READ_BUCKET, "key": "reports/not-yet.json", "head": head}

    without_list = functions.by_name("getOnly").invoke(missing)  # type: ignore[union-attr]
    with_list = functions.by_name("getAndList").invoke(missing)  # type: ignore[union-attr]
    existing = functions.by_name("getOnly").invoke({**missing, "key": "reports/there.json"})  # type: ignore[union-attr]

    assert without_list == {"status": 403, "code": "AccessDenied" if not head else "403"}
    assert with_list == {"status": 404, "code": "NoSuchKey" if not head else "404"}
    assert existing == {"status": 200, "code": ""}


def test_a_missing_object_read_by_anyone_but_a_function_is_answered_as_moto_answers(
    emulator: Emulator, readers: tuple[Functions, Path]
) -> None:
    s3 = emulator.client("s3")

    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=READ_BUCKET, Key="reports/not-yet.json")


def test_each_call_a_function_makes_is_recorded_once_as_the_iam_request_it_needs(
    readers: tuple[Functions, Path],
) -> None:
    functions, calls = readers
    reading = functions.by_name("getAndList")
    assert reading is not None
    for _ in range(3):
        reading.invoke({"bucket": READ_BUCKET, "key": "reports/there.json"})
    reading.invoke({"bucket": READ_BUCKET, "key": "reports/there.json", "head": True})

    recorded = [json.loads(line) for line in (calls / "getAndList.jsonl").read_text().splitlines()]

    resource = f"arn:aws:s3:::{READ_BUCKET}/reports/there.json"
    assert {"service": "s3", "operation": "GetObject", "action": "s3:GetObject", "resource": resource} in recorded
    assert {"service": "s3", "operation": "HeadObject", "action": "s3:GetObject", "resource": resource} in recorded
    assert len(recorded) == len({json.dumps(line, sort_keys=True) for line in recorded})


def test_a_digest_with_a_text_per_protocol_shows_each_subscriber_its_own(emulator: Emulator) -> None:
    """The alerts service publishes with MessageStructure=json: the console shows what SNS would send each."""
    lines: list[str] = []
    print_deliveries(lines.append)
    sns = emulator.client("sns")
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="anna@example.com")
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+4915112345678")
    body = "Berlin: 1 item out of stock\nOUT Parcel held. Pay fee: 3 -> 0"
    texts = {
        "default": body,
        "email": body,
        "sms": "Stock alert: 1 item out of stock. Details on the inventory dashboard.",
    }

    sns.publish(
        TopicArn=topic, Subject="Berlin: 1 item out of stock", Message=json.dumps(texts), MessageStructure="json"
    )

    (email,) = [line for line in lines if line.startswith("to anna@example.com")]
    (sms,) = [line for line in lines if line.startswith("to +4915112345678")]
    (published,) = [line for line in lines if line.startswith("topic ")]
    assert email.endswith("Berlin: 1 item out of stock | OUT Parcel held. Pay fee: 3 -> 0")
    assert (
        sms
        == "to +4915112345678 (sms, no filter): Stock alert: 1 item out of stock. Details on the inventory dashboard."
    )
    assert published.endswith("Berlin: 1 item out of stock | OUT Parcel held. Pay fee: 3 -> 0")
