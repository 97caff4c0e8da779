"""CloudFormation intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join...) resolved against local resources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class Unresolved(Exception):
    """A reference to a resource that is not provisioned (yet)."""

    def __init__(self, logical_id: str, detail: str = "") -> None:
        super().__init__(detail or f"{logical_id} is not provisioned")
        self.logical_id = logical_id


@dataclass
class Resolver:
    """Resolves intrinsics for one stack: ``refs`` and ``attributes`` fill in as resources are provisioned."""

    region: str
    stack_name: str
    account_id: str = ACCOUNT_ID
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)

    def evaluate_conditions(self, conditions: Mapping[str, Any]) -> None:
        """Evaluate the template's ``Conditions`` (they may refer to each other, in any order)."""
        pending = dict(conditions)
        while pending:
            progressed = False
            for name, expression in list(pending.items()):
                try:
                    self.conditions[name] = bool(self.resolve(expression))
                except Unresolved as error:
                    if error.logical_id in pending:
                        continue
                    raise
                del pending[name]
                progressed = True
            if not progressed:
                raise Unresolved(next(iter(pending)), f"conditions refer to each other in a loop: {', '.join(pending)}")

    def provided(self, logical_id: str, ref: str, attributes: Mapping[str, str] | None = None) -> None:
        self.refs[logical_id] = ref
        for name, value in (attributes or {}).items():
            self.attributes[(logical_id, name)] = value

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic replaced; raises :class:`Unresolved` naming what is missing."""
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.refs:
            return self.refs[name]
        raise Unresolved(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        if logical_id in self.refs:
            raise Unresolved(logical_id, f"{logical_id} has no attribute {attribute} locally")
        raise Unresolved(logical_id)

    def sub(self, template: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, template).replace("${!", "${")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def _ref(resolver: Resolver, argument: Any) -> Any:
    return resolver.ref(str(resolver.resolve(argument)))


def _get_att(resolver: Resolver, argument: Any) -> str:
    if isinstance(argument, str):
        logical_id, attribute = argument.split(".", 1)
    else:
        logical_id, attribute = (str(part) for part in resolver.resolve(argument))
    return resolver.get_att(logical_id, attribute)


def _sub(resolver: Resolver, argument: Any) -> str:
    if isinstance(argument, str):
        return resolver.sub(argument, {})
    template, variables = argument
    return resolver.sub(str(template), {key: resolver.resolve(item) for key, item in variables.items()})


def _join(resolver: Resolver, argument: Any) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in resolver.resolve(items))


def _select(resolver: Resolver, argument: Any) -> Any:
    index, items = resolver.resolve(argument)
    return items[int(index)]


def _split(resolver: Resolver, argument: Any) -> list[str]:
    delimiter, text = resolver.resolve(argument)
    return str(text).split(str(delimiter))


def _condition(resolver: Resolver, argument: Any) -> bool:
    if argument not in resolver.conditions:
        raise Unresolved(str(argument), f"condition {argument} is not defined")
    return resolver.conditions[argument]


def _if(resolver: Resolver, argument: Any) -> Any:
    name, when_true, when_false = argument
    return resolver.resolve(when_true if _condition(resolver, name) else when_false)


def _equals(resolver: Resolver, argument: Any) -> bool:
    left, right = resolver.resolve(argument)
    return bool(left == right)


def _not(resolver: Resolver, argument: Any) -> bool:
    return not resolver.resolve(argument[0])


def _and(resolver: Resolver, argument: Any) -> bool:
    return all(resolver.resolve(item) for item in argument)


def _or(resolver: Resolver, argument: Any) -> bool:
    return any(resolver.resolve(item) for item in argument)


_FUNCTIONS = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
}


def function_logical_id(function_key: str) -> str:
    """The logical id the Serverless Framework gives a function (``ingestUpload`` -> ``IngestUploadLambdaFunction``)."""
    normalized = function_key.replace("-", "Dash").replace("_", "Underscore")
    return f"{normalized[:1].upper()}{normalized[1:]}LambdaFunction"
