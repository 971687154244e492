"""Prom.ua payloads to neutral orders: the fact sheet's examples and hostile input."""

import copy
from datetime import datetime, timezone
from decimal import Decimal

import _prom_common
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omni_connectors.core.errors import (
    AuthError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RemoteError,
    ValidationError,
)
from omni_connectors.core.models import OrderState
from omni_connectors.core.money import to_decimal
from omni_connectors.core.transport import Response
from omni_connectors.prom import (
    PromApiError,
    PromBatchError,
    PromDeclarationError,
    PromRefusedError,
    filter_date,
    parse_order,
    prom_check,
)
from omni_connectors.prom.adapter import _offer

# the shared fixtures, used by name
prom_adapter_factory = _prom_common.prom_adapter_factory
prom_sim = _prom_common.prom_sim

# fact sheet 6.1, as on the wire
ORDER_61 = {
    "id": 412345678,
    "date_created": "2025-03-14T09:21:07.512233+00:00",
    "date_modified": "2025-03-14T09:21:08.100452+00:00",
    "client_first_name": "Оксана",
    "client_second_name": "",
    "client_last_name": "Ковальчук",
    "client_id": 301122334,
    "client": {"first_name": "Оксана", "last_name": "Ковальчук", "second_name": "",
               "phone": "+380671234567", "id": 301122334},
    "delivery_recipient": {},
    "email": None,
    "phone": "+380671234567",
    "delivery_option": {"id": 15500001, "name": "Нова Пошта", "shipping_service": None},
    "delivery_address": "м. Львів, №12: вул. Городоцька, 101",
    "delivery_provider_data": {
        "provider": "nova_poshta", "type": "W2W",
        "sender_warehouse_id": None,
        "recipient_warehouse_id": "0d5d1a20-1111-4c0e-9e00-aaaaaaaaaaaa",
        "declaration_number": None, "unified_status": None,
    },
    "delivery_cost": 0,
    "payment_option": {"id": 9800001, "name": "Накладений платіж"},
    "payment_data": None,
    "price": "1 150 грн",
    "full_price": "1 150 грн",
    "client_notes": "Прошу зателефонувати після 18:00",
    "products": [
        {"id": 2100000001, "external_id": "MUG-07", "name": "Горнятко керамічне 350 мл",
         "name_multilang": {"uk": "Горнятко керамічне 350 мл",
                            "ru": "Кружка керамическая 350 мл"},
         "sku": "MUG-07", "price": "230 грн", "quantity": 5.0, "measure_unit": "шт.",
         "image": "https://images.example/mug_w100_h100.jpg",
         "url": "https://shop.example/p2100000001.html",
         "total_price": "1 150 грн", "cpa_commission": {"amount": "103.50"}},
    ],
    "status": "pending",
    "status_name": "Нове",
    "source": "portal",
    "price_with_special_offer": None, "special_offer_discount": None,
    "special_offer_promocode": None,
    "has_order_promo_free_delivery": False,
    "cpa_commission": {"amount": "103.50", "is_refunded": False},
    "utm": {"medium": "", "source": "", "campaign": ""},
    "dont_call_customer_back": False,
    "ps_promotion": None,
    "cancellation": None,
}
# fact sheet 6.2: Prom Payment, shipped, parcel locker
ORDER_62 = {
    "id": 412345679,
    "date_created": "2025-03-13T17:02:44.000120+00:00",
    "client_first_name": "Тарас", "client_second_name": "Іванович",
    "client_last_name": "Мельник",
    "client_id": 301122335,
    "phone": "380931112233", "email": "taras.m@example.com",
    "delivery_option": {"id": 15500001, "name": "Нова Пошта", "shipping_service": None},
    "delivery_address": "м. Київ, Поштомат №5120: просп. Перемоги, 30",
    "delivery_provider_data": {
        "provider": "nova_poshta", "type": "W2W", "sender_warehouse_id": None,
        "recipient_warehouse_id": "6b1a2c3d-2222-4f00-8e00-bbbbbbbbbbbb",
        "declaration_number": "20450912345678", "unified_status": "on_the_way",
    },
    "delivery_cost": 0,
    "payment_option": {"id": 9800002, "name": "Пром-оплата"},
    "payment_data": {"type": "evopay", "status": "paid",
                     "status_modified": "2025-03-13T17:03:10.442001+00:00"},
    "price": "499 грн", "full_price": "499 грн",
    "products": [{"id": 2100000002, "external_id": "", "name": "Чохол для телефону",
                  "sku": "CASE-1", "price": "499 грн", "quantity": 1.0,
                  "total_price": "499 грн", "measure_unit": "шт."}],
    "status": "received", "status_name": "Прийнято",
    "source": "mobile_catalog_app",
    "has_order_promo_free_delivery": True,
    "dont_call_customer_back": True,
    "cancellation": None,
}


def test_fact_sheet_order_maps_fully():
    order = parse_order(ORDER_61)
    assert order.external_id == "412345678"
    assert order.state == OrderState.NEW and order.remote_status_name == "Нове"
    assert order.total == Decimal("1150") and order.goods_total == Decimal("1150")
    assert order.commission == Decimal("103.50") and not order.commission_refunded
    assert order.customer.phone == "+380671234567"
    assert (order.customer.first_name, order.customer.last_name) == ("Оксана", "Ковальчук")
    assert order.comment == "Прошу зателефонувати після 18:00"
    line = order.lines[0]
    assert (line.sku, line.external_product_id) == ("MUG-07", "2100000001")
    assert (line.quantity, line.unit_price, line.commission) == (
        Decimal("5"), Decimal("230"), Decimal("103.50"))
    assert line.name == "Горнятко керамічне 350 мл"
    delivery = order.delivery
    assert delivery.service == "nova_poshta" and delivery.method == "warehouse"
    assert delivery.warehouse_ref == "0d5d1a20-1111-4c0e-9e00-aaaaaaaaaaaa"
    assert delivery.service_type == "WarehouseWarehouse"
    assert order.payment.cash_on_delivery and not order.payment.is_paid
    assert order.created_at == datetime(2025, 3, 14, 9, 21, 7, 512233, tzinfo=timezone.utc)


def test_prom_payment_order_is_paid_with_amount_and_date():
    order = parse_order(ORDER_62)
    assert order.state == OrderState.CONFIRMED
    payment = order.payment
    assert payment.is_paid and payment.provider == "evopay" and payment.method == "prom_payment"
    assert payment.paid_amount == Decimal("499")
    assert payment.paid_at == datetime(2025, 3, 13, 17, 3, 10, 442001, tzinfo=timezone.utc)
    assert not payment.cash_on_delivery
    assert order.customer.phone == "+380931112233", "12 digits become +380"
    assert order.customer.middle_name == "Іванович"
    assert order.delivery.method == "postomat" and order.delivery.ttn == "20450912345678"
    assert order.delivery.status == "on_the_way"
    assert order.lines[0].sku == "CASE-1", "no external id: the SKU is the key"
    assert order.dont_call_back


def test_door_delivery_keeps_address_parts_and_katottg():
    payload = copy.deepcopy(ORDER_61)
    payload["delivery_provider_data"].update(type="W2D", recipient_warehouse_id=None,
                                             recipient_address={
        "city_id": "db5c88f5-391c-11dd-90d9-001a92567626", "city_name": "Львів",
        "city_katottg": "UA46060250010015970", "warehouse_id": None,
        "street_id": "street-ref-1", "street_name": "вул. Городоцька",
        "building_number": "101", "apartment_number": "5"})
    payload["delivery_recipient"] = {"first_name": "Ігор", "last_name": "Ковальчук",
                                     "second_name": "", "phone": "067 765 43 21"}
    delivery = parse_order(payload).delivery
    assert delivery.method == "courier" and delivery.service_type == "WarehouseDoors"
    assert (delivery.street, delivery.street_ref, delivery.house, delivery.flat) == (
        "вул. Городоцька", "street-ref-1", "101", "5")
    assert delivery.city_katottg == "UA46060250010015970"
    assert delivery.city_ref == "db5c88f5-391c-11dd-90d9-001a92567626"
    assert delivery.recipient_first_name == "Ігор"
    assert delivery.recipient_phone == "+380677654321"


@pytest.mark.parametrize("text, amount", [
    ("1 713 грн", "1713"),
    ("1\u00a0713 грн", "1713"),
    ("1\u00a0150,50 грн", "1150.50"),
    ("12 345 678,01 грн", "12345678.01"),
    ("0,10 грн", "0.10"),
])
def test_display_money_is_exact(text, amount):
    payload = copy.deepcopy(ORDER_61)
    payload["full_price"] = text
    assert parse_order(payload).total == Decimal(amount)


def test_cancelled_order_carries_reason_and_initiator():
    payload = dict(ORDER_61, status="canceled",
                   cancellation={"title": "Немає в наявності", "initiator": "seller"})
    order = parse_order(payload)
    assert order.state == OrderState.CANCELLED
    assert (order.cancel_reason, order.cancel_initiator) == ("Немає в наявності", "seller")


def test_custom_status_is_data():
    payload = dict(ORDER_61, status="custom-137639", status_name="Підтверджено")
    assert parse_order(payload).state == OrderState.CONFIRMED
    assert parse_order(payload, {"custom-137639": "shipped"}).state == OrderState.SHIPPED


@pytest.mark.parametrize("change, field", [
    ({"status": "lost"}, "status"),
    ({"products": []}, "products"),
    ({"full_price": "сто гривень"}, "full_price"),
    ({"products": [{"id": 1, "sku": "A", "price": "1 грн", "quantity": 0}]}, "quantity"),
    ({"products": [{"id": 1, "sku": "A", "quantity": 1}]}, "price"),
    ({"delivery_provider_data": "nova"}, "delivery_provider_data"),
])
def test_broken_payload_names_the_field(change, field):
    with pytest.raises(PayloadError) as err:
        parse_order(dict(ORDER_61, **change))
    assert field in str(err.value) and "412345678" in str(err.value)


def test_date_filter_format_has_no_fraction_nor_zone():
    moment = datetime(2026, 7, 20, 18, 10, 44, 174000, tzinfo=timezone.utc)
    assert filter_date(moment) == "2026-07-20T21:10:44"  # Kyiv, summer time
    assert filter_date(moment, "UTC") == "2026-07-20T18:10:44"


def _resp(data, status=200):
    return Response(status=status, headers={}, text="", data=data)


@pytest.mark.parametrize("body, cls", [
    ({"error": "This status value is not allowed"}, PromApiError),
    ({"error": "Невірне значення параметра status"}, PromApiError),
    ({"errors": {"error": "Очікується список товарів"}}, PromBatchError),
    ({"status": "error", "message": "Помилка валідації",
      "errors": {"declaration_id": "лише цифри"}}, PromDeclarationError),
    ({"status": "already_running", "message": "Імпорт уже виконується"}, PromRefusedError),
])
def test_http_200_error_shapes_are_typed(body, cls):
    error = prom_check(_resp(body))
    assert isinstance(error, cls)
    assert not error.retryable


@pytest.mark.parametrize("body", [
    {"processed_ids": ["A"], "errors": {"B": {"presence": "x"}}},
    {"processed_ids": []},
    {"status": "success"},
    {"id": "65f0c1d2e3a4b5c6d7e8f901", "status": "success"},
    {"orders": []},
])
def test_success_shapes_pass(body):
    assert prom_check(_resp(body)) is None


def test_transport_level_shapes_over_http(prom_sim, prom_adapter_factory):
    adapter = prom_adapter_factory(token="wrong-token-000")
    with pytest.raises(AuthError) as err:
        adapter.get_order("1")
    assert err.value.status == 401 and "Unauthorized" in str(err.value)
    adapter = prom_adapter_factory()
    with pytest.raises(NotFoundError):
        adapter.product_by_external_id("NOPE")
    prom_sim.faults.add("status", path="/api/v1/orders/list", status=429, times=None)
    with pytest.raises(RateLimitError):
        adapter.fetch_orders(None)
    prom_sim.faults.clear()
    prom_sim.faults.add("status", path="/api/v1/orders/list", status=502, times=None)
    with pytest.raises(RemoteError) as err:
        adapter.fetch_orders(None)
    assert err.value.retryable
    prom_sim.faults.clear()
    prom_sim.faults.add("malformed", path="/api/v1/orders/list",
                        body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(PayloadError):
        adapter.fetch_orders(None)


# ------------------------------------------------------------- hostile input
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
_FIELDS = ["id", "status", "price", "full_price", "products", "phone", "client",
           "delivery_provider_data", "payment_data", "payment_option", "cpa_commission",
           "date_created", "cancellation", "delivery_recipient", "special_offer_discount"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=6))
def test_hostile_fields_map_or_refuse_cleanly(changes):
    payload = copy.deepcopy(ORDER_61)
    payload.update(changes)
    try:
        order = parse_order(payload)
    except PayloadError:
        return
    assert order.external_id
    for line in order.lines:
        assert line.quantity > 0 and line.unit_price >= 0
        assert isinstance(line.unit_price, Decimal)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2),
       st.sampled_from([" ", "\u00a0", "\u202f"]), st.booleans())
def test_display_money_round_trips(amount, space, comma):
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = space.join(groups) + ("," if comma else ".") + cents + " грн"
    assert to_decimal(text) == amount
    payload = copy.deepcopy(ORDER_61)
    payload["products"][0]["price"] = text
    assert parse_order(payload).lines[0].unit_price == amount


@given(st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers())))
def test_non_object_payload_is_refused(payload):
    with pytest.raises(PayloadError):
        parse_order(payload)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_answer_is_success_or_a_typed_error(body):
    error = prom_check(_resp(body))
    assert error is None or isinstance(error, ValidationError)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "external_id", "sku", "gtin", "price",
                                        "quantity_in_stock", "status", "name_multilang",
                                        "name"]), _json, max_size=6))
def test_hostile_products_become_offers_or_refuse_cleanly(fields):
    entry = {"id": 2100000001, "external_id": "MUG-07", "sku": "MUG-07", "price": 230.0}
    entry.update(fields)
    try:
        offer = _offer(entry)
    except PayloadError:
        return
    assert offer.key == str(entry["id"])
    assert offer.quantity is None or isinstance(offer.quantity, int)
    assert offer.price is None or isinstance(offer.price, Decimal)


def test_fact_sheet_orders_pass_the_base_checks():
    from omni_connectors.core import checks

    with_delivery = dict(ORDER_61, delivery_cost=80.0, full_price="1 230 грн")
    for payload in (ORDER_61, ORDER_62, with_delivery):
        order = parse_order(payload)
        assert checks.number_problems(order) == [], payload["id"]
        assert checks.text_problems(order) == [], payload["id"]
    broken = dict(ORDER_61, full_price="2 150 грн")
    assert [p.code for p in checks.number_problems(parse_order(broken))] == ["sum"]
