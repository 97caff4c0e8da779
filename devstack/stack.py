"""The local stack's life cycle: bind ports, provision every service, wire events, load samples, report."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventory.dashboard_config import DashboardConfigError, dashboard_config
from inventory.uploads import REPORTS_PREFIX, UPLOAD_PREFIX

from devstack import state
from devstack.cognito import DemoUser, create_demo_users
from devstack.config import REPO, ConfigError, ServiceConfig, load_services, planned_services
from devstack.emulator import REGION, Emulator, console, isolate_from_real_aws, say
from devstack.lambdas import Functions
from devstack.notifications import inbox, print_deliveries
from devstack.provision import ProvisionedService, Provisioner
from devstack.s3_events import route_to_functions
from devstack.streams import StreamPollers
from devstack.web import WebServer

SAMPLES = REPO / "samples" / "lab"
#: The service the local stack replaces: the dashboard site (S3 + CloudFront) is the local web server.
SERVED_LOCALLY = "dashboard-site"


class StackError(Exception):
    """The local stack could not start."""


@dataclass(frozen=True)
class Settings:
    aws_port: int
    web_port: int
    state_dir: Path
    samples: bool

    @classmethod
    def from_env(cls, samples: bool) -> Settings:
        return cls(
            aws_port=_port("INVENTORY_AWS_PORT", 4566),
            web_port=_port("INVENTORY_WEB_PORT", 8000),
            state_dir=state.state_dir(),
            samples=samples,
        )

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    @property
    def calls_dir(self) -> Path:
        """Each function's AWS calls (``<function key>.jsonl``) and ``resources.json``: every resource's local
        name and attributes by service and logical id, to read the calls against the packaged templates."""
        return self.state_dir / "calls"


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable}={value!r} is not a port number")
    return int(value)


@dataclass
class LocalStack:
    settings: Settings
    emulator: Emulator = field(init=False)
    web: WebServer = field(init=False)
    services: dict[str, ProvisionedService] = field(default_factory=dict)
    functions: Functions | None = None
    users: list[DemoUser] = field(default_factory=list)
    local_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    _closers: list[Any] = field(default_factory=list)

    def start(self) -> dict[str, Any]:
        """Start everything; returns the content of stack.json (already written)."""
        isolate_from_real_aws()
        started = time.monotonic()
        self.emulator = Emulator(self.settings.aws_port, self.web_origins)
        self.web = WebServer(self.settings.web_port)  # both ports bound first: a busy one fails at once
        self.emulator.start()
        self._closers.append(self.emulator.stop)
        self._closers.append(self.web.close)
        self._claim_state_dir()
        os.environ["AWS_ENDPOINT_URL"] = self.emulator.endpoint_url

        self.local_outputs[SERVED_LOCALLY] = {"DashboardOrigin": self.web_url}  # deployed apart from compose
        say(f"{SERVED_LOCALLY}: served by the local web server at {self.web_url}/ (not provisioned)")
        try:
            configs = load_services(planned_services(), state.CACHE_DIR)
        except ConfigError as error:
            raise StackError(str(error)) from error
        self._provision(configs)
        resources = {
            name: {
                "refs": service.resolver.refs,
                "attributes": {
                    f"{logical}.{attribute}": value
                    for (logical, attribute), value in service.resolver.attributes.items()
                },
            }
            for name, service in self.services.items()
        }
        state.write_atomically(self.settings.calls_dir / "resources.json", resources)

        functions = [f for service in self.services.values() for f in service.functions.values()]
        logs = self.settings.state_dir / "logs"
        self.functions = Functions(
            functions,
            self.emulator.endpoint_url,
            logs,
            self.emulator.client("sqs"),
            say,
            calls_dir=self.settings.calls_dir,
        )
        self.emulator.gateway.functions = self.functions  # Lambda Invoke reaches them from now on
        self._closers.append(self.functions.stop_all)
        for runtime in self.functions.start_all():
            init_error = runtime.init_error or {}
            reason = f"{init_error.get('errorType')}: {init_error.get('errorMessage')}"
            say(f"{runtime.function.name} could not start ({reason}); it is retried on its next event")

        route_to_functions(self.functions, say)
        pollers = StreamPollers(self.emulator.client("dynamodbstreams"), self.functions, REGION)
        pollers.start()
        self._closers.append(pollers.stop)
        print_deliveries(say)
        inboxes = {
            arn: inbox(self.emulator.client("sns"), self.emulator.client("sqs"), arn)
            for service in self.services.values()
            for arn in service.physical_ids("AWS::SNS::Topic").values()
        }

        api = self.services["dashboard-api"].outputs
        cognito = self.emulator.client("cognito-idp")
        self.users = create_demo_users(cognito, api["UserPoolId"], api["UserPoolClientId"])

        content = self._stack_json(inboxes)
        self.web.serve(self._web_config(content), self.functions, self.services["dashboard-api"], self.emulator)

        if self.settings.samples:
            self._load_samples(content)
            if not self.functions.wait_idle(timeout=300):
                say("sample files are still being ingested")
            pollers.wait_idle(timeout=60)

        content["pid"] = os.getpid()
        content["functions"] = {
            runtime.function.name: {
                "key": runtime.function.key,
                "service": runtime.function.service,
                "log_file": str(runtime.log.path),
                "handler": runtime.function.handler,
                "module_file": runtime.first.module_file,
                "environment": runtime.first.environment,
            }
            for runtime in self.functions.runtimes
        }
        state.write_atomically(self.settings.stack_file, content)
        self._closers.append(lambda: self.settings.stack_file.unlink(missing_ok=True))
        console(banner(content, time.monotonic() - started))
        return content

    def stop(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as error:
                say(f"while stopping: {error}")

    # -- steps ----------------------------------------------------------------------------------------

    def _claim_state_dir(self) -> None:
        """A stack.json left by a stack that was killed is removed; one of a running stack is not taken over."""
        stack_file = self.settings.stack_file
        if not stack_file.exists():
            return
        try:
            pid = int(json.loads(stack_file.read_text()).get("pid", 0))
        except (OSError, ValueError):
            pid = 0
        if pid and pid != os.getpid() and _alive(pid):
            raise StackError(
                f"another local stack (pid {pid}) uses {self.settings.state_dir}; stop it, "
                "or give this one its own directory with INVENTORY_STATE_DIR=<dir>"
            )
        stack_file.unlink()
        say(f"removed a stale {stack_file} left by a stack that did not stop cleanly")

    def _provision(self, configs: dict[str, ServiceConfig]) -> None:
        provisioner = Provisioner(self.emulator)
        for name, config in configs.items():
            outputs = self.local_outputs | {upstream: service.outputs for upstream, service in self.services.items()}
            values = {
                param: outputs[source.service][source.output]
                for param, source in config.param_sources.items()
                if source.output in outputs.get(source.service, {})
            }
            try:  # a parameter without a value fails here (ConfigError)
                result = provisioner.provision(name, config.with_params(values), config.stack_name, config.region)
            except Exception as error:
                raise StackError(f"provisioning {name} failed: {error}") from error
            self.services[name] = result
            created = ", ".join(f"{logical} ({kind.split('::', 1)[1]})" for logical, kind in result.created.items())
            say(f"{name}: created {created or 'nothing'}")
            if result.skipped:
                skipped = ", ".join(f"{logical} ({kind})" for logical, kind in result.skipped.items())
                say(f"{name}: skipped (no local effect) {skipped}")
            for warning in result.warnings:
                say(f"{name}: {warning}")

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    @property
    def web_origins(self) -> tuple[str, ...]:
        """Where the dashboard runs: the only origins the emulator answers a browser from."""
        port = self.settings.web_port
        return (f"http://127.0.0.1:{port}", f"http://localhost:{port}")

    def _stack_json(self, inboxes: dict[str, str]) -> dict[str, Any]:
        endpoint, web = self.emulator.endpoint_url, self.web_url
        ingest, alerts, api = (self.services[name].outputs for name in ("ingest", "alerts", "dashboard-api"))
        return {
            "region": REGION,
            "endpoint_url": endpoint,
            "bucket": ingest["UploadBucketName"],
            "upload_prefix": UPLOAD_PREFIX,
            "reports_prefix": REPORTS_PREFIX,
            "table": ingest["InventoryTableName"],
            "stores_table": ingest["StoresTableName"],
            "uploads_table": ingest["UploadsTableName"],
            "topic_arn": alerts["AlertsTopicArn"],
            "alerts_queue_url": inboxes[alerts["AlertsTopicArn"]],
            "history_table": alerts["HistoryTableName"],
            "forecast_table": alerts["ForecastTableName"],
            "api_url": f"{web}/api",
            "user_pool_id": api["UserPoolId"],
            "user_pool_client_id": api["UserPoolClientId"],
            "cognito_endpoint": endpoint,
            "users": [user.as_json() for user in self.users],
            "dashboard_url": f"{web}/",
        }

    def _web_config(self, content: dict[str, Any]) -> dict[str, Any]:
        """The dashboard's config.json, built as the deploy step (services/dashboard-site/publish.py)
        builds it from the stack outputs, with this server's API and the emulator's Cognito."""
        outputs = {name: service.outputs for name, service in self.services.items()}
        api_outputs = outputs["dashboard-api"] | {"ApiUrl": content["api_url"], "Region": content["region"]}
        try:
            return dashboard_config(
                api_outputs, outputs["ingest"], outputs["alerts"], cognito_endpoint=content["cognito_endpoint"]
            )
        except DashboardConfigError as error:
            raise StackError(f"the dashboard's config.json: {error}") from error

    def _load_samples(self, content: dict[str, Any]) -> None:
        s3 = self.emulator.client("s3")
        files = sorted(SAMPLES.glob("*.csv"))
        for path in files:
            s3.put_object(
                Bucket=content["bucket"], Key=f"{content['upload_prefix']}{path.name}", Body=path.read_bytes()
            )
        say(f"loaded {len(files)} lab sample file(s) from {SAMPLES.relative_to(REPO)}/ (--no-samples skips this)")
        from devstack import demo  # drives the alerts service's forecast model

        items = demo.load(self.emulator.client("dynamodb"), s3, content)
        say(f"loaded four weeks of demo history: {items} items in {len(demo.STORES)} stores ({demo.__name__})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def banner(content: dict[str, Any], seconds: float) -> str:
    endpoint, bucket, prefix, table = (content[key] for key in ("endpoint_url", "bucket", "upload_prefix", "table"))
    lines = [
        "",
        f"Local stack ready in {seconds:.1f} s (Ctrl-C stops it).",
        f"  AWS endpoint   {endpoint}",
        f"  Upload bucket  s3://{bucket}/{prefix}  (reports under {content['reports_prefix']})",
        f"  Inventory      DynamoDB table {table}",
        "",
        "  The AWS CLI needs a region and any credentials:",
        f"    export AWS_DEFAULT_REGION={content['region']} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        "  Upload a file:",
        f"    aws s3 cp samples/lab/inventory-berlin.csv s3://{bucket}/{prefix} --endpoint-url {endpoint}",
        "  Its report (under the upload's key):",
        f"    aws s3 ls s3://{bucket}/{content['reports_prefix']}{prefix} --recursive --endpoint-url {endpoint}",
        "  Read the table:",
        # Store is a DynamoDB reserved word: AWS refuses it bare in any expression.
        f"    aws dynamodb query --table-name {table} --key-condition-expression '#store = :s' "
        f'--expression-attribute-names \'{{"#store":"Store"}}\' '
        f'--expression-attribute-values \'{{":s":{{"S":"Berlin"}}}}\' --endpoint-url {endpoint}',
        f"    aws dynamodb scan --table-name {table} --endpoint-url {endpoint}",
        "",
        f"  Alerts topic   {content['topic_arn']}",
        "                 (what each email or SMS subscriber gets is printed here)",
        "",
        f"  Dashboard      {content['dashboard_url']}",
        f"  API            {content['api_url']}",
    ]
    for user in content["users"]:
        scope = "all stores" if user["admin"] else ", ".join(user["stores"])
        lines += [f"  Sign in as     {user['username']} / {user['password']}  ({scope})"]
        if user.get("totp_secret"):
            lines += [
                f"                 then the code of authenticator key {user['totp_secret']}",
                f"                 (add the key to an authenticator app, or: make -s code USER={user['username']})",
            ]
    lines += [
        '  More users     make user ARGS="--local create-user <name> --store Berlin"  (or --admin)',
        f'  Call the API   curl -H "Authorization: Bearer $(make -s token USER=admin)" {content["api_url"]}/stores',
        "  One function   make invoke FN=<function> EVENT=<file.json>   its output: make logs FN=<function>",
    ]
    return "\n".join(lines) + "\n"
