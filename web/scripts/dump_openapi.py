"""Print the API's OpenAPI document, as GET /api/openapi.json answers it.

Runs the API Lambda handler in-process with a synthetic API Gateway request, so the
document is the one the code serves, whatever the routes look like inside. Run from
the repository root with the project's Python environment active.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class _Context:
    function_name = "rillet-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:rillet-api"
    aws_request_id = "openapi-dump"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def main() -> None:
    spec = importlib.util.spec_from_file_location(
        "rillet_api_handler", ROOT / "functions/api/handler.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/openapi.json",
        "rawQueryString": "",
        "headers": {"host": "localhost", "accept": "application/json"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/api/openapi.json",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
            },
            "requestId": "openapi-dump",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    answer = module.lambda_handler(event, _Context())
    if answer.get("statusCode") != 200:
        sys.exit(f"GET /api/openapi.json answered {answer.get('statusCode')}: {answer.get('body')}")
    document = json.loads(answer["body"])
    json.dump(document, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
