"""Checkbox payloads: integer units, rounding to the order total, tolerant parsing."""

import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_connectors.checkbox import (
    LineSpec,
    error_text,
    fit_lines,
    parse_receipt,
    parse_report,
    parse_shift,
    receipt_payload,
)
from omni_connectors.checkbox.mapping import parse_register, parse_totals
from omni_connectors.core import (
    PayloadError,
    PaymentKind,
    Receipt,
    ReceiptKind,
    ReceiptPayment,
    ReceiptStatus,
    ShiftStatus,
)

CENT = Decimal("0.01")


def spec(code, qty, unit, total, taxes=(1,)):
    return LineSpec(code=code, name=f"Товар {code}", quantity=Decimal(qty),
                    unit_price=Decimal(unit), total=Decimal(total), tax_codes=taxes)


def payload_total(body):
    """What the register computes from a payload, in kopecks."""
    total = 0
    for item in body["goods"]:
        line = (item["good"]["price"] * item["quantity"] + 500) // 1000
        line -= sum(d["value"] for d in item.get("discounts", ()))
        total += line
    return total - sum(d["value"] for d in body.get("discounts", ()))


def test_fact_sheet_example_in_integer_units():
    lines = fit_lines([spec("T100", 1, "55", "55"), spec("T200", 1, "152", "127")])
    receipt = Receipt(kind=ReceiptKind.SELL, lines=lines,
                      payments=(ReceiptPayment(PaymentKind.CASHLESS, Decimal("182")),))
    body = receipt_payload(receipt, "1b9f5b8e-9d0c-4a53-9c11-0d7c5c1d2e3f")
    assert body["goods"][0] == {"good": {"code": "T100", "name": "Товар T100", "price": 5500,
                                         "tax": [1]}, "quantity": 1000}
    assert body["goods"][1]["discounts"] == [
        {"type": "DISCOUNT", "mode": "VALUE", "value": 2500, "name": "Знижка"}]
    assert body["payments"] == [{"type": "CASHLESS", "value": 18200, "label": "Картка"}]
    assert payload_total(body) == 18200


def test_weighted_goods_and_a_percent_discount_with_vat_included():
    # 0.375 kg at 219.99 UAH/kg with 7 % off: 82.50 before, 76.73 after (VAT inside)
    gross = (Decimal("219.99") * Decimal("0.375")).quantize(CENT, ROUND_HALF_UP)
    paid = (gross * Decimal("0.93")).quantize(CENT, ROUND_HALF_UP)
    (line,) = fit_lines([spec("CHEESE", "0.375", "219.99", paid)])
    assert line.quantity_thousandths == 375 and line.price_kopecks == 21999
    assert line.gross_kopecks == 8250 and line.total_kopecks == 7673


def test_order_total_rounded_on_the_whole_order_is_met_to_the_kopeck():
    # three lines at 33.333.. each: lines round to 33.33, the order to 100.00
    lines = fit_lines([spec("A", 1, "33.33", "33.33")] * 3, total=Decimal("100.00"))
    assert sum(line.total_kopecks for line in lines) == 10000
    assert max(line.price_kopecks for line in lines) == 3334, "the largest line takes the kopeck"


def test_a_total_above_the_unit_price_raises_the_price_not_a_negative_discount():
    (line,) = fit_lines([spec("A", 3, "10.00", "30.05")])
    assert line.total_kopecks == 3005 and line.discount_kopecks >= 0


def test_zero_price_line_stays_zero():
    lines = fit_lines([spec("GIFT", 1, "0", "0"), spec("A", 2, "10", "20")])
    assert lines[0].price_kopecks == 0 and lines[0].total_kopecks == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=50_000),  # quantity in thousandths
            st.integers(min_value=0, max_value=5_000_000),  # unit price, kopecks
            st.integers(min_value=0, max_value=100),  # discount percent
        ),
        min_size=1, max_size=12,
    ),
    st.integers(min_value=-3, max_value=3),  # order rounding gap, kopecks
)
def test_fitted_lines_always_add_up_to_the_order(rows, gap):
    specs = []
    for index, (thousandths, price, percent) in enumerate(rows):
        qty = Decimal(thousandths) / 1000
        unit = Decimal(price) / 100
        total = (unit * qty * (100 - percent) / 100).quantize(CENT, ROUND_HALF_UP)
        specs.append(LineSpec(code=str(index), name="x", quantity=qty, unit_price=unit,
                              total=total))
    wanted = sum(s.total for s in specs) + Decimal(gap) / 100
    if wanted < 0 or max(s.total for s in specs) + Decimal(gap) / 100 < 0:
        return
    lines = fit_lines(specs, total=wanted)
    receipt = Receipt(kind=ReceiptKind.SELL, lines=lines,
                      payments=(ReceiptPayment(PaymentKind.CASH, max(wanted, CENT)),))
    body = receipt_payload(receipt, uuid.uuid4())
    assert payload_total(body) == int(wanted * 100)
    for item in body["goods"]:
        assert isinstance(item["good"]["price"], int) and isinstance(item["quantity"], int)
        for discount in item.get("discounts", ()):
            assert 0 < discount["value"] <= (item["good"]["price"] * item["quantity"] + 500) // 1000


def test_return_service_and_delivery_payloads():
    lines = fit_lines([spec("A", 1, "10", "10")])
    related = str(uuid.uuid4())
    ret = Receipt(kind=ReceiptKind.RETURN, lines=lines, related_receipt_id=related,
                  payments=(ReceiptPayment(PaymentKind.CASH, Decimal("10"), label="Готівка"),),
                  email="a@b.ua", phone="+380 67 123 45 67")
    body = receipt_payload(ret, uuid.uuid4(), labels={PaymentKind.CASH: "ignored"})
    assert body["goods"][0]["is_return"] is True and body["related_receipt_id"] == related
    assert body["payments"][0]["label"] == "Готівка", "the payment's own label wins"
    assert body["delivery"] == {"email": "a@b.ua", "phone": "380671234567"}
    out = Receipt(kind=ReceiptKind.SERVICE_OUT,
                  payments=(ReceiptPayment(PaymentKind.CASH, Decimal("5.5")),))
    assert receipt_payload(out, uuid.uuid4())["payment"]["value"] == -550


# -------------------------------------------------------------- fact sheet answers
DONE = {
    "id": "1b9f5b8e-9d0c-4a53-9c11-0d7c5c1d2e3f", "type": "SELL", "status": "DONE",
    "serial": 12, "goods": [], "payments": [], "total_sum": 18200, "total_payment": 18200,
    "total_rest": 0, "taxes": [], "created_at": "2025-02-01T10:00:00.123456+02:00",
    "shift_id": "s-1", "cashier_id": "c-1", "cash_register_id": "r-1",
    "organization_id": "o-1", "context": None, "fiscal_code": "TEST-abc123",
    "fiscal_date": "2025-02-01 10:00:01", "tax_url": "https://cabinet.tax.gov.ua/x",
    "transaction": {"status": "DONE", "response_status": "OK"},
}


def test_parse_done_receipt():
    result = parse_receipt(DONE)
    assert result.status is ReceiptStatus.DONE and result.kind is ReceiptKind.SELL
    assert result.fiscal_code == "TEST-abc123" and result.total == Decimal("182.00")
    assert result.fiscal_date.year == 2025 and result.fiscal_date.tzinfo is not None
    assert result.url == "https://check.checkbox.ua/1b9f5b8e-9d0c-4a53-9c11-0d7c5c1d2e3f"


def test_parse_error_receipt_and_done_without_code():
    error = dict(DONE, status="ERROR", fiscal_code=None, transaction={
        "status": "ERROR", "response_status": "ERROR",
        "response_error_message": "Зміна перевищила 24 години"})
    assert parse_receipt(error).message == "Зміна перевищила 24 години"
    with pytest.raises(PayloadError):
        parse_receipt(dict(DONE, fiscal_code=None))


def test_parse_shift_report_and_register():
    shift = parse_shift({"id": "s-1", "serial": 3, "status": "CLOSED",
                         "opened_at": "2025-02-01T08:00:00Z", "closed_at": None,
                         "balance": {"balance": 5000, "cash_sales": 7000, "card_sales": 100},
                         "z_report": {"id": "z-1"}})
    assert shift.status is ShiftStatus.CLOSED and shift.z_report_id == "z-1"
    assert shift.balance == Decimal("50.00")
    assert parse_shift(None) is None
    totals = parse_totals({"balance": {"cash_sales": 7000, "card_sales": 100}})
    assert totals.sales == Decimal("71.00") and totals.returns == 0
    report = parse_report({"id": "z-1", "serial": 9, "is_z_report": True,
                           "payments": [{"type": "CASH", "label": "Готівка", "sell_sum": 7000,
                                         "return_sum": 500}],
                           "sell_receipts_count": 4, "return_receipts_count": 1})
    assert report.sales == Decimal("70.00") and report.returns == Decimal("5.00")
    register = parse_register({"id": "r-1", "fiscal_number": "400", "offline_mode": True})
    assert register.offline_mode and not register.has_shift


def test_error_text_reads_message_and_detail():
    body = {"message": "Validation error", "detail": [
        {"loc": ["body", "goods", 0, "quantity"], "msg": "value is not a valid integer",
         "type": "type_error.integer"}]}
    assert error_text(body) == "Validation error: goods 1, quantity: value is not a valid integer"
    assert error_text({"message": "Зміну не відкрито"}) == "Зміну не відкрито"
    assert error_text("nonsense", "fallback") == "fallback"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["id", "status", "type", "fiscal_code", "fiscal_date", "total_sum",
                     "transaction", "tax_url", "shift_id"]),
    json_values,
))
def test_hostile_receipt_answers_raise_only_payload_errors(data):
    mixed = dict(DONE)
    mixed.update(data)
    try:
        result = parse_receipt(mixed)
    except PayloadError:
        return
    assert result.id and result.status in ReceiptStatus


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_hostile_shift_report_and_error_bodies(data):
    for parser in (parse_shift, parse_report, parse_register, parse_totals):
        try:
            parser(data)
        except PayloadError:
            pass
    assert isinstance(error_text(data), str)
