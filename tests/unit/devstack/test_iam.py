"""IAM as AWS judges a role: which action and resource a call needs, and whether statements allow it."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.iam import Request, allows, function_role, presigned_post, requests, role_statements, unused

pytestmark = pytest.mark.unit

REGION, ACCOUNT = "eu-west-1", "111122223333"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory"


def needs(service: str, operation: str, **params: Any) -> list[Request]:
    return requests(service, operation, params, REGION, ACCOUNT)


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- what a call needs ------------------------------------------------------------------------------------


def test_a_query_on_an_index_needs_the_index_arn_and_on_the_table_the_table_arn() -> None:
    assert needs("dynamodb", "Query", TableName="inventory", IndexName="AlertsByStore") == [
        Request("dynamodb:Query", f"{TABLE}/index/AlertsByStore")
    ]
    assert needs("dynamodb", "Query", TableName="inventory") == [Request("dynamodb:Query", TABLE)]


def test_each_part_of_a_transaction_is_checked_as_its_own_action_on_its_own_table() -> None:
    items = [
        {"Put": {"TableName": "inventory", "Item": {}}},
        {"Update": {"TableName": "stores", "Key": {}}},
        {"ConditionCheck": {"TableName": "people", "Key": {}}},
        {"Delete": {"TableName": "people", "Key": {}}},
        {"Put": {"TableName": "inventory", "Item": {}}},
    ]

    assert needs("dynamodb", "TransactWriteItems", TransactItems=items) == [
        Request("dynamodb:ConditionCheckItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/people"),
        Request("dynamodb:DeleteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/people"),
        Request("dynamodb:PutItem", TABLE),
        Request("dynamodb:UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/stores"),
    ]


def test_batch_calls_need_their_own_action_on_every_table_they_name() -> None:
    assert needs("dynamodb", "BatchGetItem", RequestItems={"inventory": {}, "forecast": {}}) == [
        Request("dynamodb:BatchGetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/forecast"),
        Request("dynamodb:BatchGetItem", TABLE),
    ]


def test_stream_reads_need_the_stream_arn_which_a_shard_iterator_starts_with() -> None:
    stream = f"{TABLE}/stream/2026-01-01T00:00:00.000"

    assert needs("dynamodb", "GetShardIterator", StreamArn=stream, ShardId="s") == [
        Request("dynamodb:GetShardIterator", stream)
    ]
    assert needs("dynamodb", "GetRecords", ShardIterator=f"{stream}|1|AAAA") == [Request("dynamodb:GetRecords", stream)]


def test_object_reads_and_listings_need_s3s_own_action_names() -> None:
    assert needs("s3", "HeadObject", Bucket="b", Key="uploads/a.csv") == [
        Request("s3:GetObject", "arn:aws:s3:::b/uploads/a.csv")
    ]
    assert needs("s3", "GetObject", Bucket="b", Key="a", VersionId="v1") == [
        Request("s3:GetObjectVersion", "arn:aws:s3:::b/a")
    ]
    assert needs("s3", "ListObjectsV2", Bucket="b", Prefix="reports/") == [Request("s3:ListBucket", "arn:aws:s3:::b")]


def test_a_presigned_post_needs_put_object_on_the_key_its_policy_fixes() -> None:
    policy = {"conditions": [{"x-amz-meta-uploaded-by": "ravi"}, {"bucket": "b"}, {"key": "uploads/Berlin/x.csv"}]}

    assert presigned_post(policy) == [Request("s3:PutObject", "arn:aws:s3:::b/uploads/Berlin/x.csv")]


def test_queues_topics_pools_functions_and_secrets_are_named_by_their_arns() -> None:
    url = f"http://127.0.0.1:4566/{ACCOUNT}/failures"
    assert needs("sqs", "SendMessage", QueueUrl=url, MessageBody="x") == [
        Request("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures")
    ]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert needs("sns", "Publish", TopicArn=topic, Message="m") == [Request("sns:Publish", topic)]
    assert needs("sns", "Unsubscribe", SubscriptionArn=f"{topic}:1") == [Request("sns:Unsubscribe", "*")]
    assert needs("cognito-idp", "AdminGetUser", UserPoolId="eu-west-1_abc", Username="u") == [
        Request("cognito-idp:AdminGetUser", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/eu-west-1_abc")
    ]
    assert needs("lambda", "Invoke", FunctionName="ingest") == [
        Request("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ingest")
    ]
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:cursor-AbCdEf"
    assert needs("secretsmanager", "GetSecretValue", SecretId=secret) == [
        Request("secretsmanager:GetSecretValue", secret)
    ]


# -- what statements allow ---------------------------------------------------------------------------------


def test_a_statement_with_wildcards_allows_what_they_match() -> None:
    statements = [allow("dynamodb:*Item", f"arn:aws:dynamodb:{REGION}:*:table/inv?ntory")]

    assert allows(statements, Request("dynamodb:PutItem", TABLE))
    assert allows(statements, Request("DynamoDB:getitem", TABLE))  # actions ignore case
    assert not allows(statements, Request("dynamodb:Query", TABLE))


def test_a_grant_on_another_resource_does_not_allow() -> None:
    statements = [allow(["s3:GetObject"], "arn:aws:s3:::b/uploads/*")]

    assert allows(statements, Request("s3:GetObject", "arn:aws:s3:::b/uploads/a.csv"))
    assert not allows(statements, Request("s3:GetObject", "arn:aws:s3:::b/reports/a.json"))
    assert not allows(statements, Request("s3:GetObject", "arn:aws:s3:::B/uploads/a.csv"))  # ARNs keep case


def test_an_index_needs_its_own_grant() -> None:
    statements = [allow("dynamodb:Query", TABLE)]

    assert allows(statements, Request("dynamodb:Query", TABLE))
    assert not allows(statements, Request("dynamodb:Query", f"{TABLE}/index/AlertsByStore"))


def test_an_explicit_deny_wins_and_not_action_allows_everything_else() -> None:
    statements = [
        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/reports/*"},
    ]

    assert allows(statements, Request("s3:GetObject", "arn:aws:s3:::b/x"))
    assert not allows(statements, Request("s3:DeleteObject", "arn:aws:s3:::b/x"))
    assert not allows(statements, Request("s3:PutObject", "arn:aws:s3:::b/reports/x"))
    assert allows(statements, Request("s3:PutObject", "arn:aws:s3:::b/uploads/x"))


def test_an_action_that_takes_no_resource_needs_a_grant_on_star() -> None:
    assert allows([allow("sns:Unsubscribe", "*")], Request("sns:Unsubscribe", "*"))
    assert not allows([allow("sns:Unsubscribe", "arn:aws:sns:*")], Request("sns:Unsubscribe", "*"))


def test_grants_no_request_falls_under_are_listed() -> None:
    statements = [allow(["dynamodb:Query", "dynamodb:Scan"], [TABLE, f"{TABLE}/index/*"])]

    assert unused(statements, [Request("dynamodb:Query", f"{TABLE}/index/AlertsByStore")]) == [
        f"dynamodb:Query on {TABLE}",
        f"dynamodb:Scan on {TABLE}",
        f"dynamodb:Scan on {TABLE}/index/*",
    ]


# -- roles in templates -------------------------------------------------------------------------------------


def test_a_roles_statements_are_its_inline_policies_and_the_policies_attached_to_it() -> None:
    first, second, third = (allow(f"s3:Action{n}", "*") for n in range(3))
    resources = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"Policies": [{"PolicyDocument": {"Statement": [first]}}]},
        },
        "Extra": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": second}},
        },
        "Other": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Else"}], "PolicyDocument": {"Statement": third}},
        },
    }

    assert role_statements(resources, "Role") == [first, second]


def test_a_functions_role_is_found_from_its_getatt_or_logical_id_and_an_outside_arn_is_refused() -> None:
    assert function_role({"Fn::GetAtt": ["IngestUploadRole", "Arn"]}) == "IngestUploadRole"
    assert function_role({"Fn::GetAtt": "IngestUploadRole.Arn"}) == "IngestUploadRole"
    assert function_role("IngestUploadRole") == "IngestUploadRole"
    with pytest.raises(ValueError, match="not one of the template's"):
        function_role("arn:aws:iam::111122223333:role/elsewhere")
