"""Dashboard API: the read API behind Cognito that the dashboard calls.

- :mod:`dashboard_api.handlers`: the Lambda entry point and one router per area.
- :mod:`dashboard_api.logic`: who may see what, pagination cursors, the queries.
- :mod:`dashboard_api.dal`: DynamoDB, S3 and Cognito access (the only boto3 users).
- :mod:`dashboard_api.models`: the JSON shapes the API answers with.
- :mod:`dashboard_api.admin`: the command that creates dashboard users.
"""
