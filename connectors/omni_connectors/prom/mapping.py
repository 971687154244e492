"""Prom.ua order payloads to the neutral :class:`~omni_connectors.core.models.Order`.

Pure functions; every refusal is a :class:`PayloadError` naming the order and
the field. Order money arrives as display strings (``"1 713 грн"``, no-break
spaces, comma decimals) and is read by :func:`~omni_connectors.core.money.to_decimal`,
never through float; ``cpa_commission.amount`` is a plain decimal string and
``delivery_cost`` a number.
"""

from datetime import datetime
from decimal import Decimal

from ..core.errors import InvalidPhone, PayloadError
from ..core.models import Customer, DeliveryInfo, Order, OrderLine, OrderState, PaymentInfo
from ..core.money import to_decimal
from ..core.phone import format_phone

#: Prom order status -> neutral state; ``custom-<N>`` statuses are the seller's
#: own, read as CONFIRMED unless the caller maps them (``custom_states``).
STATES = {
    "pending": OrderState.NEW,
    "draft": OrderState.NEW,
    "received": OrderState.CONFIRMED,
    "paid": OrderState.CONFIRMED,
    "delivered": OrderState.DELIVERED,
    "canceled": OrderState.CANCELLED,
}
#: delivery_provider_data.type -> Nova Poshta ServiceType
SERVICE_TYPES = {
    "W2W": "WarehouseWarehouse",
    "W2D": "WarehouseDoors",
    "D2W": "DoorsWarehouse",
    "D2D": "DoorsDoors",
}
#: payment_data.type of Prom Payment
PROM_PAYMENT = "evopay"
#: payment option names that mean cash on delivery (either language)
COD_NAMES = ("наложенный", "накладений", "післяплата", "наложка")


class _Parser:
    def __init__(self, payload, custom_states):
        self.payload = payload
        self.ref = str(payload.get("id") or "?")
        self.custom_states = custom_states or {}

    def fail(self, message):
        raise PayloadError(f"Prom order {self.ref}: {message}", details=self.payload)

    def obj(self, data, key):
        value = data.get(key)
        if value is None or value == []:
            return {}
        if not isinstance(value, dict):
            self.fail(f"'{key}' is not an object")
        return value

    def text(self, data, key):
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(f"'{key}' is not text")
        return str(value).strip()

    def money(self, value, what):
        if value in (None, ""):
            return None
        try:
            return to_decimal(value)
        except PayloadError:
            self.fail(f"{what} {value!r} is not an amount")

    def moment(self, data, key):
        value = data.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            self.fail(f"'{key}' is not a date")
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"'{key}' {value!r} is not an ISO date")

    def phone(self, raw):
        if not raw:
            return ""
        try:
            return format_phone(raw, "e164")
        except InvalidPhone:
            return raw  # kept as sent; the customer matching flags it

    def state(self, status):
        if status in STATES:
            return STATES[status]
        if status.startswith("custom-"):
            state = self.custom_states.get(status, OrderState.CONFIRMED)
            return OrderState(state)
        self.fail(f"unknown status {status!r}")

    def parse(self):
        payload = self.payload
        oid = payload.get("id")
        if isinstance(oid, bool) or not isinstance(oid, (int, str)) or not str(oid).strip():
            raise PayloadError("Prom order payload has no id", details=payload)
        status = self.text(payload, "status")
        state = self.state(status)
        client = self.obj(payload, "client")
        first = self.text(payload, "client_first_name") or self.text(client, "first_name")
        last = self.text(payload, "client_last_name") or self.text(client, "last_name")
        middle = self.text(payload, "client_second_name") or self.text(client, "second_name")
        phone = self.phone(self.text(payload, "phone") or self.text(client, "phone"))
        customer = Customer(
            name=" ".join(part for part in (last, first, middle) if part),
            first_name=first,
            last_name=last,
            middle_name=middle,
            phone=phone,
            email=self.text(payload, "email"),
            external_id=self.text(payload, "client_id"),
        )
        products = payload.get("products")
        if not isinstance(products, list) or not products:
            self.fail("has no products")
        lines = [self.line(index, item) for index, item in enumerate(products, 1)]
        cancellation = self.obj(payload, "cancellation")
        commission = self.obj(payload, "cpa_commission")
        price = self.money(payload.get("price"), "price")
        full_price = self.money(payload.get("full_price"), "full_price")
        discount = self.money(payload.get("special_offer_discount"), "special_offer_discount")
        total = full_price if full_price is not None else price
        return Order(
            external_id=str(oid).strip(),
            state=state,
            remote_status=status,
            remote_status_name=self.text(payload, "status_name"),
            lines=lines,
            customer=customer,
            created_at=self.moment(payload, "date_created"),
            updated_at=self.moment(payload, "date_modified"),
            delivery=self.delivery(customer),
            payment=self.payment(total),
            total=total,
            goods_total=price,
            discount_total=discount,
            comment=self.text(payload, "client_notes"),
            cancel_reason=self.text(cancellation, "title") or self.text(cancellation, "reason"),
            cancel_initiator=self.text(cancellation, "initiator"),
            commission=self.money(commission.get("amount"), "cpa_commission.amount"),
            commission_refunded=commission.get("is_refunded") is True,
            dont_call_back=payload.get("dont_call_customer_back") is True,
        )

    def line(self, index, item):
        if not isinstance(item, dict):
            self.fail(f"product {index} is not an object")
        prom_id = self.text(item, "id")
        external_id = self.text(item, "external_id")
        sku = self.text(item, "sku")
        key = external_id or sku or prom_id
        if not key:
            self.fail(f"product {index} has no id, external_id or sku")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or quantity in (None, ""):
            self.fail(f"product {index} ({key}) has no quantity")
        quantity = self.money(quantity, f"product {index} ({key}) quantity")
        if quantity <= 0:
            self.fail(f"product {index} ({key}) has quantity {quantity}")
        unit_price = self.money(item.get("price"), f"product {index} ({key}) price")
        if unit_price is None:
            self.fail(f"product {index} ({key}) has no price")
        if unit_price < 0:
            self.fail(f"product {index} ({key}) has a negative price")
        commission = self.obj(item, "cpa_commission")
        names = self.obj(item, "name_multilang")
        return OrderLine(
            sku=external_id or sku,
            name=self.text(names, "uk") or self.text(item, "name") or key,
            quantity=Decimal(quantity),
            unit_price=unit_price,
            external_line_id=str(index),
            external_product_id=prom_id,
            commission=self.money(commission.get("amount"), f"product {index} commission"),
        )

    def delivery(self, customer):
        payload = self.payload
        data = self.obj(payload, "delivery_provider_data")
        address = self.obj(data, "recipient_address")
        recipient = self.obj(payload, "delivery_recipient")
        option = self.obj(payload, "delivery_option")
        first = self.text(recipient, "first_name") or customer.first_name
        last = self.text(recipient, "last_name") or customer.last_name
        middle = self.text(recipient, "second_name") or customer.middle_name
        kind = self.text(data, "type")
        text_address = self.text(payload, "delivery_address")
        door = kind in ("W2D", "D2D") or bool(self.text(address, "building_number"))
        if door:
            method = "courier"
        elif "поштомат" in text_address.lower() or "почтомат" in text_address.lower():
            method = "postomat"
        else:
            method = "warehouse" if data else ""
        return DeliveryInfo(
            service=self.text(data, "provider") or self.text(option, "name"),
            method=method,
            recipient_name=" ".join(part for part in (last, first, middle) if part),
            recipient_phone=self.phone(self.text(recipient, "phone")) or customer.phone,
            recipient_first_name=first,
            recipient_last_name=last,
            recipient_middle_name=middle,
            city_name=self.text(address, "city_name"),
            city_ref=self.text(address, "city_id"),
            city_katottg=self.text(address, "city_katottg"),
            warehouse_ref=(self.text(data, "recipient_warehouse_id")
                           or self.text(address, "warehouse_id")),
            warehouse_name="" if door else text_address,
            address=text_address,
            street=self.text(address, "street_name"),
            street_ref=self.text(address, "street_id"),
            house=self.text(address, "building_number"),
            flat=self.text(address, "apartment_number"),
            service_type=SERVICE_TYPES.get(kind, ""),
            ttn=self.text(data, "declaration_number"),
            cost=self.money(payload.get("delivery_cost"), "delivery_cost"),
            status=self.text(data, "unified_status"),
        )

    def payment(self, total):
        option = self.obj(self.payload, "payment_option")
        data = self.obj(self.payload, "payment_data")
        name = self.text(option, "name")
        provider = self.text(data, "type")
        status = self.text(data, "status")
        paid = status in ("paid", "paid_out")
        cod = not data and any(word in name.lower() for word in COD_NAMES)
        if provider == PROM_PAYMENT:
            method = "prom_payment"
        elif cod:
            method = "cod"
        else:
            method = self.text(option, "id")
        return PaymentInfo(
            method=method,
            method_name=name,
            is_paid=paid,
            cash_on_delivery=cod,
            amount=total,
            status=status,
            paid_amount=total if paid else None,
            paid_at=self.moment(data, "status_modified") if paid else None,
            provider=provider,
        )


def parse_order(payload, custom_states=None):
    """Map one Prom order object; ``custom_states`` maps ``custom-<N>`` to neutral states."""
    if not isinstance(payload, dict):
        raise PayloadError(f"Prom order payload is not an object: {str(payload)[:120]!r}")
    return _Parser(payload, custom_states).parse()
