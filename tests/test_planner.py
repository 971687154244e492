"""The sync planner: quantity rules, diffing against what was sent, batching."""

import math
from decimal import Decimal

import pytest

from omni_connectors.core.models import PriceUpdate, StockUpdate
from omni_connectors.core.planner import DirtyItem, QtyRules, plan_prices, plan_stock


@pytest.mark.parametrize(
    "rules, available, shown",
    [
        (QtyRules(), 7, 7),
        (QtyRules(), -3, 0),  # oversold in Odoo: never a negative quantity
        (QtyRules(), 2.9, 2),  # fractions of a unit are not sellable
        (QtyRules(buffer=2), 10, 8),
        (QtyRules(buffer=2), 1, 0),
        (QtyRules(zero_at=3), 3, 0),
        (QtyRules(zero_at=3), 4, 4),
        (QtyRules(buffer=1, zero_at=3), 4, 0),  # the threshold applies after the buffer
        (QtyRules(percent=50), 9, 4),
        (QtyRules(percent=30), 10, 3),  # no float rounding down to 2
        (QtyRules(maximum=5), 100, 5),
        (QtyRules(maximum=0), 100, 100),  # 0 means no maximum
        (QtyRules(percent=50, maximum=3), 10, 3),
        (QtyRules(percent=0), 10, 0),
    ],
)
def test_quantity_rules(rules, available, shown):
    assert rules.apply(available) == shown


def _items(count, last=5, available=5, start=0):
    return [
        DirtyItem(i, f"SKU-{i}", seq=i % 3, last_value=last, available=available)
        for i in range(start, start + count)
    ]


def test_unchanged_items_cost_no_request():
    plan = plan_stock(_items(1000), batch_limit=100)
    assert plan.requests == 0
    assert len(plan.unchanged) == 1000


def test_only_changes_are_planned_in_batches_of_the_limit():
    items = _items(990) + _items(250, last=5, available=7, start=990)
    plan = plan_stock(items, batch_limit=100)
    assert plan.changed == 250
    assert plan.requests == math.ceil(250 / 100)
    assert [len(batch) for batch in plan.to_push] == [100, 100, 50]
    sent = [update for batch in plan.to_push for _item, update in batch]
    assert sent[0] == StockUpdate("SKU-990", 7)
    assert {update.quantity for update in sent} == {7}


def test_never_sent_is_always_sent_even_when_zero():
    item = DirtyItem(1, "SKU-1", seq=0, last_value=None, available=0)
    plan = plan_stock([item], batch_limit=10)
    assert plan.to_push == [[(item, StockUpdate("SKU-1", 0))]]


def test_binding_rules_override_the_channel_default():
    own = DirtyItem(1, "A", 0, None, 10, rules=QtyRules(maximum=2))
    default = DirtyItem(2, "B", 0, None, 10)
    plan = plan_stock([own, default], batch_limit=10, default_rules=QtyRules(buffer=1))
    assert [update.quantity for _item, update in plan.to_push[0]] == [2, 9]


def test_prices_are_rounded_and_compared_to_the_cent():
    same = DirtyItem(1, "A", 0, last_value=99.995, available=Decimal("100.00"))
    moved = DirtyItem(2, "B", 0, last_value=100.0, available=100.004999)
    changed = DirtyItem(3, "C", 0, last_value=100.0, available=100.005)
    plan = plan_prices([same, moved, changed], batch_limit=10)
    assert plan.unchanged == [same, moved]
    assert plan.to_push == [[(changed, PriceUpdate("C", Decimal("100.01")))]]


def test_adapter_price_digits_override_the_currency():
    same = DirtyItem(1, "A", 1, last_value=629, available=Decimal("629.40"))
    changed = DirtyItem(2, "B", 1, last_value=629, available=Decimal("629.50"))
    plan = plan_prices([same, changed], 10, 2, price_digits=0)  # Rozetka: whole UAH
    assert plan.unchanged == [same]
    assert plan.to_push == [[(changed, PriceUpdate("B", Decimal("630")))]]
    assert str(plan.to_push[0][0][1].price) == "630"
    # None keeps the currency's decimals, as the existing callers expect
    assert plan_prices([same], 10, 2, price_digits=None).changed == 1


def test_planning_50000_items_sends_only_the_changed():
    items = _items(49_500) + _items(500, available=6, start=49_500)
    plan = plan_stock(items, batch_limit=100)
    assert (plan.changed, plan.requests, len(plan.unchanged)) == (500, 5, 49_500)
