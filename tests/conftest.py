"""Settings every test shares: fake AWS credentials, so nothing can reach a real account.

Set at import, before any test module is collected: Powertools reads its settings when
``inventory.observability`` is first imported.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any

import botocore.session
from joserfc import jwk

from devstack import definitions
from devstack.moto_reserved_words import refuse_reserved_words

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Inventory",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(name, None)

# Every DynamoDB request a test makes (mock_aws or an in-process moto server) has its expressions
# checked for reserved words, as DynamoDB does; the local stack applies the same check.
refuse_reserved_words()


# Read once per test process, not once per test: each service's serverless.yml (the tables the
# integration tests create from it), botocore's service models (a fresh session per test would parse
# them again) and RSA keys given as JWKs (moto imports the same signing key for every user pool, a
# tenth of a second each). None of them changes while the tests run; a definition's caller still
# gets a copy of its own.
_parsed_definition = functools.cache(definitions.service_definition)


def _service_definition(service: str) -> dict[str, Any]:
    return copy.deepcopy(_parsed_definition(service))


_import_rsa_key = jwk.RSAKey.import_key
_rsa_key_of = functools.cache(lambda text: _import_rsa_key(json.loads(text)))


def _rsa_key(value: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(value, dict) and not args and not kwargs:
        return _rsa_key_of(json.dumps(value, sort_keys=True))
    return _import_rsa_key(value, *args, **kwargs)


definitions.service_definition = _service_definition
botocore.session.create_loader = functools.cache(botocore.session.create_loader)  # type: ignore[attr-defined]
jwk.RSAKey.import_key = staticmethod(_rsa_key)  # type: ignore[method-assign,assignment]
