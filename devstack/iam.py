"""IAM as AWS evaluates a function's role, for what moto never checks.

- :func:`requests`: the IAM action and resource ARN an API call needs (``HeadObject`` is ``s3:GetObject`` on
  ``arn:aws:s3:::bucket/key``, a ``Query`` on an index needs ``table/T/index/I``, each part of a
  ``TransactWriteItems`` is checked as its own ``PutItem``, ``UpdateItem``...).
- :func:`allows`: whether statements allow an action on a resource: ``Action``/``NotAction``,
  ``Resource``/``NotResource`` with ``*`` and ``?`` wildcards, an explicit ``Deny`` winning. Conditions cannot
  be judged without the request's context: an ``Allow`` with a condition counts as allowing, a ``Deny`` with
  one is not applied (both said in :data:`CONDITIONS_ASSUMED`).
- :func:`role_statements`: a role's statements in a template (its inline policies and the policy resources
  attached to it), and :func:`function_role`: the role a function runs with.

The local stack records every call each function makes (:mod:`devstack.worker`) and answers a missing object
read by a role without ``s3:ListBucket`` with 403, as S3 does (:mod:`devstack.gateway`); the IAM proof
(tests/deploy/test_iam_proof.py) checks the recorded calls against the packaged templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlparse

from devstack.intrinsics import ACCOUNT_ID, function_logical_id

CONDITIONS_ASSUMED = "conditions are taken as met on Allow and not applied on Deny"


@dataclass(frozen=True, order=True)
class Request:
    """What IAM authorises: one action on one resource (``*`` for actions that take no resource)."""

    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


# -- what a call needs ----------------------------------------------------------------------------------

#: S3 operations whose action is not ``s3:<operation>``.
_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListParts": "s3:ListMultipartUploadParts",
}
#: The action each part of a TransactWriteItems is checked as.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
#: SNS actions that take no resource type: a policy grants them on ``*`` only.
_SNS_UNSCOPED = {"Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes", "ListTopics"}
#: Calls IAM does not authorise (Cognito's user-facing calls are authorised by the user's own tokens).
_UNAUTHORISED = {
    ("sts", "GetCallerIdentity"),
    *(
        ("cognito-idp", operation)
        for operation in ("InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "RevokeToken")
    ),
}


def requests(
    service: str, operation: str, params: Mapping[str, Any], region: str, account: str = ACCOUNT_ID
) -> list[Request]:
    """The IAM requests an API call makes: ``service`` is the client's signing name (``dynamodb`` for
    DynamoDB Streams too), ``operation`` and ``params`` as the SDK takes them. A call not mapped here needs
    ``<service>:<operation>`` on ``*``; a secret named without its ARN is judged as the ARN without the six
    characters AWS appends."""
    if (service, operation) in _UNAUTHORISED:
        return []
    where = f"{region}:{account}"
    if service == "s3":
        return _s3(operation, params)
    if service == "dynamodb":
        return _dynamodb(operation, params, where)
    if service == "sqs":
        return [Request(f"sqs:{operation}", _queue_arn(params, where))]
    if service == "sns":
        if operation in _SNS_UNSCOPED:
            return [Request(f"sns:{operation}", "*")]
        topic = params.get("TopicArn") or params.get("TargetArn") or "*"
        return [Request(f"sns:{operation}", str(topic))]
    if service == "cognito-idp" and params.get("UserPoolId"):
        return [Request(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{where}:userpool/{params['UserPoolId']}")]
    if service == "secretsmanager" and params.get("SecretId"):
        secret = str(params["SecretId"])
        return [
            Request(
                f"secretsmanager:{operation}",
                secret if secret.startswith("arn:") else f"{_arn(service, where)}secret:{secret}",
            )
        ]
    if service == "lambda" and params.get("FunctionName"):
        action = "lambda:InvokeFunction" if operation in ("Invoke", "InvokeAsync") else f"lambda:{operation}"
        name = str(params["FunctionName"])
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{where}:function:{name}"
        qualifier = params.get("Qualifier")
        return [Request(action, f"{arn}:{qualifier}" if qualifier else arn)]
    return [Request(f"{service}:{operation}", "*")]


def _arn(service: str, where: str) -> str:
    return f"arn:aws:{service}:{where}:"


def _s3(operation: str, params: Mapping[str, Any]) -> list[Request]:
    bucket = str(params.get("Bucket", ""))
    key = params.get("Key")
    action = _S3_ACTIONS.get(operation, f"s3:{operation}")
    if operation in ("GetObject", "HeadObject") and params.get("VersionId"):
        action = "s3:GetObjectVersion"
    found = [Request(action, f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}")]
    if operation == "CopyObject":
        source = params.get("CopySource")
        if isinstance(source, Mapping):
            source = f"{source.get('Bucket')}/{source.get('Key')}"
        found.append(Request("s3:GetObject", f"arn:aws:s3:::{str(source).lstrip('/').split('?')[0]}"))
    return found


def _table(name: Any, where: str) -> str:
    text = str(name)
    return text if text.startswith("arn:") else f"arn:aws:dynamodb:{where}:table/{text}"


def _dynamodb(operation: str, params: Mapping[str, Any], where: str) -> list[Request]:
    if operation == "TransactWriteItems":
        return sorted(
            {
                Request(_TRANSACT_ACTIONS[kind], _table(part["TableName"], where))
                for item in params.get("TransactItems") or []
                for kind, part in item.items()
                if kind in _TRANSACT_ACTIONS
            }
        )
    if operation == "TransactGetItems":
        tables = {item["Get"]["TableName"] for item in params.get("TransactItems") or [] if "Get" in item}
        return [Request("dynamodb:GetItem", _table(table, where)) for table in sorted(tables)]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [
            Request(f"dynamodb:{operation}", _table(table, where)) for table in sorted(params.get("RequestItems") or {})
        ]
    if params.get("StreamArn"):
        return [Request(f"dynamodb:{operation}", str(params["StreamArn"]))]
    if params.get("ShardIterator"):
        # A shard iterator starts with its stream's ARN (``<stream arn>|1|<opaque>``), on AWS and locally.
        return [Request(f"dynamodb:{operation}", str(params["ShardIterator"]).split("|", 1)[0])]
    if operation == "ListStreams":
        table = params.get("TableName")
        return [Request("dynamodb:ListStreams", f"{_table(table, where)}/stream/*" if table else "*")]
    if params.get("TableName"):
        table = _table(params["TableName"], where)
        index = params.get("IndexName")
        return [Request(f"dynamodb:{operation}", f"{table}/index/{index}" if index else table)]
    return [Request(f"dynamodb:{operation}", "*")]


def _queue_arn(params: Mapping[str, Any], where: str) -> str:
    url = params.get("QueueUrl")
    if url:
        parts = [part for part in urlparse(str(url)).path.split("/") if part]
        if len(parts) >= 2:
            region = where.split(":", 1)[0]
            return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"
    if params.get("QueueName"):
        return f"arn:aws:sqs:{where}:{params['QueueName']}"
    return "*"


def presigned_post(policy: Mapping[str, Any]) -> list[Request]:
    """What a presigned POST lets its holder do: ``s3:PutObject`` on the key (or key prefix) its policy fixes,
    with the signer's permissions (S3 checks them when the form is posted)."""
    bucket, key = "", ""
    for condition in policy.get("conditions") or []:
        if isinstance(condition, Mapping):
            bucket = str(condition.get("bucket", bucket))
            key = str(condition.get("key", key))
        elif isinstance(condition, list) and len(condition) == 3 and condition[:2] == ["starts-with", "$key"]:
            key = f"{condition[2]}*"
    return [Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}")] if bucket else []


# -- what statements allow --------------------------------------------------------------------------------


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` any one (actions ignore case, ARNs do not)."""
    return bool(_pattern(pattern, ignore_case).match(value))


def _covers(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(matches(p, request.action, ignore_case=True) for p in _listed(statement["Action"])):
            return False
    elif not _listed(statement.get("NotAction")) or any(
        matches(p, request.action, ignore_case=True) for p in _listed(statement.get("NotAction"))
    ):
        return False
    if "Resource" in statement:
        return any(matches(p, request.resource) for p in _listed(statement["Resource"]))
    not_resources = _listed(statement.get("NotResource"))
    return bool(not_resources) and not any(matches(p, request.resource) for p in not_resources)


def allows(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """Whether the statements allow ``request``: some Allow covers it and no (unconditional) Deny does."""
    allowed = False
    for statement in statements:
        if not _covers(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            if not statement.get("Condition"):
                return False
        elif statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def unused(statements: Iterable[Mapping[str, Any]], used: Iterable[Request]) -> list[str]:
    """Each (Allow statement, action, resource) grant no request in ``used`` falls under, as text."""
    used = list(used)
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        for action in _listed(statement["Action"]):
            for resource in _listed(statement.get("Resource", "*")):
                if not any(
                    matches(action, request.action, ignore_case=True) and matches(resource, request.resource)
                    for request in used
                ):
                    found.append(f"{action} on {resource}")
    return found


# -- roles in templates ------------------------------------------------------------------------------------


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = (document or {}).get("Statement") or []
    return [dict(statements)] if isinstance(statements, Mapping) else [dict(item) for item in statements]


def role_statements(resources: Mapping[str, Any], role: str) -> list[dict[str, Any]]:
    """The statements of role ``role`` (a logical id): its inline policies and every ``AWS::IAM::Policy`` or
    ``AWS::IAM::ManagedPolicy`` of the template attached to it (intrinsics unresolved). Managed policies by
    ARN are outside the template and raise ``ValueError``."""
    properties = (resources[role].get("Properties") or {}) if role in resources else None
    if properties is None:
        raise ValueError(f"role {role} is not in the template")
    if properties.get("ManagedPolicyArns"):
        raise ValueError(f"role {role} has managed policies ({properties['ManagedPolicyArns']}): not judged here")
    found = [s for policy in properties.get("Policies") or [] for s in _statements(policy.get("PolicyDocument"))]
    for resource in resources.values():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            attached = (resource.get("Properties") or {}).get("Roles") or []
            if any(value in ({"Ref": role}, role) for value in attached):
                found += _statements((resource.get("Properties") or {}).get("PolicyDocument"))
    return found


def function_role(role: Any) -> str:
    """The logical id of the role a function names: ``Role`` in a template (``Fn::GetAtt [X, Arn]``) or
    ``role`` in serverless.yml (a logical id, or the same GetAtt). A role ARN from outside raises ``ValueError``."""
    if isinstance(role, str) and not role.startswith("arn:"):
        return role
    if isinstance(role, Mapping) and len(role) == 1:
        ((name, argument),) = role.items()
        if name == "Fn::GetAtt":
            return str(argument.split(".", 1)[0] if isinstance(argument, str) else argument[0])
        if name == "Ref":
            return str(argument)
    raise ValueError(f"the role {role!r} is not one of the template's")


def template_function_role(template: Mapping[str, Any], function_key: str) -> str:
    """The logical id of the role function ``function_key`` runs with in a packaged template."""
    function = template["Resources"][function_logical_id(function_key)]
    return function_role(function["Properties"]["Role"])
