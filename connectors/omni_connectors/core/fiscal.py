"""The contract between the Odoo side and a fiscal register (Checkbox, a PRRO).

A fiscal client subclasses :class:`FiscalClient` and implements the
underscored hooks and the shift methods; the public receipt methods around
the hooks enforce the rules below once for every register. The neutral
classes describe a receipt in hryvnias (Decimal); the register's units are
produced here: Checkbox takes money in kopecks and quantities in thousandths,
both integers (:attr:`ReceiptLine.price_kopecks`,
:attr:`ReceiptLine.quantity_thousandths`, :attr:`ReceiptPayment.kopecks`).

Rules every fiscal client follows, besides those of every client
(:mod:`omni_connectors.core.base`):

* **one receipt per UUID.** :meth:`FiscalClient.create_receipt` takes a
  ``receipt_id`` (a UUID) generated and stored by the caller before the
  first attempt, and sends it as the receipt's id, which the register keeps
  unique. When the answer is lost or refused (a timeout, a 5xx, a
  duplicate-id refusal, an unreadable answer), the client asks
  :meth:`FiscalClient.get_receipt` for that id: a receipt found is the
  result; ``NotFoundError`` means it was never registered, and the original
  error is raised so that the caller tries again later with the **same**
  id. A retry therefore never issues a second fiscal receipt;
* fiscalisation is asynchronous: a result in status ``CREATED`` is polled
  with :meth:`FiscalClient.get_receipt` until it is final (``DONE`` with a
  fiscal code, or ``ERROR`` with the register's message);
* shifts: :meth:`FiscalClient.open_shift` with a shift already open returns
  that shift; :meth:`FiscalClient.close_shift` closes the open shift with
  its Z report and returns it, or None when no shift was open. A shift may
  not outlast the day it was opened (Checkbox: 24 h), so the caller closes
  it daily;
* receipts carry the kinds :class:`ReceiptKind` lists; a return names the
  sell receipt it refunds in ``related_receipt_id`` when there is one.
"""

import abc
import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .base import BaseClient
from .errors import (
    AuthError,
    NotFoundError,
    OmniConnectorError,
    PayloadError,
    RateLimitError,
)
from .money import from_kopecks, quantize_uah, to_decimal, to_kopecks

THOUSAND = Decimal(1000)
#: most tax codes one good may carry (Checkbox: VAT and excise)
MAX_TAXES_PER_LINE = 2


def _amount(value, what, *, optional=False):
    if value is None and optional:
        return None
    try:
        amount = to_decimal(value)
    except PayloadError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if amount < 0:
        raise ValueError(f"{what} must not be negative")
    return amount


def quantity_thousandths(quantity):
    """A quantity in the register's unit, thousandths (1 pc -> 1000, 0.5 kg -> 500).

    A quantity with more than three decimals cannot be fiscalised exactly:
    ValueError instead of a silent rounding.
    """
    amount = _amount(quantity, "quantity")
    scaled = amount * THOUSAND
    if scaled != scaled.to_integral_value():
        raise ValueError(f"quantity {quantity} has more than three decimals")
    return int(scaled)


def normalize_receipt_id(value):
    """A receipt id as the canonical lower-case UUID text; ValueError if it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value or "").strip()))
    except ValueError:
        raise ValueError(f"receipt id {value!r} is not a UUID") from None


class ReceiptKind(str, enum.Enum):
    """Kinds of fiscal receipt (Checkbox type SELL, RETURN, SERVICE_IN, SERVICE_OUT)."""

    SELL = "sell"
    RETURN = "return"  # Checkbox: goods with is_return on /receipts/sell
    SERVICE_IN = "service_in"  # cash put into the drawer (no goods)
    SERVICE_OUT = "service_out"  # cash taken out of the drawer (no goods)

    @property
    def has_goods(self):
        return self in (ReceiptKind.SELL, ReceiptKind.RETURN)


class PaymentKind(str, enum.Enum):
    """How the buyer paid (Checkbox payment type CASH / CASHLESS)."""

    CASH = "cash"
    CASHLESS = "cashless"  # card, online payment, payment control, bank transfer


class ReceiptStatus(str, enum.Enum):
    """Checkbox receipt statuses; DONE, ERROR and CANCELLED are final."""

    CREATED = "CREATED"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLATION = "CANCELLATION"
    CANCELLED = "CANCELLED"


class ShiftStatus(str, enum.Enum):
    """Checkbox shift statuses."""

    CREATED = "CREATED"
    OPENING = "OPENING"
    OPENED = "OPENED"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One good on a receipt: unit price and line discount in UAH, quantity in units.

    ``discount`` is the discount on the whole line in money (a line
    discount of the neutral order); ``tax_codes`` are the register's codes
    (configured per organisation, mapped from Odoo taxes in settings), at
    most two; an untaxed good has none.
    """

    code: str
    name: str
    price: Decimal
    quantity: Decimal
    discount: Decimal = Decimal(0)
    tax_codes: tuple = ()
    barcode: str = ""
    uktzed: str = ""  # the goods classification code, when the good needs one

    def __post_init__(self):
        if not str(self.code or "").strip() or not str(self.name or "").strip():
            raise ValueError("a receipt line needs a code and a name")
        object.__setattr__(self, "price", _amount(self.price, "price"))
        object.__setattr__(self, "quantity", _amount(self.quantity, "quantity"))
        object.__setattr__(self, "discount", _amount(self.discount, "discount"))
        if self.quantity == 0:
            raise ValueError(f"line {self.code}: quantity must be positive")
        quantity_thousandths(self.quantity)
        if self.price != quantize_uah(self.price):
            raise ValueError(f"line {self.code}: price {self.price} has more than two decimals")
        codes = tuple(self.tax_codes or ())
        if len(codes) > MAX_TAXES_PER_LINE:
            raise ValueError(f"line {self.code}: at most {MAX_TAXES_PER_LINE} taxes")
        object.__setattr__(self, "tax_codes", codes)
        if self.discount_kopecks > self.gross_kopecks:
            raise ValueError(f"line {self.code}: the discount exceeds the line")

    @property
    def price_kopecks(self):
        return to_kopecks(self.price)

    @property
    def quantity_thousandths(self):
        return quantity_thousandths(self.quantity)

    @property
    def discount_kopecks(self):
        return to_kopecks(self.discount)

    @property
    def gross_kopecks(self):
        """Price times quantity rounded half up to kopecks, as the register computes it."""
        exact = Decimal(self.price_kopecks * self.quantity_thousandths) / THOUSAND
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def total_kopecks(self):
        return self.gross_kopecks - self.discount_kopecks


@dataclass(frozen=True, slots=True)
class ReceiptPayment:
    """One payment on a receipt, positive.

    ``label`` comes from the official list of payment names ("Готівка", "Картка").
    """

    kind: PaymentKind
    amount: Decimal
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "kind", PaymentKind(self.kind))
        amount = _amount(self.amount, "payment")
        if amount == 0 or amount != quantize_uah(amount):
            raise ValueError(f"payment {amount} must be positive, in whole kopecks")
        object.__setattr__(self, "amount", amount)

    @property
    def kopecks(self):
        return to_kopecks(self.amount)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt to fiscalise.

    Sell and return receipts have goods and payments covering the total
    (goods minus discounts; cash may exceed it, the change is the
    register's). Service receipts (cash in or out of the drawer) have no
    goods and exactly one cash payment.
    """

    kind: ReceiptKind
    lines: tuple = ()  # of ReceiptLine
    payments: tuple = ()  # of ReceiptPayment
    discount: Decimal = Decimal(0)  # on the whole receipt, in UAH
    related_receipt_id: str = ""  # a return: the sell receipt it refunds
    email: str = ""  # the register sends the receipt there
    phone: str = ""
    header: str = ""
    footer: str = ""
    order_ref: str = ""  # the order it belongs to, kept in the receipt's context
    cashier_name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "kind", ReceiptKind(self.kind))
        lines = tuple(self.lines or ())
        payments = tuple(self.payments or ())
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "payments", payments)
        object.__setattr__(self, "discount", _amount(self.discount, "discount"))
        if not all(isinstance(line, ReceiptLine) for line in lines):
            raise ValueError("lines must be ReceiptLine objects")
        if not all(isinstance(payment, ReceiptPayment) for payment in payments):
            raise ValueError("payments must be ReceiptPayment objects")
        if self.related_receipt_id:
            object.__setattr__(
                self, "related_receipt_id", normalize_receipt_id(self.related_receipt_id)
            )
        if not self.kind.has_goods:
            if lines or self.discount:
                raise ValueError(f"a {self.kind.value} receipt has no goods")
            if len(payments) != 1 or payments[0].kind is not PaymentKind.CASH:
                raise ValueError(f"a {self.kind.value} receipt has one cash payment")
            return
        if not lines:
            raise ValueError(f"a {self.kind.value} receipt needs goods")
        if not payments:
            raise ValueError(f"a {self.kind.value} receipt needs payments")
        total = self.total_kopecks
        if total < 0:
            raise ValueError("the receipt discount exceeds the goods")
        paid = sum(payment.kopecks for payment in payments)
        cashless = sum(p.kopecks for p in payments if p.kind is PaymentKind.CASHLESS)
        if paid < total:
            raise ValueError(f"payments {paid} kopecks do not cover the total {total}")
        if cashless > total:
            raise ValueError("cashless payments exceed the total (only cash gives change)")

    @property
    def total_kopecks(self):
        """Goods minus line and receipt discounts, in kopecks (0 for service receipts)."""
        goods = sum(line.total_kopecks for line in self.lines)
        return goods - to_kopecks(self.discount)

    @property
    def total(self):
        return from_kopecks(self.total_kopecks)

    @property
    def paid_kopecks(self):
        return sum(payment.kopecks for payment in self.payments)


@dataclass(frozen=True, slots=True)
class Shift:
    """A register's shift; ``z_report_id`` is set once it closed."""

    id: str
    status: ShiftStatus
    serial: int | None = None
    opened_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    balance: Decimal | None = None  # cash in the drawer, UAH
    z_report_id: str = ""

    def __post_init__(self):
        object.__setattr__(self, "status", ShiftStatus(self.status))
        if self.balance is not None:
            object.__setattr__(self, "balance", to_decimal(self.balance))

    @property
    def is_open(self):
        return self.status is ShiftStatus.OPENED

    @property
    def is_closed(self):
        return self.status is ShiftStatus.CLOSED


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    """What the register knows of a receipt.

    ``fiscal_code`` is the tax authority's number, set once ``DONE``;
    ``url`` the public receipt page, ``tax_url`` the tax authority's check
    page; ``pdf_available`` says whether the register renders a PDF of it
    now (:meth:`FiscalClient.receipt_pdf`); ``message`` the register's
    error text for ``ERROR``.
    """

    id: str
    status: ReceiptStatus
    kind: ReceiptKind | None = None
    fiscal_code: str = ""
    fiscal_date: dt.datetime | None = None
    total: Decimal | None = None
    url: str = ""
    tax_url: str = ""
    pdf_available: bool = False
    message: str = ""
    shift_id: str = ""

    def __post_init__(self):
        object.__setattr__(self, "id", normalize_receipt_id(self.id))
        object.__setattr__(self, "status", ReceiptStatus(self.status))
        if self.kind is not None:
            object.__setattr__(self, "kind", ReceiptKind(self.kind))
        if self.total is not None:
            object.__setattr__(self, "total", to_decimal(self.total))

    @property
    def is_final(self):
        return self.status in (ReceiptStatus.DONE, ReceiptStatus.ERROR, ReceiptStatus.CANCELLED)

    @property
    def is_done(self):
        return self.status is ReceiptStatus.DONE


class FiscalClient(BaseClient):
    """A cash register account: shifts and receipts. See the module's rules."""

    #: receipt kinds the register issues
    receipt_kinds = tuple(ReceiptKind)

    @abc.abstractmethod
    def open_shift(self) -> Shift:
        """Open a shift (or return the one already open)."""

    @abc.abstractmethod
    def close_shift(self) -> Shift | None:
        """Close the open shift with its Z report; None when none was open."""

    @abc.abstractmethod
    def current_shift(self) -> Shift | None:
        """The shift open now (or opening/closing), None when there is none."""

    def create_receipt(self, receipt: Receipt, receipt_id: str) -> ReceiptResult:
        """Register ``receipt`` under the caller's ``receipt_id``; never twice (module rules)."""
        if not isinstance(receipt, Receipt):
            raise ValueError("create_receipt takes a Receipt")
        if receipt.kind not in self.receipt_kinds:
            raise ValueError(f"{type(self).__name__} issues no {receipt.kind.value} receipt")
        receipt_id = normalize_receipt_id(receipt_id)
        try:
            return self._create_receipt(receipt, receipt_id)
        except (AuthError, RateLimitError, NotFoundError):
            raise  # not sent, or refused before anything was registered
        except OmniConnectorError as err:
            try:
                return self.get_receipt(receipt_id)
            except OmniConnectorError:
                # never registered (NotFoundError) or the look-up failed too:
                # the caller tries again later with the same id
                raise err from None

    def get_receipt(self, receipt_id: str) -> ReceiptResult:
        """The receipt registered under ``receipt_id``; NotFoundError when there is none."""
        return self._get_receipt(normalize_receipt_id(receipt_id))

    @abc.abstractmethod
    def _create_receipt(self, receipt: Receipt, receipt_id: str) -> ReceiptResult:
        """Send the receipt with ``receipt_id`` as its id (checked, canonical)."""

    @abc.abstractmethod
    def _get_receipt(self, receipt_id: str) -> ReceiptResult:
        """Read one receipt by its id (checked, canonical); NotFoundError if unknown."""

    def receipt_pdf(self, receipt_id: str) -> bytes:
        """The receipt rendered as PDF (optional: default NotImplementedError)."""
        raise NotImplementedError(f"{type(self).__name__} does not render receipts")
