"""Client of Nova Poshta API 2.0: one JSON endpoint, business errors in HTTP 200.

Every call is one envelope ``{apiKey, modelName, calledMethod,
methodProperties}`` POSTed to ``/v2.0/json/``; the answer is ``{success,
data, errors, warnings, info, errorCodes, warningCodes, ...}``. A refusal
(``success: false``) is raised as :class:`NovaPoshtaError` (a
``ValidationError``) or :class:`NovaPoshtaAuthError` (an ``AuthError``,
codes 20000200068/69) carrying every text and code NP sent; warnings of a
successful call are kept on :attr:`NovaPoshtaClient.last_warnings` for the
user.

Reads are retried after a timeout (``idempotent=True``); ``save``,
``update``, ``delete`` and registry changes are not. A waybill whose answer
was lost is found again by its reference (``InfoRegClientBarcodes``) in the
cabinet's document list before another is created (the carrier contract).
"""

import datetime as dt
import re
import time
from decimal import ROUND_HALF_UP, Decimal

from ..core.carrier import CarrierClient, CodMethod, Payer
from ..core.errors import AuthError, OmniConnectorError, PayloadError, ValidationError
from ..core.models import ConnectionInfo
from ..core.phone import format_phone
from ..core.transport import HttpTransport
from . import parse

API_URL = "https://api.novaposhta.ua"
PRINT_URL = "https://my.novaposhta.ua"
JSON_PATH = "/v2.0/json/"

#: codes of a refused key
AUTH_CODES = frozenset(("20000200068", "20000200069"))
#: "COD (money transfer) not available for this sender": send payment control instead [I]
MONEY_TRANSFER_REFUSED = frozenset(("20000204637",))
#: "payment control not available": send a money transfer instead [I]
PAYMENT_CONTROL_REFUSED = frozenset(("20000200035",))

_PAYERS = {Payer.SENDER: "Sender", Payer.RECIPIENT: "Recipient", Payer.THIRD_PARTY: "ThirdPerson"}
_CYRILLIC_NAME = re.compile(r"^[А-ЩЬЮЯҐЄІЇа-щьюяґєії'’ʼ\- ]+$")

#: the model of return orders (and other after-shipping services) [I: third-party clients]
RETURN_MODEL = "AdditionalServiceGeneral"
#: ``OrderType`` of a cargo return [I]
RETURN_ORDER_TYPE = "orderCargoReturn"
#: the property of ``getReturnReasonsSubtypes`` naming the reason [I]
RETURN_SUBTYPE_KEY = "ReasonRef"
#: who pays the return and how, when the caller does not say [I]
RETURN_PAYMENT_METHODS = ("Cash", "NonCash")

#: label layout -> (print path, type) on the cabinet host [I]
LABEL_PATHS = {
    "document": ("orders/printDocument/orders[]/{ids}/type/{fmt}", "pdf"),
    "marking": ("orders/printMarkings/orders[]/{ids}/type/{fmt}", "pdf"),
    "85x85": ("orders/printMarking85x85/orders[]/{ids}/type/{fmt}", "pdf8"),
    "100x100": ("orders/printMarking100x100/orders[]/{ids}/type/{fmt}", "pdf"),
}


class NovaPoshtaError(ValidationError):
    """NP refused a call. ``codes`` and ``errors`` are NP's own, aligned; ``warnings`` too."""

    def __init__(self, message, *, codes=(), errors=(), warnings=(), **kw):
        super().__init__(message, code=codes[0] if codes else None, **kw)
        self.codes = tuple(codes)
        self.errors = tuple(errors)
        self.warnings = tuple(warnings)

    def has_code(self, *codes):
        return bool(set(self.codes) & set(codes))


class NovaPoshtaAuthError(AuthError):
    """The API key is missing, wrong, blocked or expired."""

    def __init__(self, message, *, codes=(), errors=(), warnings=(), **kw):
        super().__init__(message, code=codes[0] if codes else None, **kw)
        self.codes = tuple(codes)
        self.errors = tuple(errors)
        self.warnings = tuple(warnings)


def _texts(value):
    """NP's errors/warnings as a list of texts: a list of strings or objects, or a dict."""
    if value in (None, "", [], {}):
        return []
    if isinstance(value, dict):
        return [f"{k}: {v}" if not isinstance(v, str) or k not in v else v
                for k, v in value.items()]
    if isinstance(value, list):
        result = []
        for entry in value:
            if isinstance(entry, dict):
                result.extend(str(v) for v in entry.values() if v not in (None, ""))
            elif entry not in (None, ""):
                result.append(str(entry))
        return result
    return [str(value)]


def envelope_error(data, status=None):
    """The error of a ``success: false`` envelope, or None for a success."""
    if not isinstance(data, dict):
        return PayloadError("Nova Poshta answered something that is not an envelope",
                            details=data, status=status)
    if data.get("success") is True:
        return None
    errors = _texts(data.get("errors"))
    codes = [code for code in _texts(data.get("errorCodes")) if code]
    warnings = _texts(data.get("warnings"))
    message = "; ".join(errors) or "Nova Poshta refused the request"
    details = {k: v for k, v in data.items() if k != "data"}
    cls = NovaPoshtaAuthError if set(codes) & AUTH_CODES else NovaPoshtaError
    return cls(message, codes=codes, errors=errors, warnings=warnings, details=details,
               status=status)


class NpResult:
    """A successful answer: ``data`` (a list), ``warnings`` (texts), ``total`` (paged lists)."""

    __slots__ = ("data", "warnings", "total", "info")

    def __init__(self, envelope):
        data = envelope.get("data")
        self.data = data if isinstance(data, list) else ([data] if data else [])
        self.warnings = _texts(envelope.get("warnings"))
        info = envelope.get("info")
        self.info = info if isinstance(info, dict) else {}
        self.total = parse.int_or_zero(self.info.get("totalCount"))


def _money(value):
    """UAH as NP takes it: a plain string, no exponent."""
    return format(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize(), "f")


def _whole(value):
    return str(int(Decimal(value).to_integral_value(ROUND_HALF_UP)))


def check_recipient_name(party):
    """Recipient names must be Ukrainian Cyrillic: ValueError naming the bad part."""
    for label, value in (("last name", party.last_name), ("first name", party.first_name),
                         ("middle name", party.middle_name)):
        if not value and label == "middle name":
            continue
        if not value or not _CYRILLIC_NAME.match(value):
            raise ValueError(f"the recipient's {label} {value!r} must be written in Ukrainian")


class NovaPoshtaClient(CarrierClient):
    """One Nova Poshta account (API key); directories, waybills, tracking, labels, registries."""

    #: days of the cabinet list searched for a waybill's reference
    find_window_days = 7
    #: page size for directories (NP documents no maximum for warehouses) [I]
    page_size = 500
    reference_max_length = 36

    def __init__(self, api_key, *, base_url=API_URL, print_url=PRINT_URL, on_call=None,
                 timeout=(5, 30), max_retries=3, backoff_base=0.5, backoff_max=10.0,
                 rate_limiter=None, max_inline_wait=None, retry_after_cap=300.0,
                 sleep=time.sleep, language="uk", today=None):
        self.api_key = api_key or ""
        self.print_url = (print_url or base_url).rstrip("/")
        self.language = language
        self.last_warnings = []
        self._today = today
        self._phones = {}
        super().__init__(HttpTransport(
            base_url, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base,
            backoff_max=backoff_max, rate_limiter=rate_limiter, secrets=(self.api_key,),
            on_call=on_call, sleep=sleep, check=self._check, max_inline_wait=max_inline_wait,
            retry_after_cap=retry_after_cap,
        ))

    # -- envelope -------------------------------------------------------------------------

    @staticmethod
    def _check(response):
        return envelope_error(response.data, response.status)

    def call(self, model, method, properties=None, *, idempotent=True, with_key=True):
        """Send one envelope; return an :class:`NpResult` or raise NP's error."""
        body = {
            "apiKey": self.api_key if with_key else "",
            "modelName": model,
            "calledMethod": method,
            "methodProperties": properties or {},
        }
        if self.language:
            body["language"] = self.language
        response = self.transport.request("POST", JSON_PATH, json=body, idempotent=idempotent)
        result = NpResult(response.data)
        self.last_warnings = result.warnings
        return result

    def today(self):
        return self._today() if callable(self._today) else dt.date.today()

    # -- BaseClient -----------------------------------------------------------------------

    def test_connection(self):
        try:
            senders = self.counterparties("Sender")
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))
        name = senders[0].name if senders else ""
        return ConnectionInfo(ok=True, message=f"connected as {name}".strip(), account=name)

    # -- directories ----------------------------------------------------------------------

    def search_settlements(self, name, limit=20, page=1):
        result = self.call("Address", "searchSettlements",
                           {"CityName": str(name), "Limit": str(limit), "Page": str(page)})
        return parse.parse_settlement_search(result.data)

    def cities(self, find="", page=1, limit=None):
        """(cities, total) of one page of ``Address.getCities``."""
        props = {"Page": str(page), "Limit": str(limit or self.page_size)}
        if find:
            props["FindByString"] = find
        result = self.call("Address", "getCities", props)
        return self._parse_all(result.data, parse.parse_city), result.total

    def warehouses(self, city_ref="", page=1, limit=None, number="", type_ref=""):
        """(warehouses, total, skipped) of one page of ``Address.getWarehouses``.

        ``skipped`` lists the raw items that could not be read (kept, not dropped).
        """
        props = {"Page": str(page), "Limit": str(limit or self.page_size)}
        if city_ref:
            props["CityRef"] = city_ref
        if number:
            props["WarehouseId"] = str(number)
        if type_ref:
            props["TypeOfWarehouseRef"] = type_ref
        result = self.call("Address", "getWarehouses", props)
        good, bad = [], []
        for item in result.data:
            try:
                good.append(parse.parse_warehouse(item))
            except PayloadError:
                bad.append(item)
        return good, result.total, bad

    def iter_pages(self, fetch, limit=None):
        """Yield every page of a paged directory (``fetch(page, limit)`` -> (items, total, ...))."""
        limit = limit or self.page_size
        page = 1
        while True:
            answer = fetch(page, limit)
            yield answer
            items, total = answer[0], answer[1]
            if not items or page * limit >= total:
                return
            page += 1

    def counterparties(self, prop="Sender", find=""):
        props = {"CounterpartyProperty": prop, "Page": "1"}
        if find:
            props["FindByString"] = find
        return self._parse_all(self.call("Counterparty", "getCounterparties", props).data,
                               parse.parse_counterparty)

    def contact_persons(self, counterparty_ref):
        result = self.call("Counterparty", "getCounterpartyContactPersons",
                           {"Ref": counterparty_ref, "Page": "1"})
        return self._parse_all(result.data, parse.parse_contact)

    def counterparty_addresses(self, counterparty_ref, prop="Sender"):
        result = self.call("Counterparty", "getCounterpartyAddresses",
                           {"Ref": counterparty_ref, "CounterpartyProperty": prop})
        return self._parse_all(result.data, parse.parse_address)

    def counterparty_options(self, counterparty_ref):
        result = self.call("Counterparty", "getCounterpartyOptions", {"Ref": counterparty_ref})
        return result.data[0] if result.data and isinstance(result.data[0], dict) else {}

    def save_recipient(self, party):
        """Create (or get) a private-person recipient: (counterparty ref, contact ref)."""
        check_recipient_name(party)
        props = {
            "FirstName": party.first_name, "MiddleName": party.middle_name,
            "LastName": party.last_name, "Phone": format_phone(party.phone, "ua12"),
            "CounterpartyType": "PrivatePerson", "CounterpartyProperty": "Recipient",
        }
        if party.email:
            props["Email"] = party.email
        result = self.call("Counterparty", "save", props, idempotent=False)
        if not result.data:
            raise PayloadError("Nova Poshta created no recipient")
        return parse.parse_recipient(result.data[0])

    @staticmethod
    def _parse_all(items, parser):
        result = []
        for item in items:
            try:
                result.append(parser(item))
            except PayloadError:
                continue
        return result

    # -- waybill properties ---------------------------------------------------------------

    def _common_props(self, shipment):
        date = shipment.dispatch_date or self.today()
        props = {
            "PayerType": _PAYERS[shipment.payer],
            "PaymentMethod": "NonCash" if shipment.non_cash else "Cash",
            "DateTime": date.strftime("%d.%m.%Y"),
            "CargoType": shipment.cargo_type,
            "Weight": _money(max(shipment.weight, Decimal("0.1"))),
            "ServiceType": shipment.service_type,
            "SeatsAmount": str(shipment.seats),
            "Description": shipment.description.strip()[:100],
            "Cost": _whole(max(shipment.declared_value, Decimal(1))),
        }
        if shipment.places:
            props["OptionsSeat"] = [
                {"volumetricVolume": _money(seat.volume), "volumetricWidth": _money(seat.width),
                 "volumetricLength": _money(seat.length),
                 "volumetricHeight": _money(seat.height), "weight": _money(seat.weight)}
                for seat in shipment.places
            ]
        elif shipment.volume:
            props["VolumeGeneral"] = _money(max(shipment.volume, Decimal("0.0004")))
        if shipment.note:
            props["AdditionalInformation"] = shipment.note[:100]
        return props

    def _sender_props(self, sender):
        props = {
            "CitySender": sender.city_ref,
            "Sender": sender.counterparty_ref,
            "SenderAddress": sender.warehouse_ref or sender.address_ref,
            "ContactSender": sender.contact_ref,
            "SendersPhone": format_phone(sender.phone, "ua12"),
        }
        missing = [k for k, v in props.items() if not v]
        if missing:
            raise ValueError(f"the sender lacks {', '.join(missing)}")
        return props

    def _recipient_props(self, recipient, service_type):
        phone = format_phone(recipient.phone, "ua12")
        check_recipient_name(recipient)
        to_door = service_type.endswith("Doors")
        if recipient.city_ref and (recipient.address_ref if to_door else recipient.warehouse_ref):
            counterparty, contact = recipient.counterparty_ref, recipient.contact_ref
            if not (counterparty and contact):
                counterparty, contact = self.save_recipient(recipient)
            return {
                "CityRecipient": recipient.city_ref,
                "Recipient": counterparty,
                "RecipientAddress": recipient.address_ref if to_door else recipient.warehouse_ref,
                "ContactRecipient": contact,
                "RecipientsPhone": phone,
            }
        # the waybill "by text": city name, branch number or street
        if not recipient.city_name:
            raise ValueError("the recipient has neither a city ref nor a city name")
        props = {
            "NewAddress": "1",
            "RecipientCityName": recipient.city_name,
            "RecipientArea": "",
            "RecipientAreaRegions": "",
            "RecipientName": recipient.full_name,
            "RecipientType": "PrivatePerson",
            "RecipientsPhone": phone,
        }
        if to_door:
            if not (recipient.street and recipient.house):
                raise ValueError("door delivery needs the recipient's street and house")
            props.update(RecipientAddressName=recipient.street, RecipientHouse=recipient.house,
                         RecipientFlat=recipient.flat)
        else:
            if not recipient.warehouse_number:
                raise ValueError("the recipient has neither a branch ref nor a branch number")
            props["RecipientAddressName"] = recipient.warehouse_number
        return props

    @staticmethod
    def _cod_props(shipment, method):
        if not shipment.has_cod:
            return {}
        amount = shipment.cash_on_delivery
        if method is CodMethod.PAYMENT_CONTROL:
            return {"AfterpaymentOnGoodsCost": _whole(amount)}
        return {"BackwardDeliveryData": [{
            "PayerType": _PAYERS[shipment.cod_payer],
            "CargoType": "Money",
            "RedeliveryString": _whole(amount),
        }]}

    def shipment_properties(self, shipment, reference="", cod_method=None):
        """The ``methodProperties`` of ``InternetDocument.save`` for ``shipment``."""
        props = self._common_props(shipment)
        props.update(self._sender_props(shipment.sender))
        props.update(self._recipient_props(shipment.recipient, shipment.service_type))
        props.update(self._cod_props(shipment, cod_method or shipment.cod_method))
        if reference:
            props["InfoRegClientBarcodes"] = reference
        return props

    # -- waybills -------------------------------------------------------------------------

    def rate(self, shipment):
        props = {
            "CitySender": shipment.sender.city_ref,
            "CityRecipient": shipment.recipient.city_ref,
            "Weight": _money(max(shipment.weight, Decimal("0.1"))),
            "ServiceType": shipment.service_type,
            "Cost": _whole(max(shipment.declared_value, Decimal(1))),
            "CargoType": shipment.cargo_type,
            "SeatsAmount": str(shipment.seats),
        }
        if shipment.has_cod:
            props["RedeliveryCalculate"] = {"CargoType": "Money",
                                            "Amount": _whole(shipment.cash_on_delivery)}
        result = self.call("InternetDocument", "getDocumentPrice", props)
        if not result.data:
            raise PayloadError("Nova Poshta returned no price")
        delivery = None
        try:
            delivery = self.delivery_date(shipment)
        except OmniConnectorError:
            delivery = None  # the price stands without the date
        return parse.parse_price(result.data[0], delivery)

    def delivery_date(self, shipment):
        date = shipment.dispatch_date or self.today()
        result = self.call("InternetDocument", "getDocumentDeliveryDate", {
            "DateTime": date.strftime("%d.%m.%Y"), "ServiceType": shipment.service_type,
            "CitySender": shipment.sender.city_ref,
            "CityRecipient": shipment.recipient.city_ref,
        })
        return parse.parse_delivery_date(result.data[0]) if result.data else None

    def _create_waybill(self, shipment, reference):
        method = shipment.cod_method
        try:
            return self._save(shipment, reference, method)
        except NovaPoshtaError as err:
            fallback = self._cod_fallback(shipment, method, err)
            if fallback is None:
                raise
            return self._save(shipment, reference, fallback)

    @staticmethod
    def _cod_fallback(shipment, method, err):
        """The other COD method when NP says this one is not enabled for the sender."""
        if not shipment.has_cod:
            return None
        if method is CodMethod.MONEY_TRANSFER and err.has_code(*MONEY_TRANSFER_REFUSED):
            return CodMethod.PAYMENT_CONTROL
        if method is CodMethod.PAYMENT_CONTROL and err.has_code(*PAYMENT_CONTROL_REFUSED):
            return CodMethod.MONEY_TRANSFER
        return None

    def _save(self, shipment, reference, method, ref=""):
        props = self.shipment_properties(shipment, reference, method)
        if ref:
            props["Ref"] = ref
        result = self.call("InternetDocument", "update" if ref else "save", props,
                           idempotent=False)
        if not result.data:
            raise PayloadError("Nova Poshta created no waybill")
        return parse.parse_waybill(result.data[0], reference,
                                   method.value if shipment.has_cod else "", result.warnings)

    def update_waybill(self, ref, shipment, reference=""):
        """Change a waybill not yet handed over (NP wants every property again)."""
        return self._save(shipment, reference, shipment.cod_method, ref=ref)

    def documents(self, date_from, date_to, page=1):
        result = self.call("InternetDocument", "getDocumentList", {
            "DateTimeFrom": date_from.strftime("%d.%m.%Y"),
            "DateTimeTo": date_to.strftime("%d.%m.%Y"),
            "Page": str(page), "GetFullList": "1",
        })
        return [item for item in result.data if isinstance(item, dict)]

    def find_waybill(self, reference):
        reference = str(reference or "").strip()
        if not reference:
            return None
        today = self.today()
        items = self.documents(today - dt.timedelta(days=self.find_window_days),
                               today + dt.timedelta(days=1))
        for item in items:
            if parse.text(item.get("InfoRegClientBarcodes")) != reference:
                continue
            if parse.text(item.get("StateId")) == "2" or parse.text(item.get("Deleted")) == "1":
                continue
            try:
                return parse.parse_waybill(item, reference)
            except PayloadError:
                continue
        return None

    def cancel_waybill(self, waybill):
        ref = getattr(waybill, "ref", None) or (waybill if isinstance(waybill, str) else "")
        if not ref:
            raise ValueError("cancelling needs the waybill's ref")
        try:
            self.call("InternetDocument", "delete", {"DocumentRefs": [ref]}, idempotent=False)
        except NovaPoshtaError as err:
            if err.has_code("20000300415", "20000200206"):
                return  # already deleted: the first attempt's answer was lost
            raise

    # -- tracking -------------------------------------------------------------------------

    def track(self, numbers, phones=None):
        """As the contract; ``phones`` (number -> recipient phone) unlocks the personal fields."""
        self._phones = dict(phones or {})
        try:
            return super().track(numbers)
        finally:
            self._phones = {}

    def track_all(self, numbers, phones=None):
        statuses = []
        wanted = list(dict.fromkeys(str(n or "").strip() for n in numbers))
        for start in range(0, len(wanted), self.track_batch_limit):
            statuses.extend(self.track(wanted[start:start + self.track_batch_limit], phones))
        return statuses

    def _track(self, numbers):
        documents = []
        for number in numbers:
            phone = self._phones.get(number) or ""
            try:
                phone = format_phone(phone, "ua12") if phone else ""
            except (PayloadError, ValueError):
                phone = ""
            documents.append({"DocumentNumber": number, "Phone": phone})
        result = self.call("TrackingDocument", "getStatusDocuments", {"Documents": documents})
        statuses = []
        for item in result.data:
            try:
                status = parse.parse_tracking(item)
            except PayloadError:
                continue
            if status.code == "3":  # "number not found": NP knows nothing of it
                continue
            statuses.append(status)
        return statuses

    # -- printing -------------------------------------------------------------------------

    def _print(self, path):
        url = f"{self.print_url}/{path}/apiKey/{self.api_key}"
        response = self.transport.request("GET", url, expect="bytes", check=False)
        content = response.content or b""
        if not content.startswith(b"%PDF"):
            raise PayloadError("Nova Poshta sent no PDF (the document may not exist)",
                               details=self.transport.redact(response.text[:500]))
        return content

    def _label(self, numbers, fmt, layout):
        template, pdf_type = LABEL_PATHS[layout]
        if len(numbers) > 1:  # many documents in one PDF: a comma list, no "[]"
            template = template.replace("/orders[]/", "/orders/")
        path = template.format(ids=",".join(numbers), fmt=pdf_type if fmt == "pdf" else fmt)
        if layout == "100x100":
            path += "/zebra"
        return self._print(path)

    # -- scan sheets (registries) ---------------------------------------------------------

    def scan_sheet_add(self, document_refs, ref="", date=None):
        props = {"DocumentRefs": list(document_refs)}
        if ref:
            props["Ref"] = ref
        if date:
            props["Date"] = date.strftime("%d.%m.%Y")
        result = self.call("ScanSheet", "insertDocuments", props, idempotent=False)
        if not result.data:
            raise PayloadError("Nova Poshta returned no scan sheet")
        return parse.parse_scan_sheet(result.data[0])

    def scan_sheet(self, ref, counterparty_ref=""):
        result = self.call("ScanSheet", "getScanSheet",
                           {"Ref": ref, "CounterpartyRef": counterparty_ref})
        if not result.data:
            raise ValidationError(f"scan sheet {ref} not found")
        return parse.parse_scan_sheet(result.data[0])

    def scan_sheet_remove(self, document_refs, ref=""):
        props = {"DocumentRefs": list(document_refs)}
        if ref:
            props["Ref"] = ref
        self.call("ScanSheet", "removeDocuments", props, idempotent=False)

    def scan_sheet_delete(self, refs):
        self.call("ScanSheet", "deleteScanSheet", {"ScanSheetRefs": list(refs)},
                  idempotent=False)

    def scan_sheet_pdf(self, ref):
        return self._print(f"scanSheet/printScanSheet/refs[]/{ref}/type/pdf")

    # -- return orders (a parcel coming back to the sender) -------------------------------

    def return_possibility(self, number):
        """The return addresses NP offers for a TTN; NP's refusal (not possible) is raised."""
        number = str(number or "").strip()
        if not number:
            raise ValueError("a return needs the waybill's number")
        result = self.call(RETURN_MODEL, "CheckPossibilityCreateReturn", {"Number": number})
        offers = self._parse_all(result.data, parse.parse_return_possibility)
        if not offers:
            raise NovaPoshtaError(f"Nova Poshta offers no return address for {number}",
                                  details={"data": result.data})
        return offers

    def return_reasons(self):
        return self._parse_all(self.call(RETURN_MODEL, "getReturnReasons").data,
                               parse.parse_return_reason)

    def return_reason_subtypes(self, reason_ref):
        result = self.call(RETURN_MODEL, "getReturnReasonsSubtypes",
                           {RETURN_SUBTYPE_KEY: reason_ref})
        subtypes = self._parse_all(result.data, parse.parse_return_reason)
        return [s if s.reason_ref else parse.ReturnReason(s.ref, s.name, reason_ref)
                for s in subtypes]

    def create_return_order(self, number, reason_ref, subtype_ref, *, return_address_ref="",
                            warehouse_ref="", payment_method="Cash", note=""):
        """Order the return of TTN ``number`` to one of the sender's addresses (or a branch).

        Not retried by the transport: after a lost answer, :meth:`find_return_order`
        tells whether NP made it.
        """
        if payment_method not in RETURN_PAYMENT_METHODS:
            raise ValueError(f"payment method {payment_method!r} is not one of "
                             f"{RETURN_PAYMENT_METHODS}")
        if not (reason_ref and subtype_ref):
            raise ValueError("a return needs a reason and its subtype")
        if bool(return_address_ref) == bool(warehouse_ref):
            raise ValueError("a return goes to one sender's address or one branch")
        props = {
            "IntDocNumber": str(number), "PaymentMethod": payment_method,
            "Reason": reason_ref, "SubtypeReason": subtype_ref,
            "Note": (note or "")[:100], "OrderType": RETURN_ORDER_TYPE,
        }
        if return_address_ref:
            props["ReturnAddressRef"] = return_address_ref
        else:
            props["RecipientWarehouse"] = warehouse_ref
        result = self.call(RETURN_MODEL, "save", props, idempotent=False)
        if not result.data:
            raise PayloadError("Nova Poshta created no return order")
        return parse.parse_return_order(result.data[0], str(number))

    def return_orders(self, number="", ref="", date_from=None, date_to=None, page=1,
                      limit=100):
        """One page of ``getReturnOrdersList``; unreadable items are skipped."""
        props = {"Page": str(page), "Limit": str(limit)}
        if number:
            props["Number"] = number
        if ref:
            props["Ref"] = ref
        if date_from:
            props["BeginDate"] = date_from.strftime("%d.%m.%Y")
        if date_to:
            props["EndDate"] = date_to.strftime("%d.%m.%Y")
        return self._parse_all(self.call(RETURN_MODEL, "getReturnOrdersList", props).data,
                               parse.parse_return_order)

    def find_return_order(self, document_number, days=None):
        """The open return order of a TTN made in the last days, or None."""
        days = self.find_window_days if days is None else days
        today = self.today()
        for order in self.return_orders(date_from=today - dt.timedelta(days=days),
                                        date_to=today, limit=500):
            if order.document_number == str(document_number) and not order.closed:
                return order
        return None

    def delete_return_order(self, ref):
        if not ref:
            raise ValueError("deleting a return order needs its ref")
        self.call(RETURN_MODEL, "delete", {"Ref": ref}, idempotent=False)
