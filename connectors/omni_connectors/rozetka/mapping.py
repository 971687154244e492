"""Rozetka order objects -> the neutral :class:`~omni_connectors.core.models.Order`.

Pure functions over the documented wire shapes (fact sheet 2.3-2.4). Every
refusal is a :class:`~omni_connectors.core.errors.PayloadError` naming the
order and the field, with the payload in ``details``; money is ``Decimal``.
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ..core.errors import OmniConnectorError, PayloadError
from ..core.models import Customer, DeliveryInfo, Order, OrderLine, PaymentInfo
from ..core.money import to_decimal
from ..core.phone import normalize_phone
from . import statuses

#: Rozetka's dates are shop-local time without a zone [I: Europe/Kyiv]
TIMEZONE = ZoneInfo("Europe/Kyiv")
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

#: delivery services by ``name_logo`` and by ``delivery_service_id`` [S/I]
DELIVERY_SERVICES_BY_LOGO = {
    "nova-pochta": "nova_poshta",
    "nova-poshta": "nova_poshta",
    "novaposhta": "nova_poshta",
    "ukrposhta": "ukrposhta",
    "ukr-poshta": "ukrposhta",
    "meest": "meest",
    "meest-express": "meest",
    "rozetka": "rozetka_delivery",
    "rozetka-delivery": "rozetka_delivery",
    "justin": "justin",
}
DELIVERY_SERVICES_BY_ID = {5: "nova_poshta"}
#: ``delivery_method_id``: 1 pickup point / branch, 2 courier [C]
DELIVERY_METHODS = {1: "warehouse", 2: "courier"}
#: Nova Poshta's ServiceType for a delivery method (the sender is a warehouse)
NP_SERVICE_TYPES = {"warehouse": "WarehouseWarehouse", "courier": "WarehouseDoors",
                    "postomat": "WarehousePostomat"}
#: payment types paid before delivery or collected by Rozetka, and cash on delivery [C/S]
CASH_ON_DELIVERY_TYPES = frozenset({"cash"})
#: ``payment_status`` names and ids meaning the money is in [C]
PAID_STATUS_NAMES = frozenset({"paid"})
PAID_STATUS_IDS = frozenset({2})
#: purchase line status 0: removed while the order was edited [C]
REMOVED_LINE_STATUS = 0


def parse_stamp(value):
    """A Rozetka ``"YYYY-MM-DD HH:MM:SS"`` as an aware datetime (Kyiv), or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    for fmt in (STAMP_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=TIMEZONE)
        except ValueError:
            continue
    return datetime.fromisoformat(text).astimezone(TIMEZONE)


class OrderParser:
    """Maps one order object; every error names the order and the field."""

    def __init__(self, payload, lang="uk"):
        self.payload = payload
        self.lang = lang
        raw_id = payload.get("id")
        self.ref = str(raw_id) if isinstance(raw_id, (int, str)) and raw_id != "" else "?"

    def fail(self, message):
        raise PayloadError(f"Rozetka order {self.ref}: {message}", details=self.payload)

    # -- typed readers ---------------------------------------------------------
    def obj(self, data, key):
        value = data.get(key)
        if value in (None, "", []):
            return {}
        if not isinstance(value, dict):
            self.fail(f"'{key}' is not an object")
        return value

    def text(self, data, key):
        value = data.get(key)
        if value is None or isinstance(value, bool):
            return ""
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            self.fail(f"'{key}' is not text")
        return " ".join(value.split())

    def integer(self, data, key, default=None):
        value = data.get(key)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            self.fail(f"'{key}' is not a number")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        self.fail(f"'{key}' {value!r} is not a whole number")

    def money(self, data, key, required=False):
        value = data.get(key)
        if value in (None, ""):
            if required:
                self.fail(f"'{key}' is missing")
            return None
        try:
            amount = to_decimal(value)
        except PayloadError:
            self.fail(f"'{key}' {value!r} is not an amount")
        if amount.copy_abs() > Decimal("1e12"):
            self.fail(f"'{key}' {value!r} is out of range")
        return amount.quantize(Decimal("0.01"))

    def stamp(self, data, key):
        try:
            return parse_stamp(data.get(key))
        except (ValueError, OverflowError):
            self.fail(f"'{key}' {data.get(key)!r} is not a date")

    def phone(self, value):
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except OmniConnectorError:
            return value  # kept as sent; the customer matching flags it

    # -- the order ---------------------------------------------------------------
    def parse(self):
        payload = self.payload
        order_id = self.integer(payload, "id")
        if not order_id:
            raise PayloadError("Rozetka order payload has no id", details=payload)
        status = self.integer(payload, "status")
        if status is None:
            self.fail("has no status")
        group = self.integer(payload, "status_group")
        state = statuses.neutral_state(status, group)
        status_data = self.obj(payload, "status_data")
        status_label = (
            self.text(status_data, "name_uk" if self.lang == "uk" else "name_en")
            or self.text(status_data, "name")
            or statuses.status_name(status, self.lang)
        )
        lines = self.lines()
        if not lines:
            self.fail("has no items")
        amount = self.money(payload, "amount")
        amount_discounted = self.money(payload, "amount_with_discount")
        total = self.money(payload, "cost_with_discount") or self.money(payload, "cost")
        if total is None:
            total = amount_discounted if amount_discounted is not None else amount
        discount = None
        if amount is not None and amount_discounted is not None:
            discount = amount - amount_discounted
        payment = self.payment(total)
        return Order(
            external_id=str(order_id),
            state=state,
            remote_status=str(status),
            remote_status_name=status_label,
            lines=lines,
            customer=self.customer(),
            created_at=self.stamp(payload, "created"),
            updated_at=self.stamp(payload, "changed"),
            delivery=self.delivery(),
            payment=payment,
            total=total,
            goods_total=amount,
            discount_total=discount,
            comment=self.text(payload, "comment"),
            cancel_reason=status_label if state.value in ("cancelled", "returned") else "",
            dont_call_back=bool(self.integer(payload, "callback_off", 0)),
        )

    def customer(self):
        payload = self.payload
        title = self.obj(payload, "user_title")
        user = self.obj(payload, "user")
        delivery = self.obj(payload, "delivery")
        email = self.text(delivery, "email")
        if "@" not in email:
            email = ""
        first, last = self.text(title, "first_name"), self.text(title, "last_name")
        name = self.text(title, "full_name") or " ".join(p for p in (last, first) if p)
        name = name or self.text(user, "contact_fio")
        return Customer(
            name=name,
            first_name=first,
            last_name=last,
            middle_name=self.text(title, "second_name"),
            phone=self.phone(self.text(payload, "user_phone")),
            email=email,
            external_id=self.text(user, "id"),
        )

    def delivery(self):
        payload = self.payload
        data = self.obj(payload, "delivery")
        city = self.obj(data, "city")
        logo = self.text(data, "name_logo").lower()
        service_id = self.integer(data, "delivery_service_id")
        service = DELIVERY_SERVICES_BY_LOGO.get(logo) or DELIVERY_SERVICES_BY_ID.get(
            service_id, logo or self.text(data, "delivery_service_name")
        )
        method = DELIVERY_METHODS.get(self.integer(data, "delivery_method_id"), "")
        street, house = self.text(data, "place_street"), self.text(data, "place_house")
        flat, number = self.text(data, "place_flat"), self.text(data, "place_number")
        address = ", ".join(p for p in (street, house) if p)
        if flat:
            address = f"{address}, кв. {flat}" if address else f"кв. {flat}"
        warehouse_name = ""
        if method == "warehouse" and number:
            warehouse_name = f"№{number}" + (f": {address}" if address else "")
        first = self.text(data, "recipient_first_name")
        last = self.text(data, "recipient_last_name")
        recipient = self.text(data, "recipient_title") or " ".join(
            p for p in (last, first) if p)
        if isinstance(data.get("recipient_title"), dict):  # older shape
            recipient = self.text(data["recipient_title"], "full_name")
        return DeliveryInfo(
            service=service,
            method=method,
            recipient_name=recipient,
            recipient_phone=self.phone(self.text(data, "recipient_phone")),
            recipient_first_name=first,
            recipient_last_name=last,
            recipient_middle_name=self.text(data, "recipient_second_name"),
            city_name=self.text(city, "name_ua") or self.text(city, "title")
            or self.text(city, "name") or self.text(city, "city_name"),
            city_ref=self.text(city, "uuid"),
            warehouse_ref=self.text(data, "ref_id") if method != "courier" else "",
            warehouse_name=warehouse_name,
            warehouse_number=number if method != "courier" else "",
            address=address if method == "courier" else "",
            street=street if method == "courier" else "",
            street_ref=self.text(data, "street_id") if method == "courier" else "",
            house=house if method == "courier" else "",
            flat=flat if method == "courier" else "",
            service_type=NP_SERVICE_TYPES.get(method, "") if service == "nova_poshta" else "",
            ttn=self.text(payload, "ttn"),
            cost=self.money(data, "cost"),
        )

    def payment(self, total):
        payload = self.payload
        data = self.obj(payload, "payment")
        status = self.obj(data, "payment_status")
        kind = self.text(data, "payment_type") or self.text(payload, "payment_type")
        status_name = self.text(status, "name")
        status_id = self.integer(status, "status_payment_id")
        paid = (status_name in PAID_STATUS_NAMES or status_id in PAID_STATUS_IDS
                or payload.get("is_payed") is True)
        paid_at = self.stamp(status, "created_at") if paid else None
        return PaymentInfo(
            method=kind,
            method_name=self.text(data, "payment_method_name")
            or self.text(data, "payment_type_title") or kind,
            is_paid=paid,
            cash_on_delivery=kind in CASH_ON_DELIVERY_TYPES,
            amount=total,
            status=status_name,
            paid_amount=total if paid else None,
            paid_at=paid_at,
            provider=kind,
        )

    def lines(self):
        purchases = self.payload.get("purchases")
        if purchases is None:
            self.fail("has no 'purchases' (ask with expand=purchases)")
        if not isinstance(purchases, list):
            self.fail("'purchases' is not a list")
        lines = []
        for index, purchase in enumerate(purchases, 1):
            if not isinstance(purchase, dict):
                self.fail(f"item {index} is not an object")
            if self.integer(purchase, "status", 1) == REMOVED_LINE_STATUS:
                continue
            lines.append(self.line(index, purchase))
        return lines

    def line(self, index, purchase):
        item = self.obj(purchase, "item")
        item_id = self.text(purchase, "item_id") or self.text(item, "id")
        offer_id = self.text(item, "price_offer_id")
        article = self.text(item, "article")
        sku = offer_id or article or item_id
        if not sku:
            self.fail(f"item {index} names no offer (price_offer_id, article or item_id)")
        quantity = self.integer(purchase, "quantity")
        if not quantity or quantity <= 0 or quantity > 1_000_000:
            self.fail(f"item {index} ({sku}) has quantity {purchase.get('quantity')!r}")
        list_price = self.money(purchase, "price", required=True)
        unit_price = self.money(purchase, "price_with_discount")
        if unit_price is None:
            unit_price = list_price
        if unit_price < 0 or list_price < 0:
            self.fail(f"item {index} ({sku}) has a negative price")
        discount = (list_price - unit_price) * quantity if list_price > unit_price else None
        name = (self.text(purchase, "item_name") or self.text(item, "name_ua")
                or self.text(item, "name") or sku)
        return OrderLine(
            sku=sku,
            name=name,
            quantity=Decimal(quantity),
            unit_price=unit_price,
            external_line_id=self.text(purchase, "id"),
            external_product_id=item_id,
            list_price=list_price,
            discount=discount,
        )


def parse_order(payload, lang="uk"):
    """Map one Rozetka order object (a dict) to a neutral Order."""
    if not isinstance(payload, dict):
        raise PayloadError(f"Rozetka order is not an object: {str(payload)[:120]!r}",
                           details=payload)
    return OrderParser(payload, lang).parse()
