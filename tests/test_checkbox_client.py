"""The Checkbox client against its simulator over real HTTP on loopback."""

import json
import uuid
from decimal import Decimal

import pytest

from omni_connectors.checkbox import (
    CheckboxAuthError,
    CheckboxClient,
    PaymentMismatchError,
    ReceiptValidationError,
    RegisterBusyError,
    ShiftNotOpenedError,
)
from omni_connectors.core import (
    NotFoundError,
    PaymentKind,
    Receipt,
    ReceiptKind,
    ReceiptLine,
    ReceiptPayment,
    ReceiptStatus,
    TimeoutError_,
)
from omni_sandbox import get_simulator
from omni_sandbox.checkbox import MSG_NO_SHIFT, CheckboxSimulator

LICENSE = "test-license-key"
PASSWORD = "secret-pass"


@pytest.fixture
def sim():
    with CheckboxSimulator(shift_delay=0.02, receipt_delay=0.05) as simulator:
        yield simulator


def make_client(sim, *, pin="", records=None, cache=None, **kw):
    options = {"timeout": (2, 0.5), "max_retries": 1, "backoff_base": 0.01}
    options.update(kw)
    return CheckboxClient(
        base_url=sim.url, license_key=LICENSE, login="" if pin else "cashier",
        password="" if pin else PASSWORD, pin=pin, client_name="omni-test",
        client_version="1.2", on_call=records.append if records is not None else None,
        token_cache=cache, poll_interval=0.02, poll_timeout=3, **options,
    )


def sale(amount="182.00", kind=PaymentKind.CASHLESS):
    lines = (
        ReceiptLine(code="T100", name="Тестовий товар 1", price=Decimal("55.00"),
                    quantity=Decimal(1), tax_codes=(1,)),
        ReceiptLine(code="T200", name="Тестовий товар 2", price=Decimal("152.00"),
                    quantity=Decimal(1), discount=Decimal("25.00"), tax_codes=(1,)),
    )
    return Receipt(kind=ReceiptKind.SELL, lines=lines,
                   payments=(ReceiptPayment(kind, Decimal(amount)),),
                   email="buyer@example.com", phone="0671234567", order_ref="S00042")


def sell_posts(sim):
    return [r for r in sim.requests if r["path"] == "/api/v1/receipts/sell"]


def test_registered_in_the_cli_registry():
    assert get_simulator("checkbox") is CheckboxSimulator


def test_headers_sign_in_and_token_reuse(sim):
    store = {}
    cache = (lambda: store.get("t"), lambda token: store.__setitem__("t", token))
    records = []
    with make_client(sim, records=records, cache=cache) as client:
        assert client.test_connection().ok
    first = sim.requests[0]
    assert first["path"] == "/api/v1/cashier/signin"
    assert first["headers"]["x-client-name"] == "omni-test"
    assert first["headers"]["x-client-version"] == "1.2"
    assert first["body"].count("***") == 1, "the password is masked in the simulator log"
    info = [r for r in sim.requests if r["path"] == "/api/v1/cash-registers/info"][0]
    assert info["headers"]["x-license-key"] == "***"
    me = [r for r in sim.requests if r["path"] == "/api/v1/cashier/me"][0]
    assert "x-license-key" not in me["headers"], "the licence key goes only where needed"
    assert store["t"].startswith("cbx.")
    text = repr(records)
    assert store["t"] not in text and PASSWORD not in text and LICENSE not in text
    # a second client (another job) reuses the stored token: no sign-in
    sim.requests.clear()
    with make_client(sim, cache=cache) as client:
        client.cashier()
    assert [r["path"] for r in sim.requests] == ["/api/v1/cashier/me"]


def test_expired_token_is_renewed_once(sim):
    store = {}
    cache = (lambda: store.get("t"), lambda token: store.__setitem__("t", token))
    with make_client(sim, cache=cache) as client:
        client.cashier()
        old = store["t"]
        sim.expire_tokens()
        assert client.cashier().full_name == "Тестовий Касир"
    assert store["t"] != old
    assert [r["status"] for r in sim.requests[-3:]] == [401, 200, 200]


def test_pin_sign_in_and_bad_credentials(sim):
    with make_client(sim, pin="1234") as client:
        assert client.cashier().is_test
    assert sim.requests[0]["path"] == "/api/v1/cashier/signinPinCode"
    with make_client(sim, pin="9999") as client, pytest.raises(CheckboxAuthError) as err:
        client.cashier()
    assert "Невірний логін або пароль" in str(err.value)


def test_shift_open_x_report_close_with_z_report(sim):
    with make_client(sim) as client:
        assert client.current_shift() is None
        assert client.close_shift() is None
        shift = client.open_shift()
        assert shift.is_open
        assert client.open_shift().id == shift.id, "opening again returns the open shift"
        assert client.register_info().has_shift
        result = client.issue(sale(), str(uuid.uuid4()))
        assert result.is_done
        totals = client.shift_totals(shift.id)
        assert totals.card_sales == Decimal("182.00")
        x_report = client.x_report()
        assert not x_report.is_z_report and x_report.sell_receipts_count == 1
        closed = client.close_shift()
        assert closed.is_closed and closed.z_report_id
        z_report = client.z_report(closed.id)
        assert z_report.is_z_report and z_report.sales == Decimal("182.00")
        assert "Картка: 182.00" in client.report_text(z_report.id)
        assert client.current_shift() is None


def test_register_busy_with_another_cashier(sim):
    sim.cashier_specs["other"] = {"password": "p2", "pin": "", "license_key": LICENSE,
                                  "name": "Інший"}
    sim.reset()
    sim.open_shift_now("other")
    with make_client(sim) as client, pytest.raises(RegisterBusyError) as err:
        client.open_shift()
    assert "Каса зайнята іншим касиром" in str(err.value)


def test_sale_done_with_fiscal_code_links_and_delivery(sim):
    sim.open_shift_now()
    receipt_id = str(uuid.uuid4())
    with make_client(sim) as client:
        created = client.create_receipt(sale(), receipt_id)
        assert created.status is ReceiptStatus.CREATED and created.id == receipt_id
        done = client.wait_receipt(receipt_id)
        assert done.is_done and done.fiscal_code.startswith("TEST-")
        assert done.total == Decimal("182.00")
        assert done.url.endswith(receipt_id) and done.tax_url
        assert client.receipt_pdf(receipt_id).startswith(b"%PDF")
        assert client.receipt_qrcode(receipt_id).startswith(b"\x89PNG")
        assert done.fiscal_code in client.receipt_text(receipt_id)
        assert client.links(receipt_id)["pdf"].endswith(f"/receipts/{receipt_id}/pdf")
        client.send_email(receipt_id, "buyer@example.com")
        client.send_sms(receipt_id, "+380671234567")
    body = json.loads(sell_posts(sim)[0]["body"])
    assert body["id"] == receipt_id
    assert body["goods"][1]["quantity"] == 1000 and body["goods"][1]["good"]["price"] == 15200
    assert body["goods"][1]["good"]["tax"] == [1]
    assert body["goods"][1]["discounts"][0]["value"] == 2500
    assert body["payments"] == [{"type": "CASHLESS", "value": 18200, "label": "Картка"}]
    assert body["delivery"] == {"email": "buyer@example.com", "phone": "380671234567"}
    assert sim.sent == [(receipt_id, "email", "buyer@example.com"),
                        (receipt_id, "sms", "380671234567")]


def test_return_linked_to_the_sale(sim):
    sim.open_shift_now()
    sell_id, return_id = str(uuid.uuid4()), str(uuid.uuid4())
    with make_client(sim) as client:
        assert client.issue(sale(), sell_id).is_done
        refund = Receipt(kind=ReceiptKind.RETURN, lines=sale().lines,
                         payments=sale().payments, related_receipt_id=sell_id)
        result = client.issue(refund, return_id)
    assert result.is_done and result.kind is ReceiptKind.RETURN
    body = json.loads(sell_posts(sim)[1]["body"])
    assert body["goods"][0]["is_return"] is True and body["related_receipt_id"] == sell_id


def test_service_in_and_out(sim):
    sim.open_shift_now()
    with make_client(sim) as client:
        inside = client.service(Decimal("500.00"), str(uuid.uuid4()))
        outside = client.service(Decimal("200.00"), str(uuid.uuid4()), out=True)
        assert client.wait_receipt(inside.id).kind is ReceiptKind.SERVICE_IN
        assert client.wait_receipt(outside.id).kind is ReceiptKind.SERVICE_OUT
        shift = client.current_shift()
        assert client.shift_totals(shift.id).balance == Decimal("300.00")
    bodies = [json.loads(r["body"]) for r in sim.requests
              if r["path"] == "/api/v1/receipts/service"]
    assert [b["payment"]["value"] for b in bodies] == [50000, -20000]


def test_refusals_are_typed_in_checkboxs_words(sim):
    with make_client(sim) as client:
        with pytest.raises(ShiftNotOpenedError) as err:
            client.create_receipt(sale(), str(uuid.uuid4()))
        assert str(err.value).startswith(MSG_NO_SHIFT)
        assert not err.value.retryable
        sim.open_shift_now()
        # the neutral Receipt refuses short payments before sending: send the raw body
        with pytest.raises(PaymentMismatchError) as err:
            client._call("POST", "/receipts/sell", json={
                "id": str(uuid.uuid4()),
                "goods": [{"good": {"code": "A", "name": "A", "price": 100}, "quantity": 1000}],
                "payments": [{"type": "CASH", "value": 50}]})
        assert "Сума оплат менша за суму чеку" in str(err.value)
        with pytest.raises(ReceiptValidationError) as err:
            client._call("POST", "/receipts/sell", json={
                "goods": [{"good": {"code": "A", "name": "A", "price": 100}, "quantity": 1.5}],
                "payments": [{"type": "CASH", "value": 50}]})
        assert err.value.message == (
            "Validation error: goods 1, quantity: value is not a valid integer")


def test_receipt_ending_in_error_carries_the_reason(sim):
    sim.open_shift_now()
    sim.fail_next_receipts("Помилка ДПС: невірний підпис")
    with make_client(sim) as client:
        result = client.issue(sale(), str(uuid.uuid4()))
    assert result.status is ReceiptStatus.ERROR
    assert result.message == "Помилка ДПС: невірний підпис" and not result.fiscal_code


def test_timeout_after_creation_returns_the_same_receipt(sim):
    """The register created the receipt, the answer was lost: the retry finds it."""
    sim.open_shift_now()
    sim.faults.add("timeout", path="/api/v1/receipts/sell", after=True, seconds=2)
    receipt_id = str(uuid.uuid4())
    with make_client(sim) as client:
        first = client.create_receipt(sale(), receipt_id)  # settled by GET in the same call
        again = client.issue(sale(), receipt_id)  # the caller retries anyway
    assert first.id == again.id == receipt_id and again.is_done
    assert len(sell_posts(sim)) == 2, "sent twice, answered 'exists' the second time"
    assert sim.sell_posts == 2 and len(sim.receipts_by_status()) == 1


def test_timeout_before_creation_raises_and_the_retry_creates_it(sim):
    sim.open_shift_now()
    sim.faults.add("timeout", path="/api/v1/receipts/sell", seconds=2)
    receipt_id = str(uuid.uuid4())
    with make_client(sim) as client:
        with pytest.raises(TimeoutError_):
            client.create_receipt(sale(), receipt_id)
        with pytest.raises(NotFoundError):
            client.get_receipt(receipt_id)
        assert client.issue(sale(), receipt_id).is_done
    assert len(sim.receipts_by_status("DONE")) == 1


def test_5xx_after_creation_is_settled_by_lookup(sim):
    sim.open_shift_now()
    sim.faults.add("status", path="/api/v1/receipts/sell", status=502, after=True)
    receipt_id = str(uuid.uuid4())
    with make_client(sim) as client:
        assert client.issue(sale(), receipt_id).is_done
    assert len(sim.receipts_by_status()) == 1


def test_offline_mode(sim):
    sim.open_shift_now()
    with make_client(sim) as client:
        client.go_offline()
        assert client.register_info().offline_mode
        assert not client.ping_tax_service()
        result = client.issue(sale(), str(uuid.uuid4()))
        assert result.is_done and result.fiscal_code.startswith("TEST-OFF")
        client.go_online()
        assert not client.register_info().offline_mode
        assert client.ping_tax_service()


def test_taxes_of_the_organisation(sim):
    with make_client(sim) as client:
        codes = {tax["code"]: tax["rate"] for tax in client.taxes()}
    assert codes[1] == 20.0
