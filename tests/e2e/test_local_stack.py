"""The local stack as a newcomer uses it: start it, upload files with boto3, read the table and the reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest

from devstack.config import read_yaml
from tests.builders import LAB_SAMPLES, REPO, lab_file
from tests.e2e.conftest import LocalStackProcess, free_port, stack_environment, wait_for, wait_for_report

pytestmark = pytest.mark.e2e

INGEST_PARAMS = read_yaml(REPO / "services" / "ingest" / "serverless.yml")["params"]["default"]
ALERTS_PARAMS = read_yaml(REPO / "services" / "alerts" / "serverless.yml")["params"]["default"]


def items(stack: LocalStackProcess, store: str) -> dict[str, dict[str, Any]]:
    response = stack.client("dynamodb").query(
        TableName=stack.info["table"],
        KeyConditionExpression="#store = :s",
        ExpressionAttributeNames={"#store": "Store"},
        ExpressionAttributeValues={":s": {"S": store}},
    )
    return {item["Item"]["S"]: item for item in response["Items"]}


def lab_rows(store: str) -> dict[str, int]:
    lines = lab_file(store).decode().splitlines()[1:]
    return {line.split(",")[1]: int(line.split(",")[2]) for line in lines if line.strip()}


def test_stack_json_tells_scripts_where_everything_is(local_stack_process: LocalStackProcess) -> None:
    info = local_stack_process.info
    assert info["region"] == "us-east-1"
    assert info["endpoint_url"] == f"http://127.0.0.1:{local_stack_process.aws_port}"
    assert info["upload_prefix"] == "uploads/"
    assert info["reports_prefix"] == "reports/"
    s3 = local_stack_process.client("s3")
    assert s3.head_bucket(Bucket=info["bucket"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    table = local_stack_process.client("dynamodb").describe_table(TableName=info["table"])["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert info["dashboard_url"] == f"http://127.0.0.1:{local_stack_process.web_port}/"


def test_the_console_shows_a_newcomer_how_to_upload_and_read(local_stack_process: LocalStackProcess) -> None:
    console = local_stack_process.console()
    endpoint = local_stack_process.info["endpoint_url"]
    bucket = local_stack_process.info["bucket"]
    assert f"aws s3 cp samples/lab/inventory-berlin.csv s3://{bucket}/uploads/ --endpoint-url {endpoint}" in console
    assert f"aws dynamodb scan --table-name {local_stack_process.info['table']} --endpoint-url {endpoint}" in console
    assert local_stack_process.info["dashboard_url"] in console
    for user in local_stack_process.info["users"]:
        assert f"{user['username']} / {user['password']}" in console


def test_lab_samples_are_loaded_on_start(local_stack_process: LocalStackProcess) -> None:
    for path in sorted(LAB_SAMPLES.glob("inventory-*.csv")):
        store_key, key = path.stem.removeprefix("inventory-"), f"uploads/{path.name}"
        report = wait_for_report(local_stack_process, key)
        assert report["status"] == "ok", report
        assert report["rows"]["accepted"] == report["rows"]["written"] == len(lab_rows(store_key)), report
        (store,) = report["stores"]
        assert store.lower() == store_key
        # Every row of the sample is in the table as the sample set it (other tests never change lab stores).
        from_sample = {
            name: int(item["Count"]["N"])
            for name, item in items(local_stack_process, store).items()
            if item["SourceKey"]["S"] == key
        }
        assert from_sample == lab_rows(store_key)


def test_an_uploaded_file_lands_in_the_table_with_its_report(local_stack_process: LocalStackProcess) -> None:
    # Given the lab's Berlin file under a store name no other test uses
    store = f"Berlin-{uuid.uuid4().hex[:8]}"
    body = lab_file("berlin").replace(b"Berlin", store.encode())
    key = f"uploads/{store}.csv"

    # When it is uploaded with boto3 to the emulator
    local_stack_process.client("s3").put_object(Bucket=local_stack_process.info["bucket"], Key=key, Body=body)

    # Then its report says every row was accepted and written, and the table holds the rows
    report = wait_for_report(local_stack_process, key)
    assert report["status"] == "ok"
    assert report["source"]["key"] == key
    assert report["rows"]["accepted"] == report["rows"]["written"] == len(lab_rows("berlin"))
    stored = items(local_stack_process, store)
    assert {name: int(item["Count"]["N"]) for name, item in stored.items()} == lab_rows("berlin")
    assert {item["SourceKey"]["S"] for item in stored.values()} == {key}


def test_a_key_with_spaces_and_plus_reaches_the_function_decoded(local_stack_process: LocalStackProcess) -> None:
    # S3 sends this key as "uploads/stock+list%2B1+....csv"; the function must get back the original.
    store = f"Plus-{uuid.uuid4().hex[:8]}"
    key = f"uploads/stock list+1 {store}.csv"
    body = f"store,item,count\n{store},Echo Dot,3\n".encode()

    local_stack_process.client("s3").put_object(Bucket=local_stack_process.info["bucket"], Key=key, Body=body)

    report = wait_for_report(local_stack_process, key)
    assert report["source"]["key"] == key
    assert report["status"] == "ok"
    assert items(local_stack_process, store)["Echo Dot"]["SourceKey"]["S"] == key


def test_reports_and_files_outside_the_upload_prefix_are_not_ingested(local_stack_process: LocalStackProcess) -> None:
    store = f"Outside-{uuid.uuid4().hex[:8]}"
    s3 = local_stack_process.client("s3")
    s3.put_object(Bucket=local_stack_process.info["bucket"], Key=f"elsewhere/{store}.csv",
                  Body=f"store,item,count\n{store},Echo Dot,3\n".encode())  # fmt: skip
    # A later upload that is ingested proves the earlier event has been handled by then.
    marker = f"uploads/marker-{store}.csv"
    s3.put_object(Bucket=local_stack_process.info["bucket"], Key=marker, Body=b"store,item,count\nMarker,Echo,1\n")
    wait_for_report(local_stack_process, marker)
    assert items(local_stack_process, store) == {}
    listed = s3.list_objects_v2(Bucket=local_stack_process.info["bucket"], Prefix=f"reports/elsewhere/{store}")
    assert listed.get("KeyCount", 0) == 0


def test_the_dashboard_and_its_config_are_served(local_stack_process: LocalStackProcess) -> None:
    info = local_stack_process.info
    with urllib.request.urlopen(info["dashboard_url"], timeout=10) as response:
        assert response.status == 200
        assert b"<html" in response.read().lower()
    with urllib.request.urlopen(info["dashboard_url"] + "config.json", timeout=10) as response:
        config = json.loads(response.read())
    assert config == {
        "apiUrl": info["api_url"],
        "region": info["region"],
        "userPoolId": info["user_pool_id"],
        "userPoolClientId": info["user_pool_client_id"],
        "cognitoEndpoint": info["cognito_endpoint"],
        # ingest's LowStockDefault output, as publish.py writes it for a deployed stage: the overview marks
        # the low-stock level of items without their own with it
        "lowStockDefault": int(INGEST_PARAMS["lowStockDefault"]),
        # dashboard-api's SmsEnabled output: the stage `local` turns SMS on (the console prints each text)
        "smsEnabled": True,
        # alerts' SoonDays output (its soonDays param): the page's "runs out soon" is the digests'
        "soonDays": float(ALERTS_PARAMS["soonDays"]),
    }


def run_second_stack(state_dir: Path, aws_port: int, web_port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "--no-samples"],
        cwd=REPO,
        env=stack_environment(state_dir, aws_port, web_port),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_second_stack_on_the_same_ports_fails_with_a_clear_message(
    local_stack_process: LocalStackProcess, tmp_path: Path
) -> None:
    done = run_second_stack(tmp_path / "second", local_stack_process.aws_port, local_stack_process.web_port)

    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "already in use" in output
    assert "Traceback" not in output
    assert not (tmp_path / "second" / "stack.json").exists()
    # The first stack is unharmed.
    assert local_stack_process.process.poll() is None
    local_stack_process.client("s3").head_bucket(Bucket=local_stack_process.info["bucket"])


def test_a_busy_emulator_port_alone_is_named_with_its_variable(
    local_stack_process: LocalStackProcess, tmp_path: Path
) -> None:
    done = run_second_stack(tmp_path / "second", local_stack_process.aws_port, free_port())

    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert f"port {local_stack_process.aws_port}" in output
    assert "INVENTORY_AWS_PORT" in output
    assert "Traceback" not in output


def test_a_second_stack_never_takes_over_a_running_stacks_state(local_stack_process: LocalStackProcess) -> None:
    done = run_second_stack(local_stack_process.state_dir, free_port(), free_port())

    assert done.returncode == 1
    assert f"another local stack (pid {local_stack_process.process.pid})" in done.stdout + done.stderr
    assert json.loads(local_stack_process.stack_file.read_text()) == local_stack_process.info


def preflight(url: str, origin: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        url,
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {name.lower(): value for name, value in response.headers.items()}


def test_the_api_allows_the_dashboard_origin_only_as_its_cors_configuration_says(
    local_stack_process: LocalStackProcess,
) -> None:
    # compose passes the dashboard site's origin to the API; locally that is the web server itself
    origin = local_stack_process.info["dashboard_url"].rstrip("/")
    status, headers = preflight(local_stack_process.info["api_url"] + "/stores", origin)
    assert status == 204
    assert headers["access-control-allow-origin"] == origin
    assert "GET" in headers["access-control-allow-methods"]
    assert "authorization" in headers["access-control-allow-headers"].lower()

    status, headers = preflight(local_stack_process.info["api_url"] + "/stores", "https://attacker.example")
    assert status == 204
    assert "access-control-allow-origin" not in headers


# -- the developer's tools: make invoke, make logs, make token, and a readable console -------------------


def make(stack: LocalStackProcess, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A make target against this stack; ``-o`` keeps make from reinstalling the virtualenv it already has."""
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.stack-installed", *args],
        cwd=REPO,
        env=stack_environment(stack.state_dir, stack.aws_port, stack.web_port),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": "2026-12-01T10:00:00.000Z",
                "awsRegion": "us-east-1",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key.replace(" ", "+"), "size": 1}},
            }
        ]
    }


def test_make_invoke_runs_a_function_with_an_event_file_and_prints_its_result(
    local_stack_process: LocalStackProcess, tmp_path: Path
) -> None:
    # Given an uploaded file (its notification has run ingest once) and the S3 event of that upload in a file
    info = local_stack_process.info
    store = f"Invoked-{uuid.uuid4().hex[:8]}"
    key = f"uploads/{store}.csv"
    local_stack_process.client("s3").put_object(
        Bucket=info["bucket"], Key=key, Body=f"store,item,count\n{store},Echo Dot,3\n".encode()
    )
    wait_for_report(local_stack_process, key)
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(s3_event(info["bucket"], key)))

    # When the developer runs the function with it
    done = make(local_stack_process, "invoke", "FN=ingestUpload", f"EVENT={event_file}")

    # Then its result is printed, and it ran in the function's own worker (its log holds both runs)
    assert done.returncode == 0, done.stderr
    assert key in json.dumps(json.loads(done.stdout))
    name = next(name for name, function in info["functions"].items() if function["key"] == "ingestUpload")
    assert Path(info["functions"][name]["log_file"]).read_text().count(f'"key":"{key}"') >= 2
    assert items(local_stack_process, store)["Echo Dot"]["Count"]["N"] == "3"


def test_make_invoke_reports_a_failing_function_and_an_unknown_one(
    local_stack_process: LocalStackProcess, tmp_path: Path
) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text('{"not": "a stream batch"}')

    failed = make(local_stack_process, "invoke", "FN=alertsStream", f"EVENT={event_file}")
    unknown = make(local_stack_process, "invoke", "FN=noSuchFunction", f"EVENT={event_file}")

    assert failed.returncode != 0
    assert json.loads(failed.stdout)["errorType"]
    assert unknown.returncode != 0
    assert "no function 'noSuchFunction'" in unknown.stderr
    assert "ingestUpload" in unknown.stderr


def keep_lines(stream: Any, lines: list[str]) -> None:
    """Append each line a process prints, as it prints it, until the stream closes."""
    for line in stream:
        lines.append(line)


def test_make_logs_follows_one_functions_output(local_stack_process: LocalStackProcess) -> None:
    info = local_stack_process.info
    store = f"Logged-{uuid.uuid4().hex[:8]}"
    follower = subprocess.Popen(
        ["make", "-s", "-o", ".venv/.stack-installed", "logs", "FN=ingestUpload"],
        cwd=REPO,
        env=stack_environment(
            local_stack_process.state_dir, local_stack_process.aws_port, local_stack_process.web_port
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    printed: dict[str, list[str]] = {"stdout": [], "stderr": []}
    readers = [
        threading.Thread(target=keep_lines, args=(stream, printed[name]), daemon=True)
        for name, stream in (("stdout", follower.stdout), ("stderr", follower.stderr))
    ]
    for reader in readers:
        reader.start()
    key = f"uploads/{store}.csv"
    try:
        wait_for(lambda: any(line.startswith("following ") for line in printed["stderr"]), "make logs following")
        local_stack_process.client("s3").put_object(
            Bucket=info["bucket"], Key=key, Body=f"store,item,count\n{store},Echo Dot,3\n".encode()
        )
        wait_for_report(local_stack_process, key)
        # Powertools' development format: indented JSON, one key per line
        wait_for(lambda: any(f'"key":"{key}"' in line for line in printed["stdout"]), "the upload's log records")
    finally:
        os.killpg(follower.pid, signal.SIGINT)
        follower.wait(timeout=10)
        for reader in readers:
            reader.join(timeout=10)
    output = "".join(printed["stdout"])
    assert '"level":"INFO"' in output
    assert '"_aws"' not in output, "no metric blobs"


def test_make_token_prints_an_id_token_the_api_accepts(local_stack_process: LocalStackProcess) -> None:
    done = make(local_stack_process, "token", "USER=berlin-manager")

    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    request = urllib.request.Request(
        local_stack_process.info["api_url"] + "/stores", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        stores = json.loads(response.read())["stores"]
    assert [store["store"] for store in stores] == ["Berlin"]


def test_the_demo_admin_has_two_step_sign_in_with_its_key_in_stack_json_and_on_the_console(
    local_stack_process: LocalStackProcess,
) -> None:
    admin = next(user for user in local_stack_process.info["users"] if user["admin"])
    secret = admin["totp_secret"]
    assert secret
    assert f"authenticator key {secret}" in local_stack_process.console()
    assert f"make -s code USER={admin['username']}" in local_stack_process.console()
    # The key is enrolled for real: the pool asks for a code after the password.
    answer = local_stack_process.client("cognito-idp").initiate_auth(
        ClientId=local_stack_process.info["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": admin["username"], "PASSWORD": admin["password"]},
    )
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_make_code_prints_the_current_code_of_the_admins_key(local_stack_process: LocalStackProcess) -> None:
    secret = next(user for user in local_stack_process.info["users"] if user["admin"])["totp_secret"]

    done = make(local_stack_process, "code", "USER=admin")
    without_key = make(local_stack_process, "code", "USER=berlin-manager")

    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert len(code) == 6
    assert code.isdigit()
    assert pyotp.TOTP(secret).verify(code, valid_window=1)
    assert without_key.returncode != 0
    assert "no authenticator key for 'berlin-manager'" in without_key.stderr


def test_make_token_answers_the_admins_code_challenge_and_the_api_treats_the_token_as_an_admins(
    local_stack_process: LocalStackProcess,
) -> None:
    done = make(local_stack_process, "token", "USER=admin")

    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    api = local_stack_process.info["api_url"]
    with urllib.request.urlopen(
        urllib.request.Request(api + "/stores", headers={"Authorization": f"Bearer {token}"}), timeout=30
    ) as response:
        stores = {store["store"] for store in json.loads(response.read())["stores"]}
    assert {"Berlin", "Karachi", "Calcutta"} <= stores
    # an admin-only route: 403 mfa_required for a member of admin without MFA
    with urllib.request.urlopen(
        urllib.request.Request(api + "/users", headers={"Authorization": f"Bearer {token}"}), timeout=30
    ) as response:
        assert "admin" in {user["username"] for user in json.loads(response.read())["users"]}


def test_the_console_shows_short_lines_for_uploads_alerts_and_api_requests(
    local_stack_process: LocalStackProcess,
) -> None:
    token = make(local_stack_process, "token", "USER=admin").stdout.strip()
    request = urllib.request.Request(
        local_stack_process.info["api_url"] + "/stores", headers={"Authorization": f"Bearer {token}"}
    )
    urllib.request.urlopen(request, timeout=30).close()
    wait_for(lambda: "GET /api/stores 200 " in local_stack_process.console(), "the request's console line")

    console = local_stack_process.console().splitlines()
    assert any(line.startswith("GET /api/stores 200 ") and line.endswith(" ms") for line in console)
    # e.g. "[ingestUpload] INFO Upload ingested key=uploads/inventory-berlin.csv status=ok"
    uploads = [line for line in console if line.startswith("[ingestUpload] INFO ")]
    assert any(" key=uploads/inventory-berlin.csv status=ok" in line for line in uploads), uploads
    assert any(line.startswith("[alertsStream] INFO Digest published store=") for line in console)
    function_lines = [line for line in console if line.startswith(("[ingestUpload]", "[alertsStream]", "[api]"))]
    assert function_lines
    assert max(len(line) for line in function_lines) <= 160
    assert not [line for line in console if '"_aws"' in line or "CloudWatchMetrics" in line], "no metric blobs"
    # and no debug dump of each request (the event, the middleware stack) from Powertools' resolver
    assert not [line for line in console if line.startswith("[api]")], "the request line says it all"


def test_the_emulator_answers_the_dashboard_origin_and_refuses_others(local_stack_process: LocalStackProcess) -> None:
    endpoint = local_stack_process.info["endpoint_url"]
    origin = local_stack_process.info["dashboard_url"].rstrip("/")
    bucket_url = f"{endpoint}/{local_stack_process.info['bucket']}"

    status, headers = preflight(bucket_url, origin)
    assert status == 204
    assert headers["access-control-allow-origin"] == origin

    with pytest.raises(urllib.error.HTTPError) as refused:
        preflight(bucket_url, "https://attacker.example")
    assert refused.value.code == 403
