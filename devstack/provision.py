"""Create, in the emulator, the resources each service declares under ``resources.Resources``.

Properties are translated from CloudFormation to the equivalent API calls, so the local table keys, indexes,
streams, bucket settings, queues, topics and user pools are the ones serverless.yml defines. Types that
have no local effect (IAM, Lambda permissions, alarms, logs) are skipped and listed; references to them
resolve to names and ARNs of the form AWS would give them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devstack import iam
from devstack.emulator import Emulator
from devstack.intrinsics import Resolver, Unresolved, function_logical_id


class ProvisionError(Exception):
    """A resource could not be created locally."""


@dataclass(frozen=True)
class Function:
    """A function as the local stack runs it: handler path and resolved environment."""

    service: str  # folder name under services/
    key: str  # name under `functions:` in serverless.yml
    name: str  # deployed function name
    handler: str
    environment: dict[str, str]
    timeout: int
    memory_size: int
    events: list[dict[str, Any]]
    arn: str
    max_retries: int = 2  # asynchronous invocations: Lambda's default
    on_failure: str = ""  # ARN of the on-failure destination, if any
    reserved_concurrency: int | None = None
    #: The statements of the function's role, resolved to local names; None if they cannot be known here.
    role_statements: list[dict[str, Any]] | None = None


@dataclass
class ProvisionedService:
    name: str
    resolver: Resolver
    created: dict[str, str] = field(default_factory=dict)  # logical id -> resource type
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> resource type
    outputs: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    http_api_authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    http_api_cors: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def physical_ids(self, resource_type: str) -> dict[str, str]:
        return {logical: self.resolver.refs[logical] for logical, kind in self.created.items() if kind == resource_type}


class Provisioner:
    """Provisions one service's resources in dependency order."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._clients: dict[str, Any] = {}
        self._creators: dict[str, Callable[[str, dict[str, Any], ProvisionedService], None]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SQS::Queue": self._queue,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::SecretsManager::Secret": self._secret,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._emulator.client(service)
        return self._clients[service]

    def provision(self, name: str, definition: dict[str, Any], stack_name: str, region: str) -> ProvisionedService:
        resolver = Resolver(region=region, stack_name=stack_name)
        result = ProvisionedService(name, resolver)
        functions = definition.get("functions") or {}
        for key, spec in functions.items():
            function_name = str(spec.get("name") or f"{stack_name}-{key}")
            arn = f"arn:aws:lambda:{region}:{resolver.account_id}:function:{function_name}"
            resolver.provided(function_logical_id(key), function_name, {"Arn": arn})
        resources = self._included_resources(definition.get("resources") or {}, result)
        for logical_id, resource in resources.items():
            kind = str(resource.get("Type", ""))
            if kind not in self._creators:
                result.skipped[logical_id] = kind
                ref, attributes = _stand_in(logical_id, kind, resource.get("Properties") or {}, resolver)
                resolver.provided(logical_id, ref, attributes)
        pending = [logical for logical in resources if logical not in result.skipped]
        while pending:  # in rounds: a resource waits for the next while one it refers to is not created yet
            waiting = []
            for logical_id in pending:
                resource = resources[logical_id]
                try:
                    properties = resolver.resolve(resource.get("Properties") or {})
                except Unresolved as error:
                    if error.logical_id in pending and error.logical_id not in resolver.refs:
                        waiting.append(logical_id)
                        continue
                    raise ProvisionError(f"{name}: {logical_id}: {error}") from error
                try:
                    self._creators[resource["Type"]](logical_id, properties, result)
                except Exception as error:
                    failed = f"{name}: creating {logical_id} ({resource['Type']}) failed: {error}"
                    raise ProvisionError(failed) from error
                result.created[logical_id] = resource["Type"]
            if len(waiting) == len(pending):
                raise ProvisionError(f"{name}: circular references among {', '.join(pending)}")
            pending = waiting
        for output, spec in ((definition.get("resources") or {}).get("Outputs") or {}).items():
            try:
                result.outputs[output] = str(resolver.resolve(spec.get("Value")))
            except Unresolved as error:
                result.warnings.append(f"output {output} has no local value ({error})")
        for key, spec in functions.items():
            result.functions[key] = self._function(name, key, spec, definition, resolver)
            if result.functions[key].role_statements is None:
                result.warnings.append(f"{key}: its role's statements are not known locally (S3 answers as moto does)")
        http_api = (definition.get("provider") or {}).get("httpApi") or {}
        try:
            result.http_api_authorizers = dict(resolver.resolve(http_api.get("authorizers") or {}))
            cors = resolver.resolve(http_api.get("cors"))
        except Unresolved as error:
            raise ProvisionError(f"{name}: provider.httpApi: {error}") from error
        # `cors: true` is the framework's permissive default.
        result.http_api_cors = {"allowedOrigins": ["*"]} if cors is True else (dict(cors) if cors else None)
        return result

    @staticmethod
    def _included_resources(template: dict[str, Any], result: ProvisionedService) -> dict[str, dict[str, Any]]:
        """The template's resources whose Condition (if any) holds; the others are listed as skipped."""
        try:
            result.resolver.evaluate_conditions(template.get("Conditions") or {})
        except Unresolved as error:
            raise ProvisionError(f"{result.name}: Conditions: {error}") from error
        resources: dict[str, dict[str, Any]] = {}
        for logical_id, resource in (template.get("Resources") or {}).items():
            if "Condition" in resource and not result.resolver.conditions.get(resource["Condition"]):
                result.skipped[logical_id] = f"{resource.get('Type')}, condition {resource['Condition']} is false"
                continue
            resources[logical_id] = resource
        return resources

    # -- functions ------------------------------------------------------------------------------------

    @staticmethod
    def _function(
        service: str, key: str, spec: dict[str, Any], definition: dict[str, Any], resolver: Resolver
    ) -> Function:
        provider = definition.get("provider") or {}
        environment = {**(provider.get("environment") or {}), **(spec.get("environment") or {})}
        resolved = {name: _env_text(resolver.resolve(value)) for name, value in environment.items()}
        destination = (spec.get("destinations") or {}).get("onFailure") or ""
        if isinstance(destination, dict):
            destination = destination.get("arn") or ""
        retries = spec.get("maximumRetryAttempts")
        return Function(
            service=service,
            key=key,
            name=resolver.refs[function_logical_id(key)],
            handler=str(spec["handler"]),
            environment=resolved,
            timeout=int(spec.get("timeout") or provider.get("timeout") or 6),
            memory_size=int(spec.get("memorySize") or provider.get("memorySize") or 1024),
            events=list(resolver.resolve(spec.get("events") or [])),
            arn=resolver.attributes[(function_logical_id(key), "Arn")],
            max_retries=2 if retries is None else int(retries),
            reserved_concurrency=None if spec.get("reservedConcurrency") is None else int(spec["reservedConcurrency"]),
            on_failure=str(resolver.resolve(destination)),
            role_statements=_role_statements(spec, definition, resolver),
        )

    # -- DynamoDB -------------------------------------------------------------------------------------

    def _table(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        client = self.client("dynamodb")
        name = props.get("TableName") or f"{result.resolver.stack_name}-{logical_id}"
        kwargs = self._api_arguments(
            "dynamodb", "CreateTable", {"BillingMode": "PROVISIONED", **props, "TableName": name}
        )
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            sse = dict(props["SSESpecification"])
            kwargs["SSESpecification"] = {"Enabled": bool(sse.pop("SSEEnabled", False)), **sse}
        description = client.create_table(**kwargs)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and pitr.get("PointInTimeRecoveryEnabled"):
            client.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        attributes = {"Arn": description["TableArn"]}
        if description.get("LatestStreamArn"):
            attributes["StreamArn"] = description["LatestStreamArn"]
        result.resolver.provided(logical_id, name, attributes)

    # -- S3 -------------------------------------------------------------------------------------------

    def _bucket(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        client = self.client("s3")
        name = props.get("BucketName") or f"{result.resolver.stack_name}-{logical_id}".lower()
        client.create_bucket(Bucket=name)
        if props.get("VersioningConfiguration"):
            client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
            )
        if props.get("BucketEncryption"):
            rules = [
                {
                    ("ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault" else key): value
                    for key, value in rule.items()
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if props.get("PublicAccessBlockConfiguration"):
            client.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if props.get("OwnershipControls"):
            client.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if props.get("CorsConfiguration"):
            rules = [
                {_CORS_RULE_NAMES.get(key, key): value for key, value in rule.items()}
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
            client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        # moto matches events and key filters itself; devstack.s3_events runs the functions.
        functions = [
            {"LambdaFunctionArn": c["Function"], "Events": [c["Event"]], **_api_filter(c)}
            for c in (props.get("NotificationConfiguration") or {}).get("LambdaConfigurations") or []
        ]
        if functions:
            configuration = {"LambdaFunctionConfigurations": functions}
            client.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=configuration)
        result.resolver.provided(logical_id, name, {"Arn": f"arn:aws:s3:::{name}"})

    def _bucket_policy(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        document = dict(props["PolicyDocument"])
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else list(statements)
        # The emulator enforces bucket policies, and its endpoint is plain HTTP on loopback: a TLS-only
        # statement would refuse every request. It is left out locally (and said so); the rest applies.
        kept = [statement for statement in statements if not _tls_only(statement)]
        if len(kept) < len(statements):
            result.warnings.append(
                f"{logical_id}: the TLS-only statement is not applied (the local endpoint is HTTP on loopback)"
            )
        # The emulator ignores a statement's conditions, so a Deny that spares one principal
        # (only ingest writes reports) would refuse everyone: such statements are left out too.
        spared = [statement for statement in kept if _conditional_deny(statement)]
        for statement in spared:
            result.warnings.append(
                f"{logical_id}: {statement.get('Sid') or 'a conditional Deny'} is not applied "
                "(the emulator ignores conditions; template tests check it)"
            )
        kept = [statement for statement in kept if not _conditional_deny(statement)]
        if kept:
            document["Statement"] = kept
            self.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
        result.resolver.provided(logical_id, f"{props['Bucket']}-policy")

    # -- SQS / SNS ------------------------------------------------------------------------------------

    def _queue(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        client = self.client("sqs")
        name = props.get("QueueName") or f"{result.resolver.stack_name}-{logical_id}"
        # Every other property of AWS::SQS::Queue the services set is a queue attribute of the same name.
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else _attribute_text(value)
            for key, value in props.items()
            if key != "QueueName"
        }
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        result.resolver.provided(logical_id, url, {"Arn": arn})

    def _topic(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        client = self.client("sns")
        name = props.get("TopicName") or f"{result.resolver.stack_name}-{logical_id}"
        attributes = {
            key: _attribute_text(props[key])
            for key in ("DisplayName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId")
            if key in props
        }
        arn = client.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        result.resolver.provided(logical_id, arn)

    def _subscription(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        # The other properties of AWS::SNS::Subscription are subscription attributes of the same name.
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else _attribute_text(value)
            for key, value in props.items()
            if key not in ("TopicArn", "Protocol", "Endpoint", "Region")
        }
        arn = self.client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props.get("Endpoint", ""),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        result.resolver.provided(logical_id, arn)

    # -- Cognito --------------------------------------------------------------------------------------

    def _api_arguments(self, service: str, operation: str, props: dict[str, Any], **renamed: str) -> dict[str, Any]:
        """The properties the API call accepts, under its names (CloudFormation mostly uses the API's)."""
        members = self.client(service).meta.service_model.operation_model(operation).input_shape.members
        names = {cfn: api for api, cfn in renamed.items()}
        return {names.get(key, key): value for key, value in props.items() if names.get(key, key) in members}

    def _user_pool(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        kwargs = self._api_arguments("cognito-idp", "CreateUserPool", props, PoolName="UserPoolName")
        kwargs.setdefault("PoolName", f"{result.resolver.stack_name}-{logical_id}")
        pool = self.client("cognito-idp").create_user_pool(**kwargs)["UserPool"]
        result.resolver.provided(logical_id, pool["Id"], {"Arn": pool["Arn"]})

    def _user_pool_client(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        kwargs = self._api_arguments("cognito-idp", "CreateUserPoolClient", props)
        kwargs.setdefault("ClientName", f"{result.resolver.stack_name}-{logical_id}")
        client = self.client("cognito-idp").create_user_pool_client(**kwargs)["UserPoolClient"]
        result.resolver.provided(logical_id, client["ClientId"])

    def _user_pool_group(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        kwargs = self._api_arguments("cognito-idp", "CreateGroup", {"GroupName": logical_id, **props})
        self.client("cognito-idp").create_group(**kwargs)
        result.resolver.provided(logical_id, kwargs["GroupName"])

    # -- Secrets Manager -------------------------------------------------------------------------------

    def _secret(self, logical_id: str, props: dict[str, Any], result: ProvisionedService) -> None:
        """A secret with its given value, or one generated as GenerateSecretString asks (by the emulator)."""
        client = self.client("secretsmanager")
        name = {"Name": f"{result.resolver.stack_name}-{logical_id}"}
        kwargs = self._api_arguments("secretsmanager", "CreateSecret", name | props)
        if "SecretString" not in kwargs:
            generate = props.get("GenerateSecretString") or {}
            options = self._api_arguments("secretsmanager", "GetRandomPassword", generate)
            kwargs["SecretString"] = client.get_random_password(**options)["RandomPassword"]
        arn = client.create_secret(**kwargs)["ARN"]
        result.resolver.provided(logical_id, arn, {"Id": arn})


#: A bucket's CORS rule: CloudFormation's property names that the S3 API spells otherwise.
_CORS_RULE_NAMES = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}


def _role_statements(
    spec: dict[str, Any], definition: dict[str, Any], resolver: Resolver
) -> list[dict[str, Any]] | None:
    """The statements of a function's role: its own ``role``, else the service's (``provider.iam.role``)."""
    role = spec.get("role") or ((definition.get("provider") or {}).get("iam") or {}).get("role") or {}
    try:
        if isinstance(role, dict) and "Fn::GetAtt" not in role:  # the framework's role for the service
            statements = role.get("statements") or []
        else:
            statements = iam.role_statements(
                (definition.get("resources") or {}).get("Resources") or {}, iam.function_role(role)
            )
        return list(resolver.resolve(statements))
    except (ValueError, Unresolved):
        return None


def _conditional_deny(statement: dict[str, Any]) -> bool:
    return statement.get("Effect") == "Deny" and bool(statement.get("Condition"))


def _tls_only(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    return statement.get("Effect") == "Deny" and "aws:SecureTransport" in (condition.get("Bool") or {})


def _api_filter(config: dict[str, Any]) -> dict[str, Any]:
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _env_text(value: Any) -> str:
    """Lambda environment values are strings; CloudFormation turns numbers and booleans into text."""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def _stand_in(logical_id: str, kind: str, props: dict[str, Any], resolver: Resolver) -> tuple[str, dict[str, str]]:
    """Ref and ARN of a skipped resource, shaped like AWS's, so references to it still resolve."""
    region, account = resolver.region, resolver.account_id
    if kind == "AWS::IAM::Role":
        name = _literal(props.get("RoleName")) or f"{resolver.stack_name}-{logical_id}"
        return name, {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": f"AROA{logical_id.upper()[:16]}"}
    service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "unknown"
    name = f"{resolver.stack_name}-{logical_id}"
    return name, {"Arn": f"arn:aws:{service}:{region}:{account}:{name}"}


def _literal(value: Any) -> str:
    """A property's value if it is plain text (stand-ins never resolve references)."""
    return value if isinstance(value, str) else ""
