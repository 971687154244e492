import json
import logging
from dataclasses import asdict

import pytest

from omni_connectors.core import errors
from omni_connectors.core.redact import RedactingFilter, is_secret_key, redact
from omni_connectors.core.transport import HttpTransport

SECRET = "np-key-9d8c7b6a5f4e3d2c"


def test_dict_values_masked_by_key_name_in_a_copy():
    payload = {
        "apiKey": "k1",
        "modelName": "Address",
        "methodProperties": {"password": "p", "Page": 1},
        "headers": {"X-License-Key": "lic", "Authorization": "Bearer abc.def"},
        "cashier": [{"pin_code": "1234", "name": "Ann"}],
        "token_type": "bearer",
        "keyboard": "qwerty",
    }
    masked = redact(payload)
    assert masked == {
        "apiKey": "***",
        "modelName": "Address",
        "methodProperties": {"password": "***", "Page": 1},
        "headers": {"X-License-Key": "***", "Authorization": "Bearer ***"},
        "cashier": [{"pin_code": "***", "name": "Ann"}],
        "token_type": "bearer",
        "keyboard": "qwerty",
    }
    assert payload["apiKey"] == "k1"  # the original is untouched


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "PASSWD",
        "token",
        "access_token",
        "api_key",
        "apiKey",
        "APIKEY",
        "Authorization",
        "x-license-key",
        "X-Api-Key",
        "secret",
        "pin",
        "license_key",
        "MarketplacePartnerToken",
        "client_secret",
    ],
)
def test_secret_key_names(name):
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["pinned", "key", "sku", "token_type", "spin", "Page"])
def test_ordinary_key_names(name):
    assert not is_secret_key(name)


def test_json_text():
    text = json.dumps({"apiKey": "abc123", "modelName": "Address", "n": "Київ"})
    assert json.loads(redact(text)) == {
        "apiKey": "***",
        "modelName": "Address",
        "n": "Київ",
    }
    clean = '{"modelName": "Address"}'
    assert redact(clean) is clean or redact(clean) == clean


def test_form_and_query_strings():
    assert redact("username=a%40b.c&password=p4ss&token=xyz") == (
        "username=a%40b.c&password=***&token=***"
    )
    assert redact("https://h/api/list?apiKey=S3CR3T&page=2") == (
        "https://h/api/list?apiKey=***&page=2"
    )


def test_literal_secrets_in_plain_text_and_encoded_forms():
    secret = "a+b/c=d1"
    text = f"key {secret} failed; encoded a%2Bb%2Fc%3Dd1; short abc stays"
    assert redact(text, secrets=[secret, "abc"]) == (
        "key *** failed; encoded ***; short abc stays"
    )


def test_text_shapes():
    assert redact("Authorization: Bearer abc.def.ghi") == "Authorization: Bearer ***"
    assert (
        redact("sent Bearer eyJhbGciOiJIUzI1NiJ9 to host") == "sent Bearer *** to host"
    )
    assert redact("{'password': 'hunter22', 'user': 'u'}") == (
        "{'password': '***', 'user': 'u'}"
    )
    # cut-off JSON (a capped body) is scanned as text
    assert (
        redact('{"token": "abcdef", "data": [1, 2') == '{"token": "***", "data": [1, 2'
    )
    assert redact("/printDocument/orders[]/1/type/pdf/apiKey/KEYVALUE1") == (
        "/printDocument/orders[]/1/type/pdf/apiKey/***"
    )
    # a segment before the key that looks like a name must not shift the pairs
    ref = "ab0e1c2d-3f45-11ee-8ced-005056b2dbe1"
    assert redact(f"/scanSheet/printScanSheet/refs[]/{ref}/type/pdf/apiKey/KEY2") == (
        f"/scanSheet/printScanSheet/refs[]/{ref}/type/pdf/apiKey/***"
    )
    assert redact("/apiKey/K1/then/apiKey/K2?x=1") == "/apiKey/***/then/apiKey/***?x=1"
    assert redact("Token expired for shop 5") == "Token expired for shop 5"


def test_redacting_filter_masks_messages_args_and_tracebacks():
    stream = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            stream.append(self.format(record))

    secrets = []
    handler = ListHandler()
    handler.addFilter(RedactingFilter(lambda: secrets))
    logger = logging.getLogger("omni.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        secrets.append(SECRET)  # the provider is asked at each record
        logger.warning("calling with %s", {"apiKey": "plain-key-1", "page": 1})
        logger.warning("key %s refused", SECRET)
        try:
            raise RuntimeError(f"auth failed for {SECRET}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(stream)
    assert SECRET not in text
    assert "plain-key-1" not in text
    assert "key *** refused" in text
    assert "auth failed for ***" in text
    assert "'page': 1" in text


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_api_key_never_reaches_records_errors_or_logs(echo_sim, sleeps, caplog):
    """One key through every path: success, retries, refusals, broken bodies."""
    caplog.set_level(logging.DEBUG)
    # urllib3 logs request lines with their query string at DEBUG: the Odoo
    # side puts a RedactingFilter on its handlers, as done here on caplog's.
    caplog.handler.addFilter(RedactingFilter([SECRET]))
    ours = _Capture()  # no filter: what omni_connectors itself writes
    logging.getLogger("omni_connectors").addHandler(ours)
    try:
        records = []
        t = HttpTransport(
            echo_sim.url,
            timeout=(1, 0.5),
            secrets=[SECRET],
            default_headers={"X-Api-Key": SECRET, "Authorization": f"Bearer {SECRET}"},
            on_call=records.append,
            sleep=sleeps,
        )
        body = {"apiKey": SECRET, "modelName": "Address", "note": f"key={SECRET}"}
        t.request(
            "POST", "/echo", json=body, params={"token": SECRET}
        )  # echoes headers
        echo_sim.faults.add("status", status=429, retry_after=1)
        echo_sim.faults.add("status", status=500, body={"error": f"bad key {SECRET}"})
        echo_sim.faults.add("timeout", seconds=5)
        t.request("GET", "/echo", params={"apiKey": SECRET})
        raised = []
        for path, kwargs in [
            ("/status/401", {"params": {"msg": f"key {SECRET} expired"}}),
            ("/status/422", {"params": {"msg": SECRET}}),
            ("/echo", {"data": {"password": SECRET}}),
        ]:
            if path == "/echo":
                echo_sim.faults.add("malformed", body=f'{{"echo": "{SECRET}"')
            with pytest.raises(errors.OmniConnectorError) as info:
                t.request("POST", path, **kwargs)
            raised.append(info.value)
    finally:
        logging.getLogger("omni_connectors").removeHandler(ours)
    assert len(records) == 8
    assert {r.status for r in records} == {200, 429, 500, None, 401, 422}
    for record in records:
        assert SECRET not in repr(asdict(record))
    for err in raised:
        assert SECRET not in str(err)
        assert SECRET not in str(err.details)
    assert len(ours.lines) >= 8
    assert not [line for line in ours.lines if SECRET in line]
    assert SECRET not in caplog.text
    assert records[0].request_headers["X-Api-Key"] == "***"
    assert records[0].request_headers["Authorization"] == "Bearer ***"
    assert json.loads(records[0].request_body)["modelName"] == "Address"
