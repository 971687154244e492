"""Order checks: hostile input is described, never raised, never left unnoticed."""

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omni_connectors.core.checks import (
    Limits,
    clean_text,
    number_problems,
    peek_contact,
    safe_json_text,
    safe_text,
    text_problems,
)
from omni_connectors.core.models import Customer, DeliveryInfo, Order, OrderLine, OrderState


def order(lines, total=None, **kw):
    return Order(
        external_id="1", state=OrderState.NEW, customer=Customer(name="Ім'я"),
        lines=[OrderLine(sku=f"S{i}", name="x", quantity=Decimal(q), unit_price=Decimal(p))
               for i, (q, p) in enumerate(lines)],
        total=None if total is None else Decimal(total), **kw,
    )


def test_a_plain_order_has_no_problem():
    assert number_problems(order([(2, "100.50"), (1, "49")], "250.00")) == []
    assert text_problems(order([(1, 1)])) == []


def test_absurd_numbers_are_named_by_line():
    problems = number_problems(order([(1, "10"), ("1e20", "10"), (1, "1e308")], "1e400"))
    assert {(p.code, p.line) for p in problems} >= {("quantity", 1), ("price", 2)}


def test_total_that_does_not_add_up_is_flagged_but_discount_and_delivery_count():
    assert [p.code for p in number_problems(order([(2, "100")], "150"))] == ["sum"]
    assert number_problems(order([(2, "100")], "150", discount_total=Decimal(50))) == []
    with_delivery = order([(2, "100")], "270", delivery=DeliveryInfo(cost=Decimal(70)))
    assert number_problems(with_delivery) == []
    assert number_problems(order([(3, "33.33")], "100.00")) == []  # rounding


def test_fraction_of_a_unit_product_is_flagged():
    problems = number_problems(order([("1.5", "10")], "15"), unit_lines={0})
    assert [(p.code, p.line) for p in problems] == [("fraction", 0)]
    assert number_problems(order([("1.5", "10")], "15"), unit_lines=()) == []


def test_too_many_lines_stops_early():
    many = order([(1, 1)] * 600)
    assert [p.code for p in number_problems(many, Limits(max_lines=500))] == ["too_many_lines"]


def test_unstorable_characters_are_found_where_they_are():
    hostile = order([(1, 1)])
    hostile.customer.name = "Тарас\x00"
    hostile.lines[0].name = "Чайник \ud800"
    hostile.comment = "ok\nfine\ttab"
    found = {(p.code, p.field, p.line) for p in text_problems(hostile)}
    assert found == {("control", "customer.name", None), ("surrogate", "lines[0].name", 0)}


@given(st.text())
def test_clean_text_is_always_storable(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")
    assert "\x00" not in cleaned
    assert text_problems(Customer(name=cleaned)) == []


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
))
@settings(max_examples=200)
def test_safe_json_text_stores_anything_and_reads_back_equal(payload):
    text = safe_json_text(payload)
    text.encode("utf-8")
    assert "\x00" not in text
    assert json.loads(text) == payload


@given(st.binary() | st.text())
def test_safe_text_is_storable(body):
    text = safe_text(body)
    text.encode("utf-8")
    assert "\x00" not in text


@given(st.lists(st.tuples(
    st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30)),
    st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.floats()),
), min_size=1, max_size=8), st.one_of(st.none(), st.decimals(allow_nan=True)))
@settings(max_examples=300)
def test_number_problems_never_raise_and_flag_every_absurd_line(lines, total):
    hostile = Order(
        external_id="h", state=OrderState.NEW, customer=Customer(),
        lines=[OrderLine(sku="s", name="n", quantity=q, unit_price=p) for q, p in lines],
        total=total,
    )
    problems = number_problems(hostile)
    limits = Limits()
    for index, (quantity, _price) in enumerate(lines):
        q = Decimal(str(quantity)) if str(quantity) not in ("nan", "inf", "-inf") else None
        if q is None or not q.is_finite() or q <= 0 or q > limits.max_quantity:
            assert any(p.line == index and p.code == "quantity" for p in problems)


def test_peek_contact_reads_what_it_can():
    payload = {"id": 5, "buyer": {"full_name": "Олена\x00 Коваль", "phone": "0501234567"},
               "delivery": {"city": "Львів"}, "items": "broken"}
    assert peek_contact(payload) == {"name": "Олена Коваль", "phone": "0501234567",
                                     "city": "Львів"}
    assert peek_contact(["not", "a", "dict"]) == {}
