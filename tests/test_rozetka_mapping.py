"""Rozetka order mapping: the fact sheet's payloads, and hostile ones (hypothesis)."""

import copy
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rozetka_payloads import ORDER, ORDER_DETAIL

from omni_connectors.core.errors import PayloadError
from omni_connectors.core.models import Order, OrderState
from omni_connectors.rozetka import parse_order, statuses
from omni_connectors.rozetka.errors import RozetkaValidationError, error_for


def test_example_order_becomes_a_neutral_order():
    order = parse_order(ORDER)
    assert order.external_id == "905812347"
    assert order.state is OrderState.NEW
    assert order.remote_status == "1"
    assert order.remote_status_name == "Нове замовлення"
    assert order.created_at == datetime(2025, 11, 3, 9, 14, 27, tzinfo=ZoneInfo("Europe/Kyiv"))
    # buyer: name parts and the phone with its plus
    customer = order.customer
    assert (customer.last_name, customer.first_name, customer.middle_name) == (
        "Бондаренко", "Олена", "Іванівна")
    assert customer.name == "Бондаренко Олена Іванівна"
    assert customer.phone == "+380671234567"
    # Nova Poshta branch 17 in Kyiv, with its Ref
    delivery = order.delivery
    assert delivery.service == "nova_poshta"
    assert delivery.method == "warehouse"
    assert delivery.service_type == "WarehouseWarehouse"
    assert delivery.city_name == "Київ"
    assert delivery.warehouse_number == "17"
    assert delivery.warehouse_ref == "7b422fc5-e1b8-11e3-8c4a-0050568002cf"
    assert delivery.recipient_first_name == "Олена"
    assert delivery.recipient_phone == "+380671234567"
    assert delivery.address == ""  # a branch, not a door address
    # one line at the discounted price, the list price and the discount kept
    (line,) = order.lines
    assert line.sku == "10457"  # the seller's offer id from the feed
    assert line.external_product_id == "412907733"
    assert line.quantity == Decimal(2)
    assert line.unit_price == Decimal("599.00")
    assert line.list_price == Decimal("649.00")
    assert line.discount == Decimal("100.00")
    # money as Decimal: what the buyer pays, the goods and the discount
    assert order.total == Decimal("1198.00")
    assert order.goods_total == Decimal("1298.00")
    assert order.discount_total == Decimal("100.00")
    assert order.payment.cash_on_delivery and not order.payment.is_paid
    assert order.comment == "Подзвоніть, будь ласка, після 18:00"
    assert order.dont_call_back is False


def test_door_delivery_and_paid_card_order():
    payload = copy.deepcopy(ORDER)
    payload["delivery"].update(delivery_method_id=2, place_flat="5", place_number=None)
    payload["callback_off"] = 1
    payload["payment"] = {"payment_method_id": 2, "payment_method_name": "Карткою онлайн",
                          "payment_type": "card", "payment_status": {
                              "order_id": 905812347, "status_payment_id": 2, "name": "paid",
                              "created_at": "2025-11-03 09:15:00"}}
    order = parse_order(payload)
    assert order.delivery.method == "courier"
    assert order.delivery.service_type == "WarehouseDoors"
    assert (order.delivery.street, order.delivery.house, order.delivery.flat) == (
        "вул. Січових Стрільців", "24", "5")
    assert order.delivery.address == "вул. Січових Стрільців, 24, кв. 5"
    assert order.delivery.warehouse_ref == ""
    assert order.payment.is_paid and not order.payment.cash_on_delivery
    assert order.payment.paid_amount == Decimal("1198.00")
    assert order.payment.paid_at.minute == 15
    assert order.dont_call_back is True


def test_removed_lines_are_dropped_and_article_is_the_fallback_key():
    payload = copy.deepcopy(ORDER)
    removed = copy.deepcopy(payload["purchases"][0])
    removed.update(status=0, id=1)
    payload["purchases"].append(removed)
    payload["purchases"][0]["item"]["price_offer_id"] = ""
    order = parse_order(payload)
    assert [line.sku for line in order.lines] == ["PL-150-GR"]


@pytest.mark.parametrize("status,state", [
    (1, OrderState.NEW), (26, OrderState.CONFIRMED), (2, OrderState.CONFIRMED),
    (61, OrderState.CONFIRMED), (3, OrderState.SHIPPED), (6, OrderState.DELIVERED),
    (45, OrderState.CANCELLED), (42, OrderState.CANCELLED), (12, OrderState.RETURNED),
])
def test_statuses_map_to_neutral_states(status, state):
    payload = dict(ORDER, status=status, status_group=statuses.status_group(status))
    order = parse_order(payload)
    assert order.state is state
    if state is OrderState.CANCELLED:
        assert order.cancel_reason  # the status name is the reason


def test_detail_example_reads_its_status_label():
    payload = dict(ORDER_DETAIL["content"], purchases=ORDER["purchases"])
    order = parse_order(payload, lang="en")
    assert order.state is OrderState.CONFIRMED
    assert order.remote_status_name == "Processed by the manager"


@pytest.mark.parametrize("change,field", [
    ({"purchases": []}, "no items"),
    ({"purchases": None}, "purchases"),
    ({"status": None}, "no status"),
    ({"amount": "сто"}, "'amount'"),
    ({"delivery": "Київ"}, "'delivery'"),
    ({"changed": "вчора"}, "'changed'"),
])
def test_broken_orders_name_the_order_and_the_field(change, field):
    payload = dict(ORDER, **change)
    with pytest.raises(PayloadError) as caught:
        parse_order(payload)
    assert "905812347" in str(caught.value)
    assert field in str(caught.value)
    assert caught.value.details is payload


def test_broken_line_values():
    for change in ({"quantity": 0}, {"quantity": "two"}, {"price": "-5"}, {"price": None}):
        payload = copy.deepcopy(ORDER)
        payload["purchases"][0].update(change)
        with pytest.raises(PayloadError):
            parse_order(payload)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=20,
)
_fields = st.sampled_from(sorted(ORDER)) | st.text(max_size=10)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_fields, _json, max_size=8))
def test_hostile_changes_give_an_order_or_a_payload_error(change):
    payload = dict(ORDER, **change)
    try:
        order = parse_order(payload)
    except PayloadError:
        return
    assert isinstance(order, Order)
    assert all(isinstance(line.unit_price, Decimal) for line in order.lines)
    assert order.total is None or isinstance(order.total, Decimal)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(ORDER["purchases"][0])), _json, max_size=6),
       st.dictionaries(st.sampled_from(sorted(ORDER["delivery"])), _json, max_size=6))
def test_hostile_lines_and_delivery(line_change, delivery_change):
    payload = copy.deepcopy(ORDER)
    payload["purchases"][0].update(line_change)
    payload["delivery"].update(delivery_change)
    try:
        order = parse_order(payload)
    except PayloadError:
        return
    assert order.lines and all(line.quantity > 0 for line in order.lines)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_hostile_error_envelopes_never_crash(errors):
    err = error_for({"success": False, "errors": errors})
    assert err is None or isinstance(err.message, str)


def test_transition_table_is_data():
    assert 26 in statuses.TRANSITIONS[1]
    assert 42 in statuses.TRANSITIONS[26]
    assert 3 not in statuses.TRANSITIONS[26]
    assert statuses.TTN_REQUIRED == {3, 61}
    assert set(statuses.CANCEL_REASONS) <= set(statuses.STATUSES)
    assert issubclass(RozetkaValidationError, PayloadError.__mro__[1])
