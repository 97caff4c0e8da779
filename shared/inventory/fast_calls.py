"""Two of botocore's steps per call that rebuild the same values each time, to the same values.

Before every call botocore resolves the endpoint from its rule set: it gathers the rule set's
parameters (region, FIPS, dual stack, the endpoint URL, the account, the table named by the call,
...) and asks the rule set's resolver, which keeps its answers per set of parameters. Gathering
them looks up, for each parameter and call, where its value comes from (the operation's static
and per-call context, the client's context, the built-ins), each lookup through a cache keyed on
its arguments: about 10 µs a call, of a DynamoDB PutItem's ~150 µs of CPU. It writes the
``User-Agent`` header twice a call, each time checking every character of the features the
call used (``m/...``, the same few sets over and over): about 6 µs. And it prepares the signed
request for the wire by encoding each header into the request's email-style header list (each
header twice then) and copying that list into a case-insensitive map one header at a time:
about 8 µs.

:class:`ProviderParams` gathers the same values in the same order from where each parameter's
value comes from, looked up once per operation. What may differ between calls is still taken per
call as botocore takes it: the call's own values, the built-ins (after the
``before-endpoint-resolution`` event, whose handlers may change them; the account from the
credentials of the moment), the client's context, the operation-context parameters (through the
resolver's own method, so :class:`inventory.fast_json.TableNames` still serves them), and the
features the call registers for its user agent. :class:`UserAgent` writes the header as botocore
does, keeping the features' part per set of features (a customized ``modify_components`` hook
gets botocore's own, uncached). :class:`Prepare` builds the same prepared request (the same
header names, first spelling and last value of each, encoded; the same URL, body and length) from
one reading of the headers; a request of another class goes to botocore's.

:func:`use_fast_calls` swaps both in on one client after a self-check (at cold start, with the
client's own botocore) finds them giving exactly botocore's parameters for sample calls of every
operation the services make, and botocore's header for sample sets of features; on any
difference the client keeps botocore's steps and a warning says why (the same for sample
requests prepared both ways). Proven against botocore
:data:`PROVEN_BOTOCORE` (a test pins the botocore the project runs).
"""

from __future__ import annotations

from typing import Any

from botocore import useragent
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSRequestPreparer, HeadersDict, _HeaderKey
from botocore.context import ClientContext, get_context, start_as_current_context
from botocore.regions import EndpointResolverBuiltins

from inventory.clients import proven

#: The botocore whose steps were proven matched here (tests pin the one the project runs).
PROVEN_BOTOCORE = "1.44.18"
_KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}
#: Sample calls of every operation the services make, by service, gathered both ways by the self-check.
SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "dynamodb": [
        ("GetItem", {"TableName": "History", "Key": _KEY}),
        ("PutItem", {"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/Forecast", "Item": _KEY}),
        ("UpdateItem", {"TableName": "Stores", "Key": _KEY, "UpdateExpression": "SET #a = :a"}),
        ("DeleteItem", {"TableName": "Forecast", "Key": _KEY}),
        ("Query", {"TableName": "History", "KeyConditionExpression": "#k = :k"}),
        ("Scan", {"TableName": "History", "IndexName": "RunningOut"}),
        ("BatchGetItem", {"RequestItems": {"Inventory": {"Keys": [_KEY]}, "Forecast": {"Keys": [_KEY]}}}),
        ("BatchWriteItem", {"RequestItems": {"History": [{"PutRequest": {"Item": _KEY}}]}}),
        ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "History", "Item": _KEY}},
                                                  {"Update": {"TableName": "Stores", "Key": _KEY}}]}),
        ("DescribeTable", {"TableName": "History"}),
    ],
    "sns": [("Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts", "Message": "m"})],
}  # fmt: skip


def use_fast_calls(client: Any) -> bool:
    """Gather ``client``'s endpoint parameters with :class:`ProviderParams`, write its user agent with
    :class:`UserAgent` and prepare its requests with :class:`Prepare` if the self-check passes;
    whether it did (if not, a warning names each difference)."""
    if isinstance(client._ruleset_resolver._get_provider_params, ProviderParams):
        return True  # taken already
    keeping = "Calls keep botocore's own steps: the fast endpoint parameters, user agent or preparing differ"
    if not proven(keeping, lambda: _self_check(client)):
        return False
    resolver = client._ruleset_resolver
    resolver._get_provider_params = ProviderParams(resolver)
    creator = client._user_agent_creator
    creator.to_string = UserAgent(creator)
    client._endpoint.prepare_request = Prepare(client._endpoint.prepare_request)
    return True


class ProviderParams:
    """An endpoint rule set resolver's ``_get_provider_params``, each parameter's sources looked up
    once per operation (see the module docstring)."""

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        self._plans: dict[Any, list[tuple[str, Any, str | None, bool, str | None, str | None]]] = {}

    def __call__(self, operation_model: Any, call_args: dict[str, Any], request_context: dict[str, Any]) -> Any:
        resolver = self.resolver
        plan = self._plans.get(operation_model)
        if plan is None:
            plan = self._plans[operation_model] = self._plan(operation_model)
        builtins = resolver._get_customized_builtins(operation_model, call_args, request_context)
        params = {}
        for name, static, member, in_operation_context, client_name, builtin in plan:
            value = static
            if value is None and member is not None:
                value = call_args.get(member)
            if value is None and in_operation_context:
                value = resolver._resolve_param_as_operation_context_param(name, operation_model, call_args)
            if value is None and client_name is not None:
                value = resolver._client_context.get(client_name)
            if value is None and builtin is not None:
                value = builtins.get(builtin)
                if callable(value):
                    value = value()
            if value is not None:
                params[name] = value
                resolver._register_endpoint_feature_ids(name, value)
        return params

    def _plan(self, operation_model: Any) -> list[tuple[str, Any, str | None, bool, str | None, str | None]]:
        """Per parameter, in the rule set's order: its static value, the call's member holding it, whether
        the operation's context names it, the client context's name for it, its built-in."""
        resolver = self.resolver
        static = resolver._get_static_context_params(operation_model)
        dynamic = resolver._get_dynamic_context_params(operation_model)
        operation_context = operation_model.operation_context_parameters
        client_context = resolver._get_client_context_params()
        known = set(EndpointResolverBuiltins.__members__.values())
        plan = []
        for name, definition in resolver._param_definitions.items():
            if definition.builtin is not None and definition.builtin not in known:
                raise ValueError(f"unknown built-in {definition.builtin}")  # botocore raises it per call
            plan.append(
                (
                    name,
                    static.get(name),
                    dynamic.get(name),
                    name in operation_context,
                    client_context.get(name),
                    definition.builtin,
                )
            )
        return plan


class UserAgent:
    """A client's user agent creator's ``to_string``, the features' part kept per set of features."""

    #: Sets of features kept at most (a client uses a few).
    KEPT = 64

    def __init__(self, creator: Any) -> None:
        self.creator = creator
        self.botocore = creator.to_string
        self._features: dict[str, str] = {}

    def __call__(self) -> str:
        if useragent.modify_components is not useragent._default_modify_components:
            return str(self.botocore())
        creator = self.creator
        static_parts = creator._get_static_parts()
        if static_parts.legacy is not None:
            return str(static_parts.legacy)
        context = get_context()
        features = (creator._client_features or set()).union(set() if context is None else context.features)
        part = ""
        if features:
            joined = ",".join(features)
            part = self._features.get(joined, "")
            if not part:
                if len(self._features) >= self.KEPT:
                    self._features.clear()
                size = useragent.UserAgentComponentSizeConfig(1024, ",")
                part = self._features[joined] = useragent.UserAgentComponent("m", joined, size_config=size).to_string()
        return " ".join(part for part in (static_parts.prefix, part, static_parts.suffix) if part)


#: Sets of features the user agents are checked with (names as ``register_feature_id`` takes them).
FEATURE_SAMPLES: list[set[str]] = [
    set(),
    {"RETRY_MODE_STANDARD"},
    {"RETRY_MODE_STANDARD", "ACCOUNT_ID_MODE_PREFERRED", "RESOLVED_ACCOUNT_ID"},
]


class Prepare:
    """An endpoint's ``prepare_request``: botocore's ``_encode_headers`` and ``prepare`` in one pass."""

    def __init__(self, botocore_prepare: Any) -> None:
        self.botocore = botocore_prepare

    def __call__(self, request: Any) -> Any:
        if type(request) is not AWSRequest or type(request._request_preparer) is not AWSRequestPreparer:
            return self.botocore(request)
        preparer = request._request_preparer
        read = request.headers.items()
        spelled: dict[str, str] = {}  # each name as first written
        values: dict[str, Any] = {}  # its last value: encoding a text value appends it, so that one
        for name, value in read:
            lowered = name.lower()
            spelled.setdefault(lowered, name)
            values[lowered] = value
        for name, value in read:
            if isinstance(value, str):
                values[name.lower()] = value.encode("utf-8")
        url = preparer._prepare_url(request)
        body = preparer._prepare_body(request)
        headers = HeadersDict()
        headers._dict = {_HeaderKey(name): values[lowered] for lowered, name in spelled.items()}
        if not ("Transfer-Encoding" in headers or "Content-Length" in headers) and request.method not in (
            "GET",
            "HEAD",
            "OPTIONS",
        ):
            length = preparer._determine_content_length(body)
            if length is not None:
                headers["Content-Length"] = str(length)
            else:
                headers["Transfer-Encoding"] = "chunked"
        return AWSPreparedRequest(request.method, url, headers, body, request.stream_output, request.context)


#: (method, URL, headers, body, params) of requests prepared both ways by the self-check.
PREPARE_SAMPLES: list[tuple[str, str, list[tuple[str, Any]], Any, dict[str, str]]] = [
    ("POST", "https://dynamodb.us-east-1.amazonaws.com/",
     [("X-Amz-Target", "DynamoDB_20120810.PutItem"), ("Content-Type", "application/x-amz-json-1.0"),
      ("x-amz-target", "again"), ("X-Raw", b"bytes"), ("X-Text", "Zürich")], b'{"a": 1}', {}),
    ("POST", "https://sns.us-east-1.amazonaws.com/", [("Content-Type", "application/x-www-form-urlencoded")],
     {"Action": "Publish", "Message": "Zürich & co"}, {}),
    ("GET", "https://example.com/path", [("Accept", "*/*")], b"", {"b": "two words", "a": "1"}),
    ("PUT", "https://example.com/", [("Content-Length", "3")], b"abc", {}),
    ("DELETE", "https://example.com/?x=1", [], None, {"y": "2"}),
]  # fmt: skip


def _prepared(request: Any) -> tuple[Any, ...]:
    headers = [(str(name), value) for name, value in request.headers._dict.items()]
    return request.method, request.url, headers, request.body, request.stream_output, request.context


def _self_check(client: Any) -> list[str]:
    """Where :class:`ProviderParams`, :class:`Prepare` or :class:`UserAgent` differs from the client's
    botocore on the samples (the parameters, their order and the user agent's features they
    register; the prepared request; the header)."""
    resolver = client._ruleset_resolver
    model = client.meta.service_model
    fast = ProviderParams(resolver)
    differences = []
    for operation, call_args in SAMPLES.get(model.service_name, []):
        operation_model = model.operation_model(operation)
        gathered = []
        for gather in (resolver._get_provider_params, fast):
            with start_as_current_context(ClientContext()):  # the features a call registers
                params = gather(operation_model, dict(call_args), {})
                gathered.append((list(params.items()), get_context().features))
        if gathered[0] != gathered[1]:
            differences.append(f"{operation} endpoint parameters")
    for index, (method, url, headers, body, params) in enumerate(PREPARE_SAMPLES):
        prepared = []
        for prepare in (client._endpoint.prepare_request, Prepare(client._endpoint.prepare_request)):
            request = AWSRequest(method, url, None, body, params)
            for name, value in headers:
                request.headers[name] = value
            request.context["sample"] = index
            prepared.append(_prepared(prepare(request)))
        if prepared[0] != prepared[1]:
            differences.append(f"request {index} prepared")
    creator = client._user_agent_creator
    user_agent = UserAgent(creator)
    for features in FEATURE_SAMPLES:
        with start_as_current_context(ClientContext()):
            useragent.register_feature_ids(features)
            if [user_agent(), user_agent()] != [creator.to_string()] * 2:
                differences.append(f"user agent with {len(features)} feature(s)")
    return differences
