"""The contract between the Odoo side and a carrier (Nova Poshta).

A carrier client subclasses :class:`CarrierClient` and implements the
underscored hooks; the public methods around them enforce the rules below
once for every carrier. The neutral classes of this module say what a
shipment is, what it costs and where it stands, in words every carrier can
be mapped to.

Rules every carrier client follows, besides those of every client
(:mod:`omni_connectors.core.base`):

* **one waybill per reference.** :meth:`CarrierClient.create_waybill`
  takes a ``reference`` chosen by the caller and stored before the first
  attempt (the picking's name, an order number). Nova Poshta's
  ``InternetDocument.save`` is not idempotent: a save whose answer was lost
  (a timeout, a 5xx after the work was done) and is sent again creates a
  second waybill, and the sender pays for both. So the client sends the
  reference with the waybill where the carrier keeps it (Nova Poshta:
  ``InfoRegClientBarcodes``, which tracking and the cabinet's document list
  show) and :meth:`CarrierClient.create_waybill` first asks
  :meth:`CarrierClient.find_waybill` for a waybill already made with it;
  only when there is none does it create one. A retry with the same
  reference therefore returns the first waybill. Two concurrent calls with
  one reference could both find nothing: the caller serialises them (the
  Odoo side holds a lock on the picking);
* **tracking in batches.** :meth:`CarrierClient.track` takes at most
  ``track_batch_limit`` numbers (Nova Poshta: 100 per
  ``TrackingDocument.getStatusDocuments``) and refuses more with
  ``ValueError``; :meth:`CarrierClient.track_all` splits a longer list. It
  returns one :class:`TrackingStatus` per distinct number, in the order
  asked; a number the carrier does not report comes back as
  :attr:`TrackingState.UNKNOWN`. A raw status code the client does not know
  is mapped to ``IN_TRANSIT`` and kept in ``code``;
* **cancelling twice is not an error.** :meth:`CarrierClient.cancel_waybill`
  accepts a :class:`Waybill`, its ``ref`` or its number; a waybill already
  deleted counts as cancelled (the first attempt's answer may have been
  lost). A carrier that refuses (the parcel was handed over, the waybill is
  in a registry) raises ``ValidationError``;
* **labels are bytes.** :meth:`CarrierClient.label` returns the document the
  carrier renders (PDF unless asked otherwise) for at most
  ``label_batch_limit`` numbers; the client fetches it server-side, since
  Nova Poshta's print links carry the API key.
"""

import abc
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .base import BaseClient
from .errors import PayloadError
from .money import to_decimal

# -- neutral data --------------------------------------------------------------


def _amount(value, what, *, optional=False, positive=False):
    """``value`` as a finite Decimal (None allowed when ``optional``), else ValueError."""
    if value is None and optional:
        return None
    try:
        amount = to_decimal(value)
    except PayloadError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if amount < 0 or (positive and amount == 0):
        raise ValueError(f"{what} must be {'positive' if positive else 'non-negative'}")
    return amount


def _count(value, what, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be an integer of at least {minimum}")
    return value


class Payer(str, enum.Enum):
    """Who pays the delivery (Nova Poshta PayerType)."""

    SENDER = "sender"
    RECIPIENT = "recipient"
    THIRD_PARTY = "third_party"  # Nova Poshta ThirdPerson: non-cash only


class CodMethod(str, enum.Enum):
    """How the carrier collects the goods' price from the recipient.

    Nova Poshta offers payment control (``AfterpaymentOnGoodsCost``: NovaPay
    pays the sender's bank account, the usual path for businesses) and the
    older money transfer (``BackwardDeliveryData`` with ``CargoType
    Money``), restricted for businesses. Which one an account may use is
    unconfirmed: the default is a setting of the carrier record.
    """

    PAYMENT_CONTROL = "payment_control"
    MONEY_TRANSFER = "money_transfer"


@dataclass(frozen=True, slots=True)
class Party:
    """The sender or the recipient of a shipment, by the carrier's refs and/or by text.

    Nova Poshta takes a recipient either by refs (counterparty, contact,
    city, branch or address) or "by text" (city name, branch number, street,
    house, flat, full name); the client uses whichever the fields allow.
    Names of recipients must be Ukrainian Cyrillic for Nova Poshta.
    """

    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    phone: str = ""  # E.164 or 380XXXXXXXXX; the client formats it
    email: str = ""
    counterparty_ref: str = ""  # Nova Poshta Sender / Recipient
    contact_ref: str = ""  # ContactSender / ContactRecipient
    city_ref: str = ""  # CitySender / CityRecipient (the city, not the settlement)
    city_name: str = ""
    warehouse_ref: str = ""  # branch or postomat ref (SenderAddress / RecipientAddress)
    warehouse_number: str = ""  # branch number, for a waybill "by text"
    address_ref: str = ""  # door address ref (Doors* services)
    street: str = ""
    street_ref: str = ""
    house: str = ""
    flat: str = ""

    @property
    def full_name(self):
        """"Прізвище Ім'я По батькові", as Nova Poshta prints it."""
        parts = (self.last_name, self.first_name, self.middle_name)
        return " ".join(part.strip() for part in parts if part and part.strip())


@dataclass(frozen=True, slots=True)
class Seat:
    """One place of a shipment: weight in kg, dimensions in cm (Nova Poshta OptionsSeat)."""

    weight: Decimal
    length: Decimal
    width: Decimal
    height: Decimal

    def __post_init__(self):
        for name in ("weight", "length", "width", "height"):
            object.__setattr__(
                self, name, _amount(getattr(self, name), f"seat {name}", positive=True)
            )

    @property
    def volume(self):
        """Cubic metres."""
        return self.length * self.width * self.height / Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Shipment:
    """What to ship, from whom to whom, and how it is paid.

    ``weight`` is the actual weight in kg (positive; Nova Poshta's minimum is
    0.1, applied by the client), ``seats`` the number of places; ``places``
    gives each place's weight and dimensions when known (mandatory for
    postomats) and then holds exactly ``seats`` entries. ``declared_value``
    is the value insured (UAH); ``cash_on_delivery`` the amount the recipient
    pays for the goods (None or 0: none), collected by ``cod_method``.
    ``service_type`` and ``cargo_type`` are Nova Poshta's words
    (``WarehouseWarehouse``, ``WarehousePostomat``, ``WarehouseDoors``...;
    ``Parcel``, ``Documents``...), which the neutral order carries too.
    Numbers are stored as Decimal whatever they were given as.
    """

    sender: Party
    recipient: Party
    weight: Decimal
    declared_value: Decimal
    description: str
    seats: int = 1
    places: tuple = ()  # of Seat
    cash_on_delivery: Decimal | None = None
    cod_method: CodMethod = CodMethod.PAYMENT_CONTROL
    payer: Payer = Payer.RECIPIENT
    cod_payer: Payer = Payer.RECIPIENT  # who pays the COD fee: sender or recipient
    non_cash: bool = False  # the payer pays the delivery non-cash (required for THIRD_PARTY)
    service_type: str = "WarehouseWarehouse"
    cargo_type: str = "Parcel"
    dispatch_date: dt.date | None = None  # None: today
    volume: Decimal | None = None  # total m³, when places are not given
    note: str = ""  # additional information printed on the waybill

    def __post_init__(self):
        if not isinstance(self.sender, Party) or not isinstance(self.recipient, Party):
            raise ValueError("sender and recipient must be Party objects")
        object.__setattr__(self, "weight", _amount(self.weight, "weight", positive=True))
        object.__setattr__(
            self, "declared_value", _amount(self.declared_value, "declared value")
        )
        object.__setattr__(
            self,
            "cash_on_delivery",
            _amount(self.cash_on_delivery, "cash on delivery", optional=True),
        )
        object.__setattr__(self, "volume", _amount(self.volume, "volume", optional=True))
        _count(self.seats, "seats")
        places = tuple(self.places or ())
        if places and len(places) != self.seats:
            raise ValueError(f"{len(places)} places given for {self.seats} seats")
        if not all(isinstance(place, Seat) for place in places):
            raise ValueError("places must be Seat objects")
        object.__setattr__(self, "places", places)
        object.__setattr__(self, "payer", Payer(self.payer))
        object.__setattr__(self, "cod_payer", Payer(self.cod_payer))
        object.__setattr__(self, "cod_method", CodMethod(self.cod_method))
        if self.cod_payer is Payer.THIRD_PARTY:
            raise ValueError("the COD fee is paid by the sender or the recipient")
        if self.payer is Payer.THIRD_PARTY and not self.non_cash:
            raise ValueError("a third party pays non-cash only")
        if not (self.description or "").strip():
            raise ValueError("a shipment needs a description of its contents")

    @property
    def has_cod(self):
        return bool(self.cash_on_delivery)


@dataclass(frozen=True, slots=True)
class RateQuote:
    """What a shipment would cost (Nova Poshta getDocumentPrice / getDocumentDeliveryDate)."""

    cost: Decimal  # delivery price
    cod_fee: Decimal | None = None  # price of collecting the COD (CostRedelivery)
    assessed_value: Decimal | None = None  # value the tariff assumed (AssessedCost)
    estimated_delivery: dt.date | None = None
    currency: str = "UAH"

    def __post_init__(self):
        object.__setattr__(self, "cost", _amount(self.cost, "cost"))
        object.__setattr__(self, "cod_fee", _amount(self.cod_fee, "COD fee", optional=True))
        object.__setattr__(
            self,
            "assessed_value",
            _amount(self.assessed_value, "assessed value", optional=True),
        )

    @property
    def total(self):
        """Delivery and COD fee together."""
        return self.cost + (self.cod_fee or Decimal(0))


@dataclass(frozen=True, slots=True)
class Waybill:
    """A created waybill (TTN, "ЕН"): the number customers track and the carrier's ref."""

    number: str  # Nova Poshta IntDocNumber, 14 digits
    ref: str = ""  # Nova Poshta document Ref (update, delete, print)
    cost: Decimal | None = None  # delivery price (CostOnSite)
    estimated_delivery: dt.date | None = None
    reference: str = ""  # the caller's idempotency reference it was created with

    def __post_init__(self):
        if not str(self.number or "").strip():
            raise ValueError("a waybill needs a number")
        object.__setattr__(self, "number", str(self.number).strip())
        object.__setattr__(self, "cost", _amount(self.cost, "cost", optional=True))


class TrackingState(str, enum.Enum):
    """Where a parcel stands, in words every carrier's codes can be mapped to."""

    CREATED = "created"  # waybill made, parcel not yet handed over
    IN_TRANSIT = "in_transit"  # with the carrier, on the way (and unknown codes)
    ARRIVED = "arrived"  # at the branch or postomat, waiting for the recipient
    DELIVERED = "delivered"  # received by the recipient
    REFUSED = "refused"  # the recipient refused it
    RETURNING = "returning"  # on its way back to the sender
    RETURNED = "returned"  # back with the sender
    CANCELLED = "cancelled"  # waybill deleted before hand-over
    UNKNOWN = "unknown"  # the carrier does not know the number

    @property
    def is_final(self):
        """No further change is expected (tracking may stop)."""
        return self in (TrackingState.DELIVERED, TrackingState.RETURNED, TrackingState.CANCELLED)


@dataclass(frozen=True, slots=True)
class TrackingStatus:
    """The tracking answer for one waybill number.

    ``code`` and ``text`` are the carrier's own (Nova Poshta StatusCode and
    Status); ``state`` is the neutral reading of the code. ``cod_amount`` is
    the amount collected from the recipient when the carrier reports it
    (RedeliverySum, AfterpaymentOnGoodsCost); ``cod_paid`` is True once the
    carrier reports the money paid out to the sender (Nova Poshta code 11),
    False while it is not, None when the carrier does not say. ``cod_fee`` is
    the carrier's fee for transferring that money when it reports one (Nova
    Poshta LastAmountReceivedCommissionGM), None when it does not say.
    """

    number: str
    state: TrackingState
    code: str = ""
    text: str = ""
    date: dt.datetime | None = None  # when the status last changed
    cod_amount: Decimal | None = None
    cod_paid: bool | None = None
    scheduled_delivery: dt.date | None = None
    cod_fee: Decimal | None = None
    ref: str = ""  # the carrier's document ref, when it tells it
    details: dict = field(default_factory=dict, compare=False)  # the carrier's raw item

    def __post_init__(self):
        if not str(self.number or "").strip():
            raise ValueError("a tracking status needs a number")
        object.__setattr__(self, "state", TrackingState(self.state))
        object.__setattr__(
            self, "cod_amount", _amount(self.cod_amount, "COD amount", optional=True)
        )
        object.__setattr__(self, "cod_fee", _amount(self.cod_fee, "COD fee", optional=True))


# -- the contract ---------------------------------------------------------------


def _numbers(numbers, limit, what):
    """Distinct, stripped waybill numbers in the order given; ValueError above ``limit``."""
    if isinstance(numbers, (str, bytes)):
        raise ValueError(f"{what} takes a sequence of numbers, not one string")
    result = []
    for number in numbers:
        text = str(number or "").strip()
        if not text:
            raise ValueError(f"{what}: an empty waybill number")
        if text not in result:
            result.append(text)
    if not result:
        raise ValueError(f"{what}: no waybill number given")
    if len(result) > limit:
        raise ValueError(f"{len(result)} numbers exceed the {what} limit of {limit}")
    return result


class CarrierClient(BaseClient):
    """A carrier account: rates, waybills, tracking, labels. See the module's rules."""

    #: most numbers one tracking request may carry (Nova Poshta: 100)
    track_batch_limit = 100
    #: most numbers one label request may carry (Nova Poshta: not documented)
    label_batch_limit = 100
    #: formats label() accepts
    label_formats = ("pdf", "html")
    #: layouts label() accepts (Nova Poshta: the A4 document, A4 marking
    #: sheets, 85x85 and 100x100 mm labels)
    label_layouts = ("document", "marking", "85x85", "100x100")
    #: longest idempotency reference the carrier can store with a waybill
    reference_max_length = 36  # unconfirmed for InfoRegClientBarcodes: easy to change

    @abc.abstractmethod
    def rate(self, shipment: Shipment) -> RateQuote:
        """Price (and delivery date) of ``shipment``; creates nothing."""

    def create_waybill(self, shipment: Shipment, reference: str) -> Waybill:
        """Create the waybill of ``shipment``, or return the one made with ``reference``.

        ``reference`` is the caller's idempotency reference, stored before the
        first attempt; a retry with it never creates a second waybill (see
        the module's rules).
        """
        reference = self._check_reference(reference)
        existing = self.find_waybill(reference)
        if existing is not None:
            return existing
        return self._create_waybill(shipment, reference)

    def _check_reference(self, reference):
        text = str(reference or "").strip()
        if not text:
            raise ValueError("a waybill needs an idempotency reference")
        if len(text) > self.reference_max_length:
            raise ValueError(
                f"reference {text!r} is longer than {self.reference_max_length} characters"
            )
        return text

    @abc.abstractmethod
    def find_waybill(self, reference: str) -> Waybill | None:
        """The waybill created with ``reference`` and not deleted, or None."""

    @abc.abstractmethod
    def _create_waybill(self, shipment: Shipment, reference: str) -> Waybill:
        """Create a waybill carrying ``reference`` (called when none exists yet)."""

    @abc.abstractmethod
    def cancel_waybill(self, waybill: "Waybill | str") -> None:
        """Delete a waybill not yet handed over (by Waybill, ref or number)."""

    def track(self, numbers: Sequence[str]) -> list:
        """Statuses of at most ``track_batch_limit`` waybills, one per distinct number."""
        wanted = _numbers(numbers, self.track_batch_limit, "tracking")
        found = {}
        for status in self._track(wanted):
            found.setdefault(status.number, status)
        return [
            found.get(number) or TrackingStatus(number, TrackingState.UNKNOWN)
            for number in wanted
        ]

    def track_all(self, numbers: Sequence[str]) -> list:
        """Like :meth:`track` for any number of waybills, in batches."""
        if isinstance(numbers, (str, bytes)):
            raise ValueError("track_all takes a sequence of numbers, not one string")
        wanted = list(dict.fromkeys(str(n or "").strip() for n in numbers))
        statuses = []
        for start in range(0, len(wanted), self.track_batch_limit):
            statuses.extend(self.track(wanted[start : start + self.track_batch_limit]))
        return statuses

    @abc.abstractmethod
    def _track(self, numbers: list) -> list:
        """Ask the carrier about ``numbers`` (distinct, within the limit)."""

    def label(self, numbers: Sequence[str], fmt: str = "pdf", *, layout: str = "document") -> bytes:
        """The printable document of the waybills ``numbers`` (at most ``label_batch_limit``).

        ``fmt`` is one of ``label_formats``, ``layout`` one of ``label_layouts``.
        """
        if fmt not in self.label_formats:
            raise ValueError(f"label format {fmt!r} is not one of {self.label_formats}")
        if layout not in self.label_layouts:
            raise ValueError(f"label layout {layout!r} is not one of {self.label_layouts}")
        wanted = _numbers(numbers, self.label_batch_limit, "label")
        content = self._label(wanted, fmt, layout)
        if not isinstance(content, (bytes, bytearray)) or not content:
            raise PayloadError(f"the carrier returned no {fmt} document")
        return bytes(content)

    @abc.abstractmethod
    def _label(self, numbers: list, fmt: str, layout: str) -> bytes:
        """Fetch the document (called with checked arguments)."""
