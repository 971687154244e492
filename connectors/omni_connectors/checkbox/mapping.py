"""Checkbox payloads to and from the neutral fiscal classes; pure functions.

Money on the wire is integer kopecks, quantities integer thousandths
(1 pc = 1000). :func:`fit_lines` turns order lines (a unit price and the
line total the buyer pays, VAT included) into receipt lines whose
register-computed totals add up to the order total to the kopeck.
:func:`receipt_payload` builds the body of ``POST /receipts/sell`` (or
``/receipts/service``); the ``parse_*`` functions read answers tolerantly
(optional fields, several datetime formats) and raise
:class:`~omni_connectors.core.errors.PayloadError` naming what is missing.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from ..core.errors import PayloadError
from ..core.fiscal import (
    THOUSAND,
    PaymentKind,
    ReceiptKind,
    ReceiptLine,
    ReceiptResult,
    ReceiptStatus,
    Shift,
    ShiftStatus,
    normalize_receipt_id,
    quantity_thousandths,
)
from ..core.money import from_kopecks, to_decimal, to_kopecks
from ..core.phone import format_phone

#: payment names from the official list, printed on receipts (editable per register)
DEFAULT_LABELS = {PaymentKind.CASH: "Готівка", PaymentKind.CASHLESS: "Картка"}
#: the public receipt page
PUBLIC_RECEIPT_URL = "https://check.checkbox.ua/{id}"
#: longest text Checkbox prints in a good's name
NAME_LIMIT = 256


# ------------------------------------------------------------------ lines
@dataclass(frozen=True)
class LineSpec:
    """An order line as the buyer pays it: what :func:`fit_lines` takes.

    ``unit_price`` is the list price of one unit with taxes included (UAH),
    ``total`` what the line costs after its discounts, taxes included.
    """

    code: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    tax_codes: tuple = ()
    barcode: str = ""
    uktzed: str = ""


def _gross(price_kopecks, thousandths):
    """Price times quantity rounded half up, in kopecks, as the register computes it."""
    return (price_kopecks * thousandths + 500) // 1000


def _fit_one(spec, wanted):
    """(price kopecks, discount kopecks) so that the line costs exactly ``wanted``."""
    thousandths = quantity_thousandths(spec.quantity)
    price = max(0, to_kopecks(spec.unit_price))
    if _gross(price, thousandths) < wanted:
        # the unit price cannot reach the total (rounding, an extra charge):
        # the smallest price that does, the rest is a discount
        exact = (Decimal(wanted) * THOUSAND - 500) / Decimal(thousandths)
        price = int(exact.to_integral_value(rounding=ROUND_CEILING))
        while _gross(price, thousandths) < wanted:
            price += 1
    return price, _gross(price, thousandths) - wanted


def fit_lines(specs, total=None):
    """Receipt lines for ``specs`` whose totals add up to ``total`` (UAH) exactly.

    Each line keeps its unit price and gets a discount equal to what the
    buyer did not pay of it (the order's discount, the rounding of
    VAT-included totals). ``total`` defaults to the sum of the line totals;
    a different order total (taxes rounded on the whole order) is made up
    on the largest line, so the register's total equals it to the kopeck.
    A line the buyer pays nothing for stays at price 0 (see the zero-price
    setting of the caller). ValueError when the lines cannot make the total.
    """
    specs = list(specs)
    if not specs:
        raise ValueError("no lines to fit")
    wanted = [to_kopecks(spec.total) for spec in specs]
    if any(value < 0 for value in wanted):
        raise ValueError("a line total is negative")
    target = sum(wanted) if total is None else to_kopecks(total)
    gap = target - sum(wanted)
    if gap:
        largest = max(range(len(specs)), key=lambda i: wanted[i])
        wanted[largest] += gap
        if wanted[largest] < 0:
            raise ValueError("the order total is below what its lines can make")
    lines = []
    for spec, amount in zip(specs, wanted, strict=True):
        price, discount = _fit_one(spec, amount)
        lines.append(
            ReceiptLine(
                code=str(spec.code),
                name=str(spec.name)[:NAME_LIMIT],
                price=from_kopecks(price),
                quantity=to_decimal(spec.quantity),
                discount=from_kopecks(discount),
                tax_codes=tuple(spec.tax_codes or ()),
                barcode=spec.barcode or "",
                uktzed=spec.uktzed or "",
            )
        )
    return tuple(lines)


# ---------------------------------------------------------------- payload
def _tax_code(code):
    """Checkbox takes tax codes as integers or letters."""
    text = str(code).strip()
    return int(text) if text.isdigit() else text


def _good(line, is_return):
    good = {"code": line.code, "name": line.name, "price": line.price_kopecks}
    if line.tax_codes:
        good["tax"] = [_tax_code(code) for code in line.tax_codes]
    if line.barcode:
        good["barcode"] = line.barcode
    if line.uktzed:
        good["uktzed"] = line.uktzed
    item = {"good": good, "quantity": line.quantity_thousandths}
    if is_return:
        item["is_return"] = True
    if line.discount_kopecks:
        item["discounts"] = [
            {"type": "DISCOUNT", "mode": "VALUE", "value": line.discount_kopecks,
             "name": "Знижка"}
        ]
    return item


def _payment(payment, labels):
    label = payment.label or labels.get(payment.kind) or DEFAULT_LABELS[payment.kind]
    kind = "CASH" if payment.kind is PaymentKind.CASH else "CASHLESS"
    return {"type": kind, "value": payment.kopecks, "label": label}


def receipt_payload(receipt, receipt_id, *, labels=None):
    """The JSON body for ``receipt`` under the caller's ``receipt_id``.

    Sell and return receipts go to ``/receipts/sell`` (a return's goods carry
    ``is_return``), service receipts to ``/receipts/service`` (one cash
    payment, negative for money taken out).
    """
    labels = labels or {}
    receipt_id = normalize_receipt_id(receipt_id)
    if not receipt.kind.has_goods:
        payment = _payment(receipt.payments[0], labels)
        if receipt.kind is ReceiptKind.SERVICE_OUT:
            payment["value"] = -payment["value"]
        return {"id": receipt_id, "payment": payment}
    is_return = receipt.kind is ReceiptKind.RETURN
    body = {
        "id": receipt_id,
        "goods": [_good(line, is_return) for line in receipt.lines],
        "payments": [_payment(payment, labels) for payment in receipt.payments],
    }
    if receipt.discount:
        body["discounts"] = [
            {"type": "DISCOUNT", "mode": "VALUE", "value": to_kopecks(receipt.discount),
             "name": "Знижка"}
        ]
    if receipt.related_receipt_id:
        body["related_receipt_id"] = receipt.related_receipt_id
    delivery = {}
    if receipt.email:
        delivery["email"] = receipt.email
    if receipt.phone:
        delivery["phone"] = format_phone(receipt.phone, "ua12")
    if delivery:
        body["delivery"] = delivery
    if receipt.cashier_name:
        body["cashier_name"] = receipt.cashier_name
    if receipt.header:
        body["header"] = receipt.header
    if receipt.footer:
        body["footer"] = receipt.footer
    if receipt.order_ref:
        body["context"] = {"order": receipt.order_ref}
    return body


def receipt_path(receipt):
    """The endpoint a receipt is posted to."""
    return "/api/v1/receipts/sell" if receipt.kind.has_goods else "/api/v1/receipts/service"


# ---------------------------------------------------------------- parsing
_KINDS = {
    "SELL": ReceiptKind.SELL,
    "RETURN": ReceiptKind.RETURN,
    "SERVICE_IN": ReceiptKind.SERVICE_IN,
    "SERVICE_OUT": ReceiptKind.SERVICE_OUT,
}


def parse_datetime(value):
    """A Checkbox datetime (ISO with or without zone, ``Z``, space separator) or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"not a date: {value!r}", details=value)
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"not a date: {value!r}", details=value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _object(data, what):
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: expected an object, got {type(data).__name__}",
                           details=data)
    return data


def _kopecks(value, what):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{what}: not an amount: {value!r}", details=value)
    try:
        return from_kopecks(value)
    except PayloadError:
        raise PayloadError(f"{what}: not an amount: {value!r}", details=value) from None


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def parse_receipt(data, *, public_url=PUBLIC_RECEIPT_URL):
    """A receipt answer (``ReceiptOperativeDTO``) as a :class:`ReceiptResult`."""
    data = _object(data, "receipt")
    try:
        receipt_id = normalize_receipt_id(data.get("id"))
    except ValueError:
        raise PayloadError(f"receipt without a valid id: {data.get('id')!r}",
                           details=data) from None
    status = data.get("status")
    if not isinstance(status, str) or status not in ReceiptStatus._value2member_map_:
        raise PayloadError(f"receipt {receipt_id}: unknown status {status!r}", details=data)
    transaction = data.get("transaction") if isinstance(data.get("transaction"), dict) else {}
    message = _text(transaction.get("response_error_message"))
    if status == "ERROR" and not message:
        message = _text(transaction.get("response_status")) or "ERROR"
    fiscal_code = data.get("fiscal_code")
    fiscal_code = str(fiscal_code).strip() if fiscal_code not in (None, "") else ""
    if status == "DONE" and not fiscal_code:
        raise PayloadError(f"receipt {receipt_id} is DONE without a fiscal code", details=data)
    return ReceiptResult(
        id=receipt_id,
        status=status,
        kind=_KINDS.get(data["type"]) if isinstance(data.get("type"), str) else None,
        fiscal_code=fiscal_code,
        fiscal_date=parse_datetime(data.get("fiscal_date")),
        total=_kopecks(data.get("total_sum"), f"receipt {receipt_id} total_sum"),
        url=public_url.format(id=receipt_id) if status == "DONE" else "",
        tax_url=_text(data.get("tax_url")),
        pdf_available=status == "DONE",
        message=message,
        shift_id=str(data.get("shift_id") or ""),
    )


def parse_shift(data):
    """A shift answer as a :class:`Shift`; None for JSON ``null`` (no shift)."""
    if data is None:
        return None
    data = _object(data, "shift")
    shift_id = data.get("id")
    if not isinstance(shift_id, str) or not shift_id:
        raise PayloadError("shift without an id", details=data)
    status = data.get("status")
    if not isinstance(status, str) or status not in ShiftStatus._value2member_map_:
        raise PayloadError(f"shift {shift_id}: unknown status {status!r}", details=data)
    balance = data.get("balance") if isinstance(data.get("balance"), dict) else {}
    z_report = data.get("z_report") if isinstance(data.get("z_report"), dict) else {}
    serial = data.get("serial")
    return Shift(
        id=shift_id,
        status=status,
        serial=serial if isinstance(serial, int) and not isinstance(serial, bool) else None,
        opened_at=parse_datetime(data.get("opened_at")),
        closed_at=parse_datetime(data.get("closed_at")),
        balance=_kopecks(balance.get("balance"), f"shift {shift_id} balance"),
        z_report_id=str(z_report.get("id") or ""),
    )


@dataclass(frozen=True)
class ShiftTotals:
    """Money of one shift so far, UAH: what the manager sees as today's totals."""

    cash_sales: Decimal = Decimal(0)
    card_sales: Decimal = Decimal(0)
    cash_returns: Decimal = Decimal(0)
    card_returns: Decimal = Decimal(0)
    service_in: Decimal = Decimal(0)
    service_out: Decimal = Decimal(0)
    balance: Decimal = Decimal(0)

    @property
    def sales(self):
        return self.cash_sales + self.card_sales

    @property
    def returns(self):
        return self.cash_returns + self.card_returns


def parse_totals(data):
    """The ``balance`` object of a shift as :class:`ShiftTotals` (missing sums are 0)."""
    data = _object(data or {}, "shift")
    balance = data.get("balance") if isinstance(data.get("balance"), dict) else {}
    values = {}
    for name in ShiftTotals.__dataclass_fields__:
        amount = _kopecks(balance.get(name), f"shift balance {name}")
        values[name] = amount if amount is not None else Decimal(0)
    return ShiftTotals(**values)


@dataclass(frozen=True)
class Report:
    """An X or Z report: counts and money per payment type, UAH."""

    id: str
    serial: int | None = None
    is_z_report: bool = False
    fiscal_code: str = ""
    sell_receipts_count: int = 0
    return_receipts_count: int = 0
    sales: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    payments: tuple = ()  # of (type, label, sell sum, return sum)
    created_at: dt.datetime | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def parse_report(data):
    """A report answer (``shift.z_report`` or ``POST /reports``) as a :class:`Report`."""
    data = _object(data, "report")
    report_id = data.get("id")
    if not isinstance(report_id, str) or not report_id:
        raise PayloadError("report without an id", details=data)
    payments = []
    for item in data.get("payments") or ():
        if not isinstance(item, dict):
            raise PayloadError(f"report {report_id}: a payment is not an object", details=data)
        payments.append((
            _text(item.get("type")),
            _text(item.get("label")),
            _kopecks(item.get("sell_sum"), f"report {report_id} sell_sum") or Decimal(0),
            _kopecks(item.get("return_sum"), f"report {report_id} return_sum") or Decimal(0),
        ))
    serial = data.get("serial")
    return Report(
        id=report_id,
        serial=serial if isinstance(serial, int) and not isinstance(serial, bool) else None,
        is_z_report=bool(data.get("is_z_report")),
        fiscal_code=str(data.get("fiscal_code") or ""),
        sell_receipts_count=_count(data.get("sell_receipts_count")),
        return_receipts_count=_count(data.get("return_receipts_count")),
        sales=sum((p[2] for p in payments), Decimal(0)),
        returns=sum((p[3] for p in payments), Decimal(0)),
        payments=tuple(payments),
        created_at=parse_datetime(data.get("created_at")),
        raw=data,
    )


@dataclass(frozen=True)
class RegisterInfo:
    """``GET /cash-registers/info``: the register and whether it works offline."""

    id: str
    fiscal_number: str = ""
    title: str = ""
    offline_mode: bool = False
    has_shift: bool = False
    is_test: bool = False


def parse_register(data):
    data = _object(data, "cash register")
    register_id = data.get("id")
    if not isinstance(register_id, str) or not register_id:
        raise PayloadError("cash register without an id", details=data)
    return RegisterInfo(
        id=register_id,
        fiscal_number=str(data.get("fiscal_number") or ""),
        title=_text(data.get("title")),
        offline_mode=bool(data.get("offline_mode")),
        has_shift=bool(data.get("has_shift")),
        is_test=bool(data.get("is_test")),
    )


@dataclass(frozen=True)
class Cashier:
    """``GET /cashier/me``: who signs, and until when the signing key is valid."""

    id: str
    full_name: str = ""
    certificate_end: dt.datetime | None = None
    is_test: bool = False


def parse_cashier(data):
    data = _object(data, "cashier")
    cashier_id = data.get("id")
    if not isinstance(cashier_id, str) or not cashier_id:
        raise PayloadError("cashier without an id", details=data)
    return Cashier(
        id=cashier_id,
        full_name=_text(data.get("full_name")),
        certificate_end=parse_datetime(data.get("certificate_end")),
        is_test=bool(data.get("is_test")),
    )


# ----------------------------------------------------------------- errors
def error_text(data, fallback=""):
    """Checkbox's own words from an error body: the message, then each field's problem.

    ``{"message": "Validation error", "detail": [{"loc": ["body", "goods", 0,
    "quantity"], "msg": "value is not a valid integer"}]}`` reads
    ``Validation error: goods 1, quantity: value is not a valid integer``
    (positions counted from 1, as a person counts lines).
    """
    if not isinstance(data, dict):
        return fallback
    message = _text(data.get("message")) or _text(data.get("error"))
    detail = data.get("detail")
    parts = []
    if isinstance(detail, str) and detail.strip():
        parts.append(detail.strip())
    elif isinstance(detail, list):
        for item in detail[:5]:
            if not isinstance(item, dict):
                continue
            where = ""
            for part in item.get("loc") or ():
                if part in ("body", "path", "query"):
                    continue
                if isinstance(part, int) and not isinstance(part, bool):
                    where += f" {part + 1}"
                else:
                    where += f", {part}" if where else str(part)
            text = _text(item.get("msg"))
            if text:
                parts.append(f"{where}: {text}" if where else text)
    if message and parts:
        return f"{message}: {'; '.join(parts)}"
    return message or "; ".join(parts) or fallback
