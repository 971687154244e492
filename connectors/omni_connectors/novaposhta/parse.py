"""Nova Poshta payloads to neutral and typed objects: pure functions, no HTTP.

Every parser takes one item of an answer's ``data`` list as the API sends it
(strings for numbers, PHP-style date objects, fields that may be missing)
and either returns a frozen dataclass or raises :class:`PayloadError` naming
what is wrong. Unexpected types never crash a parser with anything else.

Values marked [I] in the fact sheet (status buckets, warehouse types) are
module-level data, easy to change.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.carrier import RateQuote, TrackingState, TrackingStatus, Waybill
from ..core.errors import PayloadError
from ..core.money import to_decimal

# -- data that may change ([I] in the fact sheet) ---------------------------------

#: TypeOfWarehouseRef -> our kind of branch
WAREHOUSE_TYPES = {
    "841339c7-591a-42e2-8233-7a0a00f0ed6f": "branch",
    "9a68df70-0267-42a8-bb5c-37f427e36ee4": "cargo",
    "6f8c7162-4b72-4b0a-88e5-906948c6a92f": "mini",
    "f9316480-5f2d-425d-bc2c-ac7cd29decf0": "postomat",
    "95dc212d-479c-4ffb-a8ab-8c1b9073d0bc": "postomat",
}

#: StatusCode -> neutral state; an unknown code is IN_TRANSIT (kept in ``code``)
STATUS_STATES = {
    "1": TrackingState.CREATED,
    "12": TrackingState.CREATED,
    "2": TrackingState.CANCELLED,
    "3": TrackingState.UNKNOWN,
    "4": TrackingState.IN_TRANSIT,
    "41": TrackingState.IN_TRANSIT,
    "5": TrackingState.IN_TRANSIT,
    "6": TrackingState.IN_TRANSIT,
    "101": TrackingState.IN_TRANSIT,
    "104": TrackingState.IN_TRANSIT,
    "111": TrackingState.IN_TRANSIT,
    "112": TrackingState.IN_TRANSIT,
    "7": TrackingState.ARRIVED,
    "8": TrackingState.ARRIVED,
    "9": TrackingState.DELIVERED,
    "10": TrackingState.DELIVERED,
    "11": TrackingState.DELIVERED,
    "106": TrackingState.DELIVERED,
    "103": TrackingState.REFUSED,
    "102": TrackingState.RETURNING,
    "105": TrackingState.RETURNING,
}
#: codes after which the COD money has been paid out to the sender (money transfer)
COD_PAID_CODES = frozenset(("11",))
#: codes meaning the parcel is on its way back; with ``DateReturnCargo`` in the past it is back
RETURN_CODES = frozenset(("102", "103", "105"))

_DATE_FORMATS = ("%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d")


# -- small helpers -------------------------------------------------------------------


def text(value):
    """A stripped string of a scalar; '' for None, containers and anything odd."""
    if value is None or isinstance(value, (dict, list, tuple, set, bytes)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def decimal_or_none(value):
    """A finite Decimal, or None when the value is empty or not a number."""
    raw = text(value)
    if not raw:
        return None
    try:
        amount = to_decimal(raw)
    except (PayloadError, ValueError, ArithmeticError):
        return None
    if not amount.is_finite():
        return None
    return amount


def int_or_zero(value):
    amount = decimal_or_none(value)
    try:
        return int(amount) if amount is not None and abs(amount) < 10**12 else 0
    except (ValueError, OverflowError):
        return 0


def parse_datetime(value):
    """NP's date forms (``dd-mm-yyyy HH:MM:SS``, ``dd.mm.yyyy``, PHP objects) or None."""
    if isinstance(value, dict):
        value = value.get("date")
    raw = text(value)
    if not raw:
        return None
    raw = raw.split(".", 1)[0] if re.match(r"^\d{4}-\d\d-\d\d \d", raw) else raw
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def parse_date(value):
    when = parse_datetime(value)
    return when.date() if when else None


def _item(item, what):
    if not isinstance(item, dict):
        raise PayloadError(f"Nova Poshta {what}: expected an object, got {type(item).__name__}",
                           details=item)
    return item


def _required(item, key, what):
    value = text(item.get(key))
    if not value:
        raise PayloadError(f"Nova Poshta {what} has no {key}", details=item)
    return value


# -- directories -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    """One city of ``Address.getCities`` (the ref used as CityRecipient)."""

    ref: str
    name: str
    name_ru: str = ""
    area: str = ""
    settlement_type: str = ""
    city_id: str = ""


@dataclass(frozen=True, slots=True)
class Settlement:
    """One result of ``Address.searchSettlements``."""

    ref: str  # settlement ref
    city_ref: str  # DeliveryCity: the ref for CityRecipient and getWarehouses
    name: str
    present: str = ""
    area: str = ""
    region: str = ""
    settlement_type: str = ""
    warehouses: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """Width, height and length in cm (0: not limited)."""

    width: Decimal = Decimal(0)
    height: Decimal = Decimal(0)
    length: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A branch, cargo branch, mini branch or parcel locker with its limits."""

    ref: str
    number: str
    name: str
    city_ref: str
    city_name: str = ""
    kind: str = "branch"  # branch, cargo, mini, postomat
    type_ref: str = ""
    short_address: str = ""
    settlement_ref: str = ""
    area: str = ""
    index: str = ""  # WarehouseIndex, the "digital address"
    status: str = ""
    place_max_weight: Decimal = Decimal(0)
    total_max_weight: Decimal = Decimal(0)
    sending_limits: Limits = field(default_factory=Limits)
    receiving_limits: Limits = field(default_factory=Limits)
    max_declared_cost: Decimal = Decimal(0)
    latitude: str = ""
    longitude: str = ""

    @property
    def is_postomat(self):
        return self.kind == "postomat"


def _limits(value):
    if not isinstance(value, dict):
        return Limits()
    return Limits(*(decimal_or_none(value.get(k)) or Decimal(0)
                    for k in ("Width", "Height", "Length")))


def parse_city(item):
    item = _item(item, "city")
    return City(
        ref=_required(item, "Ref", "city"),
        name=_required(item, "Description", "city"),
        name_ru=text(item.get("DescriptionRu")),
        area=text(item.get("AreaDescription")) or text(item.get("Area")),
        settlement_type=text(item.get("SettlementTypeDescription")),
        city_id=text(item.get("CityID")),
    )


def parse_settlement(item):
    item = _item(item, "settlement")
    return Settlement(
        ref=_required(item, "Ref", "settlement"),
        city_ref=text(item.get("DeliveryCity")),
        name=text(item.get("MainDescription")) or text(item.get("Present")),
        present=text(item.get("Present")),
        area=text(item.get("Area")),
        region=text(item.get("Region")),
        settlement_type=text(item.get("SettlementTypeCode")),
        warehouses=int_or_zero(item.get("Warehouses")),
    )


def parse_settlement_search(data):
    """``searchSettlements`` answers ``[{TotalCount, Addresses: [...]}]``."""
    result = []
    for block in data or ():
        if not isinstance(block, dict):
            continue
        for address in block.get("Addresses") or ():
            try:
                result.append(parse_settlement(address))
            except PayloadError:
                continue
    return result


def parse_warehouse(item):
    item = _item(item, "warehouse")
    type_ref = text(item.get("TypeOfWarehouse"))
    category = text(item.get("CategoryOfWarehouse")).lower()
    kind = WAREHOUSE_TYPES.get(type_ref) or ("postomat" if category == "postomat" else "branch")
    return Warehouse(
        ref=_required(item, "Ref", "warehouse"),
        number=text(item.get("Number")),
        name=_required(item, "Description", "warehouse"),
        city_ref=text(item.get("CityRef")),
        city_name=text(item.get("CityDescription")),
        kind=kind,
        type_ref=type_ref,
        short_address=text(item.get("ShortAddress")),
        settlement_ref=text(item.get("SettlementRef")),
        area=text(item.get("SettlementAreaDescription")),
        index=text(item.get("WarehouseIndex")),
        status=text(item.get("WarehouseStatus")),
        place_max_weight=decimal_or_none(item.get("PlaceMaxWeightAllowed")) or Decimal(0),
        total_max_weight=decimal_or_none(item.get("TotalMaxWeightAllowed")) or Decimal(0),
        sending_limits=_limits(item.get("SendingLimitationsOnDimensions")),
        receiving_limits=_limits(item.get("ReceivingLimitationsOnDimensions")),
        max_declared_cost=decimal_or_none(item.get("MaxDeclaredCost")) or Decimal(0),
        latitude=text(item.get("Latitude")),
        longitude=text(item.get("Longitude")),
    )


@dataclass(frozen=True, slots=True)
class Counterparty:
    ref: str
    name: str
    city_ref: str = ""
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    edrpou: str = ""
    kind: str = ""  # PrivatePerson / Organization


@dataclass(frozen=True, slots=True)
class ContactPerson:
    ref: str
    name: str
    phone: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    ref: str
    name: str


def parse_counterparty(item):
    item = _item(item, "counterparty")
    return Counterparty(
        ref=_required(item, "Ref", "counterparty"),
        name=text(item.get("Description")),
        city_ref=text(item.get("City")),
        first_name=text(item.get("FirstName")),
        last_name=text(item.get("LastName")),
        middle_name=text(item.get("MiddleName")),
        edrpou=text(item.get("EDRPOU")),
        kind=text(item.get("CounterpartyType")),
    )


def parse_contact(item):
    item = _item(item, "contact person")
    return ContactPerson(
        ref=_required(item, "Ref", "contact person"),
        name=text(item.get("Description")),
        phone=text(item.get("Phones")) or text(item.get("Phone")),
        email=text(item.get("Email")),
        first_name=text(item.get("FirstName")),
        last_name=text(item.get("LastName")),
        middle_name=text(item.get("MiddleName")),
    )


def parse_address(item):
    item = _item(item, "address")
    return Address(ref=_required(item, "Ref", "address"), name=text(item.get("Description")))


def parse_recipient(item):
    """``Counterparty.save``: (counterparty ref, contact ref) from the nested envelope."""
    item = _item(item, "recipient")
    ref = _required(item, "Ref", "recipient")
    nested = item.get("ContactPerson")
    contacts = nested.get("data") if isinstance(nested, dict) else None
    if not isinstance(contacts, list) or not contacts or not isinstance(contacts[0], dict):
        raise PayloadError("Nova Poshta recipient has no contact person", details=item)
    return ref, _required(contacts[0], "Ref", "recipient contact")


# -- waybills --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NpWaybill(Waybill):
    """A Nova Poshta waybill: the neutral one, and how its COD was finally sent."""

    cod_method: str = ""  # payment_control / money_transfer / "" (none)
    warnings: tuple = ()


def parse_waybill(item, reference="", cod_method="", warnings=()):
    item = _item(item, "waybill")
    number = _required(item, "IntDocNumber", "waybill")
    return NpWaybill(
        number=number,
        ref=text(item.get("Ref")),
        cost=decimal_or_none(item.get("CostOnSite")) if "CostOnSite" in item
        else decimal_or_none(item.get("Cost")),
        estimated_delivery=parse_date(item.get("EstimatedDeliveryDate")),
        reference=reference or text(item.get("InfoRegClientBarcodes")),
        cod_method=cod_method,
        warnings=tuple(warnings),
    )


def parse_price(item, delivery=None):
    item = _item(item, "price")
    cost = decimal_or_none(item.get("Cost"))
    if cost is None:
        raise PayloadError("Nova Poshta price has no Cost", details=item)
    return RateQuote(
        cost=cost,
        cod_fee=decimal_or_none(item.get("CostRedelivery")),
        assessed_value=decimal_or_none(item.get("AssessedCost")),
        estimated_delivery=delivery,
    )


def parse_delivery_date(item):
    item = _item(item, "delivery date")
    return parse_date(item.get("DeliveryDate"))


def parse_tracking(item, now=None):
    """One item of ``getStatusDocuments`` as a :class:`TrackingStatus`."""
    item = _item(item, "tracking")
    number = _required(item, "Number", "tracking item")
    code = text(item.get("StatusCode"))
    state = STATUS_STATES.get(code, TrackingState.IN_TRANSIT if code else TrackingState.UNKNOWN)
    returned_on = parse_datetime(item.get("DateReturnCargo"))
    now = now or dt.datetime.now()
    if code in RETURN_CODES and returned_on and returned_on <= now:
        state = TrackingState.RETURNED
    cod = decimal_or_none(item.get("AfterpaymentOnGoodsCost"))
    if not cod:
        cod = decimal_or_none(item.get("RedeliverySum"))
    cod_paid = None
    if cod:
        cod_paid = code in COD_PAID_CODES
    cod_fee = decimal_or_none(item.get("LastAmountReceivedCommissionGM"))
    when = (parse_datetime(item.get("RecipientDateTime"))
            or parse_datetime(item.get("ActualDeliveryDate"))
            or parse_datetime(item.get("TrackingUpdateDate"))
            or parse_datetime(item.get("DateScan")))
    return TrackingStatus(
        number=number,
        state=state,
        code=code,
        text=text(item.get("Status")),
        date=when,
        cod_amount=cod if cod and cod > 0 else None,
        cod_paid=cod_paid,
        scheduled_delivery=parse_date(item.get("ScheduledDeliveryDate")),
        cod_fee=cod_fee if cod and cod_fee is not None and cod_fee >= 0 else None,
        ref=text(item.get("RefEW")),
        details=dict(item),
    )


# -- scan sheets ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanSheet:
    ref: str
    number: str
    date: dt.datetime | None = None
    count: int = 0
    printed: bool = False
    added: tuple = ()  # waybill numbers added by insertDocuments
    errors: tuple = ()  # texts of documents refused


def parse_scan_sheet(item):
    item = _item(item, "scan sheet")
    added = tuple(text(d.get("Number")) for d in item.get("Success") or ()
                  if isinstance(d, dict))
    errors = []
    for entry in item.get("Errors") or ():
        if isinstance(entry, dict):
            errors.append(f"{text(entry.get('Number'))}: {text(entry.get('Error'))}".strip(": "))
        elif text(entry):
            errors.append(text(entry))
    for entry in item.get("Data") or ():
        if isinstance(entry, dict) and isinstance(entry.get("Errors"), list):
            errors.extend(text(e) for e in entry["Errors"] if text(e))
    return ScanSheet(
        ref=_required(item, "Ref", "scan sheet"),
        number=text(item.get("Number")),
        date=parse_datetime(item.get("DateTime") or item.get("Date")),
        count=int_or_zero(item.get("Count")),
        printed=text(item.get("Printed")) in ("1", "true", "True"),
        added=added,
        errors=tuple(errors),
    )


# -- return orders (AdditionalServiceGeneral) ------------------------------------------------
#
# Field names below are from third-party clients, not NP's own pages [I]; each parser
# reads them in one place so a correction is one line.

#: list statuses of a return order that no longer holds the document [I: NP's Ukrainian texts]
RETURN_CLOSED_STATUSES = ("Скасовано", "Видалено", "Cancelled", "Deleted")


@dataclass(frozen=True, slots=True)
class ReturnPossibility:
    """One return address NP offers in ``CheckPossibilityCreateReturn`` (its Ref is the
    ``ReturnAddressRef`` of the order)."""

    ref: str
    non_cash: bool = False  # the sender may pay the return by bank transfer
    city: str = ""
    counterparty: str = ""
    contact: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class ReturnReason:
    """A reason (``getReturnReasons``) or a subtype of one (``getReturnReasonsSubtypes``)."""

    ref: str
    name: str
    reason_ref: str = ""  # subtypes: the reason they belong to


@dataclass(frozen=True, slots=True)
class ReturnOrder:
    """A return order: its number (``102-...``), and the return waybill once NP makes it."""

    ref: str
    number: str
    document_number: str = ""  # the original TTN
    status: str = ""
    return_number: str = ""  # the new (return) TTN, "" until NP assigns it
    return_status: str = ""
    cost: Decimal | None = None
    estimated_date: dt.date | None = None

    @property
    def closed(self):
        return self.status in RETURN_CLOSED_STATUSES


def _flag(value):
    return text(value).lower() in ("1", "true", "yes")


def parse_return_possibility(item):
    item = _item(item, "return address")
    return ReturnPossibility(
        ref=_required(item, "Ref", "return address"),
        non_cash=_flag(item.get("NonCash")),
        city=text(item.get("City")),
        counterparty=text(item.get("Counterparty")),
        contact=text(item.get("ContactPerson")),
        address=text(item.get("Address")),
        phone=text(item.get("Phone")),
    )


def parse_return_reason(item):
    item = _item(item, "return reason")
    return ReturnReason(
        ref=_required(item, "Ref", "return reason"),
        name=text(item.get("Description")) or text(item.get("Ref")),
        reason_ref=text(item.get("ReasonRef")),
    )


def parse_return_order(item, document_number=""):
    """An order of ``save`` (``Number``, ``Ref``) or of ``getReturnOrdersList``
    (``OrderNumber``, ``OrderRef``, ``ExpressWaybillNumber``...)."""
    item = _item(item, "return order")
    ref = text(item.get("OrderRef")) or text(item.get("Ref"))
    number = text(item.get("OrderNumber")) or text(item.get("Number"))
    if not ref or not number:
        raise PayloadError("Nova Poshta return order has no number or ref", details=item)
    return ReturnOrder(
        ref=ref,
        number=number,
        document_number=text(item.get("DocumentNumber")) or text(item.get("IntDocNumber"))
        or document_number,
        status=text(item.get("OrderStatus")),
        return_number=text(item.get("ExpressWaybillNumber")),
        return_status=text(item.get("ExpressWaybillStatus")),
        cost=decimal_or_none(item.get("DeliveryCost")),
        estimated_date=parse_date(item.get("EstimatedDeliveryDate")),
    )
