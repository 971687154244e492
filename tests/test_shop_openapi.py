"""The own shop's OpenAPI file: a valid contract naming exactly the routes served."""

import json
import re
from pathlib import Path

from openapi_spec_validator import validate

ADDON = Path(__file__).resolve().parent.parent / "addons" / "omni_channel_base"
SPEC = json.loads((ADDON / "static/openapi/omni_shop.json").read_text(encoding="utf-8"))


def test_the_contract_is_valid_openapi():
    validate(SPEC)


def test_every_route_of_the_controller_is_in_the_contract_and_back():
    source = (ADDON / "controllers/omni_shop.py").read_text(encoding="utf-8")
    served = set()
    for path, methods in re.findall(
        r'http\.route\(f"\{ROUTE\}(/[^"]*)",[^)]*?methods=\["(\w+)"', source, re.S
    ):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        served.add((path.replace("{order_id}", "{id}"), methods.lower()))
    served.discard(("/openapi.json", "get"))
    documented = {(path, method) for path, ops in SPEC["paths"].items() for method in ops}
    assert served == documented


def test_every_error_answer_uses_the_error_schema():
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert answer == {"$ref": "#/components/responses/Error"}, (path, method)
