import json
import time
from dataclasses import asdict
from decimal import Decimal

import pytest

from omni_connectors.core import errors
from omni_connectors.core.models import (
    OrderState,
    PriceUpdate,
    RawOrder,
    StatusResult,
    StockUpdate,
)
from omni_connectors.core.ratelimit import MemoryReserve, SharedRateLimiter
from omni_connectors.generic import GenericAdapter
from omni_sandbox.generic import HOSTILE_ORDER_KINDS, KYIV_CITY_REF, GenericChannelSimulator

BUYER = {"name": "Тарас Шевченко", "phone": "+38 (067) 123-45-67", "email": "t@ex.ua"}


@pytest.fixture
def records():
    return []


@pytest.fixture
def adapter(generic_sim, sleeps, records):
    return GenericAdapter(
        generic_sim.url,
        generic_sim.api_key,
        timeout=(1, 0.5),
        sleep=sleeps,
        on_call=records.append,
    )


@pytest.fixture
def shop(generic_sim):
    generic_sim.add_offer("A-1", "Чайник", quantity=10, price="640.00")
    generic_sim.add_offer("B-2", "Кружка", quantity=3, price="99.90")
    return generic_sim


def calls(sim, path):
    return [r for r in sim.requests if r["path"] == path]


def stock_log(sim):
    return [
        (kind, sku, value) for kind, sku, value, _n in sim.applied if kind == "stock"
    ]


def test_connection_ok(adapter):
    info = adapter.test_connection()
    assert (info.ok, info.account) == (True, "Test Shop")


def test_connection_with_wrong_key_reports_not_ok(generic_sim, sleeps):
    info = GenericAdapter(
        generic_sim.url, "wrong-key-123", sleep=sleeps
    ).test_connection()
    assert not info.ok
    assert "unauthorized" in info.message and "401" in info.message


def test_connection_to_nothing_reports_not_ok(free_port, sleeps):
    adapter = GenericAdapter(f"http://127.0.0.1:{free_port}", "any-key-1", sleep=sleeps)
    info = adapter.test_connection()
    assert not info.ok
    assert "cannot connect" in info.message
    assert len(sleeps.calls) == 4  # retried before giving up


def test_push_stock_maps_accepted_and_rejected(shop, adapter):
    result = adapter.push_stock(
        [StockUpdate("A-1", 7), StockUpdate("ZZZ", 1), StockUpdate("B-2", 0)]
    )
    assert result.accepted == ["A-1", "B-2"]
    assert result.rejected == {"ZZZ": "unknown sku"}
    assert (shop.offer("A-1")["quantity"], shop.offer("B-2")["quantity"]) == (7, 0)
    assert stock_log(shop) == [("stock", "A-1", 7), ("stock", "B-2", 0)]


def test_push_stock_negative_quantity_is_rejected_per_item(shop, adapter):
    result = adapter.push_stock([StockUpdate("A-1", -2), StockUpdate("B-2", 1)])
    assert result.accepted == ["B-2"]
    assert result.rejected == {"A-1": "quantity must be a non-negative integer"}
    assert shop.offer("A-1")["quantity"] == 10


def test_push_stock_refuses_more_than_its_batch_limit_without_calling(shop, sleeps):
    adapter = GenericAdapter(shop.url, shop.api_key, batch_limit=2, sleep=sleeps)
    with pytest.raises(ValueError, match="exceed the batch limit of 2"):
        adapter.push_stock([StockUpdate(f"S{i}", 1) for i in range(3)])
    assert shop.requests == []


def test_channel_batch_limit_refusal_is_a_validation_error(sleeps):
    with GenericChannelSimulator(api_key="small-batch-key", batch_limit=2) as sim:
        sim.add_offer("A-1", quantity=1)
        adapter = GenericAdapter(sim.url, sim.api_key, batch_limit=5, sleep=sleeps)
        with pytest.raises(errors.ValidationError) as info:
            adapter.push_stock([StockUpdate("A-1", i) for i in range(3)])
        assert info.value.status == 422
        assert info.value.message == "batch limit 2 exceeded"
        assert sim.applied == []
        assert len(calls(sim, "/api/stock")) == 1


def test_empty_push_sends_nothing(shop, adapter):
    assert adapter.push_stock([]).accepted == []
    assert shop.requests == []


def test_push_prices(shop, adapter):
    result = adapter.push_prices(
        [
            PriceUpdate("A-1", Decimal("599.5"), old_price=Decimal("640")),
            PriceUpdate("B-2", Decimal("-1")),
            PriceUpdate("C-3", Decimal("10")),
        ]
    )
    assert result.accepted == ["A-1"]
    assert set(result.rejected) == {"B-2", "C-3"}
    assert result.rejected["C-3"] == "unknown sku"
    assert "positive" in result.rejected["B-2"]
    offer = shop.offer("A-1")
    assert (offer["price"], offer["old_price"]) == ("599.50", "640.00")
    assert [(k, s, v) for k, s, v, _n in shop.applied] == [("price", "A-1", "599.50")]


def test_held_and_unchanged_updates_are_reported_apart(shop, adapter):
    """Rozetka holds big price jumps for the manager; Prom reports no-op changes."""
    shop.hold_price_jumps = shop.report_unchanged = True
    before = shop.offer("A-1")["price"]
    jump = Decimal(before) * 2
    result = adapter.push_prices(
        [PriceUpdate("A-1", jump), PriceUpdate("B-2", Decimal(shop.offer("B-2")["price"]))]
    )
    assert result.accepted == []
    assert result.unchanged == ["B-2"]
    assert list(result.pending) == ["A-1"]
    assert "confirmation" in result.pending["A-1"]
    assert shop.offer("A-1")["price"] == before  # held, not applied
    stock = adapter.push_stock([StockUpdate("A-1", shop.offer("A-1")["quantity"])])
    assert (stock.accepted, stock.unchanged) == ([], ["A-1"])


@pytest.mark.parametrize("kind", ["stock", "prices"])
def test_fault_sequence_applies_each_update_exactly_once(shop, adapter, sleeps, kind):
    path = f"/api/{kind}"
    shop.faults.add("status", path=path, status=429, retry_after=1)
    shop.faults.add("status", path=path, status=500)
    shop.faults.add("timeout", path=path, seconds=5)
    if kind == "stock":
        result = adapter.push_stock([StockUpdate("A-1", 4), StockUpdate("B-2", 9)])
        expected = [("stock", "A-1", 4), ("stock", "B-2", 9)]
    else:
        result = adapter.push_prices(
            [PriceUpdate("A-1", Decimal("650")), PriceUpdate("B-2", Decimal("1.5"))]
        )
        expected = [("price", "A-1", "650.00"), ("price", "B-2", "1.50")]
    assert result.accepted == ["A-1", "B-2"]
    assert [(k, s, v) for k, s, v, _n in shop.applied] == expected
    assert [r["fault"] for r in calls(shop, path)] == [
        "status",
        "status",
        "timeout",
        None,
    ]
    assert [r["status"] for r in calls(shop, path)] == [429, 500, None, 200]
    assert sleeps.calls[0] == 1.0  # Retry-After honoured
    assert len(sleeps.calls) == 3


def place(sim, n=1, sku="A-1", quantity=1):
    return [
        sim.place_order(BUYER, [{"sku": sku, "quantity": quantity}]) for _ in range(n)
    ]


def test_fetch_orders_follows_the_cursor(shop, adapter):
    place(shop, 3)
    batch = adapter.fetch_orders(None)
    assert [o.external_id for o in batch.orders] == ["G-1001", "G-1002", "G-1003"]
    assert all(isinstance(o.payload, dict) and o.body == "" for o in batch.orders)
    assert batch.has_more is False
    again = adapter.fetch_orders(batch.cursor)
    assert again.orders == []
    assert again.cursor == batch.cursor
    shop.cancel_order_remote("G-1002", reason="changed my mind")
    changed = adapter.fetch_orders(batch.cursor)
    assert [o.external_id for o in changed.orders] == ["G-1002"]
    assert changed.orders[0].updated_marker != batch.orders[1].updated_marker
    assert changed.orders[0].payload["status"] == "cancelled"


def test_fetch_orders_pages_with_has_more(generic_sim, adapter):
    generic_sim.add_offer("A-1", quantity=100, price="1.00")
    place(generic_sim, 55)
    first = adapter.fetch_orders(None)
    assert (len(first.orders), first.has_more) == (50, True)
    second = adapter.fetch_orders(first.cursor)
    assert (len(second.orders), second.has_more) == (5, False)
    ids = {o.external_id for o in first.orders + second.orders}
    assert len(ids) == 55


def test_duplicate_delivery_returns_identical_raw_orders(shop, adapter):
    place(shop, 2)
    first = adapter.fetch_orders(None)
    shop.faults.add("duplicate")
    place(shop, 1)
    dup = adapter.fetch_orders(first.cursor)
    assert [(o.external_id, o.updated_marker) for o in dup.orders] == [
        (o.external_id, o.updated_marker) for o in first.orders
    ]
    assert dup.cursor == first.cursor
    fresh = adapter.fetch_orders(dup.cursor)
    assert [o.external_id for o in fresh.orders] == ["G-1003"]
    # a caller keyed on (external id, change marker) ends with each order once
    seen = {
        (o.external_id, o.updated_marker)
        for o in first.orders + dup.orders + fresh.orders
    }
    assert len(seen) == 3


def test_non_object_entry_comes_back_with_its_body(shop, adapter):
    place(shop, 1)
    shop.inject_raw_order("<order id=7>not json")
    shop.inject_raw_order(["a", "list"])
    batch = adapter.fetch_orders(None)
    assert [o.external_id for o in batch.orders] == ["G-1001", "", ""]
    assert batch.orders[1].payload is None
    assert batch.orders[1].body == "<order id=7>not json"
    assert batch.orders[2].body == '["a", "list"]'
    with pytest.raises(errors.PayloadError, match="payload is not an object"):
        adapter.parse_order(batch.orders[1])


def test_malformed_page_comes_back_as_one_raw_order(shop, adapter):
    place(shop, 1)
    shop.faults.add("malformed", path="/api/orders", body='{"orders": [{"id": "G-10')
    batch = adapter.fetch_orders(None)
    assert len(batch.orders) == 1
    assert batch.orders[0].body == '{"orders": [{"id": "G-10'
    assert batch.orders[0].payload is None
    assert batch.cursor is None  # unchanged: the next poll asks again
    assert [o.external_id for o in adapter.fetch_orders(None).orders] == ["G-1001"]


def test_a_raw_control_character_spoils_one_order_not_the_page(shop, adapter):
    place(shop, 1)
    shop.inject_hostile_order("raw_nul")
    batch = adapter.fetch_orders(None)
    assert [o.external_id for o in batch.orders] == ["G-1001", "H-2"]
    assert "\x00" in adapter.parse_order(batch.orders[1]).customer.name


@pytest.mark.parametrize("kind", HOSTILE_ORDER_KINDS)
def test_hostile_orders_never_break_the_feed(shop, adapter, kind):
    place(shop, 1)
    shop.inject_hostile_order(kind)
    batch = adapter.fetch_orders(None)
    assert batch.orders
    for raw in batch.orders:
        try:
            order = adapter.parse_order(raw)
        except errors.PayloadError:
            continue
        assert order.external_id
    if kind == "deep_nesting":  # the page cannot be read at all: kept whole
        assert len(batch.orders) == 1 and batch.cursor is None
    else:
        assert [o.external_id for o in batch.orders] == ["G-1001", "H-2"]


def test_parse_order_maps_every_field(shop, adapter):
    shop.place_order(
        BUYER,
        [{"sku": "A-1", "quantity": 2}, {"sku": "B-2", "quantity": 1}],
        payment={"method": "card", "paid": True},
        comment="call first",
    )
    order = adapter.parse_order(adapter.fetch_orders(None).orders[0])
    assert order.external_id == "G-1001"
    assert order.state is OrderState.NEW
    assert order.total == Decimal("1379.90")
    assert [(ln.sku, ln.name, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("A-1", "Чайник", Decimal(2), Decimal("640.00")),
        ("B-2", "Кружка", Decimal(1), Decimal("99.90")),
    ]
    assert (order.customer.name, order.customer.phone) == (
        BUYER["name"],
        BUYER["phone"],
    )
    assert order.delivery.city_ref == KYIV_CITY_REF
    assert order.delivery.warehouse_name == "Відділення №1"
    assert order.delivery.recipient_name == BUYER["name"]
    assert (order.payment.method, order.payment.is_paid) == ("card", True)
    assert order.payment.cash_on_delivery is False
    assert order.comment == "call first"
    assert order.created_at is not None and order.created_at.tzinfo is not None


def test_parse_order_names_the_bad_field(shop, adapter):
    good = place(shop, 1)[0]
    broken = dict(good, id="G-BAD")
    broken["lines"] = [
        dict(good["lines"][0]),
        {"name": "no sku", "quantity": 1, "price": "1"},
    ]
    with pytest.raises(errors.PayloadError, match=r"^order G-BAD: line 2 has no sku$"):
        adapter.parse_order(RawOrder("G-BAD", broken))
    cases = {
        "order G-1001: unknown status 'lost'": {"status": "lost"},
        "order G-1001: has no lines": {"lines": []},
        "order G-1001: line 1 (A-1) price 'abc' is not an amount": {
            "lines": [{"sku": "A-1", "quantity": 1, "price": "abc"}]
        },
        "order G-1001: line 1 (A-1) has quantity 0": {
            "lines": [{"sku": "A-1", "quantity": 0, "price": "1"}]
        },
        "order G-1001: 'customer' is not an object": {"customer": "Taras"},
        "order payload has no id": {"id": ""},
    }
    for message, change in cases.items():
        with pytest.raises(errors.PayloadError) as info:
            adapter.parse_order(RawOrder("G-1001", dict(good, **change)))
        assert str(info.value) == message


def test_parse_order_reads_a_fixed_body(shop, adapter):
    """A manager corrects a stored body by hand, then retries the mapping."""
    good = place(shop, 1)[0]
    order = adapter.parse_order(RawOrder("", None, body=json.dumps(good)))
    assert order.external_id == "G-1001"


def test_set_order_status_follows_the_channel_rules(shop, adapter):
    place(shop, 2)
    result = adapter.set_order_status("G-1001", OrderState.CONFIRMED)
    assert result == StatusResult(remote_status="confirmed", warnings=[])
    adapter.set_order_status("G-1001", OrderState.CONFIRMED)  # a retry is harmless
    with pytest.raises(errors.ValidationError, match="shipped needs a ttn"):
        adapter.set_order_status("G-1001", OrderState.SHIPPED)
    result = adapter.set_order_status(
        "G-1001", OrderState.SHIPPED, ttn="20450000000001", carrier="nova_poshta"
    )
    assert result.remote_status == "shipped"
    order = shop.orders["G-1001"]
    assert (order["status"], order["ttn"], order["carrier"]) == (
        "shipped",
        "20450000000001",
        "nova_poshta",
    )
    status_log = [(k, key, v) for k, key, v, _n in shop.applied if k == "status"]
    assert status_log == [
        ("status", "G-1001", "confirmed"),
        ("status", "G-1001", "shipped"),
    ]
    adapter.set_order_status("G-1002", OrderState.CANCELLED, cancel_reason="no stock")
    assert shop.orders["G-1002"]["cancel_reason"] == "no stock"
    with pytest.raises(errors.ValidationError, match="cannot go from cancelled"):
        adapter.set_order_status("G-1002", OrderState.CONFIRMED)
    with pytest.raises(errors.ValidationError, match="unknown order G-404") as info:
        adapter.set_order_status("G-404", OrderState.CONFIRMED)
    assert info.value.status == 422


def test_list_offers_walks_every_page(generic_sim, adapter):
    for i in range(230):
        generic_sim.add_offer(f"S-{i:03d}", quantity=i, price=f"{i + 1}.50")
    offers = list(adapter.list_offers())
    assert len(offers) == 230
    assert offers[229].key == "S-229"
    assert (offers[229].quantity, offers[229].price) == (229, Decimal("230.50"))
    assert len(calls(generic_sim, "/api/offers")) == 3


def test_rate_limit_paces_requests(generic_sim, sleeps):
    adapter = GenericAdapter(
        generic_sim.url, generic_sim.api_key, rate_limit=20, sleep=sleeps
    )
    started = time.monotonic()
    for _ in range(5):
        adapter.test_connection()
    assert time.monotonic() - started >= 4 / 20 * 0.9


def test_a_long_retry_after_is_handed_to_the_job(shop, sleeps):
    adapter = GenericAdapter(
        shop.url, shop.api_key, sleep=sleeps, max_inline_wait=2, retry_after_cap=60
    )
    assert (adapter.transport.max_inline_wait, adapter.transport.retry_after_cap) == (2, 60)
    shop.faults.add("status", path="/api/stock", status=429, retry_after=20)
    with pytest.raises(errors.RateLimitError) as info:
        adapter.push_stock([StockUpdate("A-1", 3)])
    assert info.value.retry_after == 20.0
    assert len(calls(shop, "/api/stock")) == 1 and sleeps.calls == []
    assert shop.applied == []


def test_a_given_rate_limiter_replaces_the_process_one(generic_sim, sleeps):
    reserve = MemoryReserve(clock=lambda: 0.0)
    limiter = SharedRateLimiter(reserve, 10, sleep=sleeps)
    adapter = GenericAdapter(
        generic_sim.url, generic_sim.api_key, rate_limit=5, rate_limiter=limiter, sleep=sleeps
    )
    assert adapter.transport.rate_limiter is limiter
    for _ in range(3):
        adapter.test_connection()
    assert reserve.calls == 3
    assert sleeps.calls == pytest.approx([0.1, 0.2])


def test_api_key_never_appears_in_call_records(shop, adapter, records):
    shop.faults.add("status", status=500)
    adapter.push_stock([StockUpdate("A-1", 1)])
    place(shop, 1)
    adapter.fetch_orders(None)
    GenericAdapter(shop.url, shop.api_key, on_call=records.append).push_prices(
        [PriceUpdate("A-1", Decimal(5))]
    )
    assert len(records) == 4
    assert all(shop.api_key not in repr(asdict(r)) for r in records)
    assert records[0].request_headers["X-Api-Key"] == "***"


def test_missing_key_is_an_auth_error_not_a_crash(shop, sleeps):
    adapter = GenericAdapter(shop.url, "", sleep=sleeps)
    assert adapter.test_connection().ok is False
    with pytest.raises(errors.AuthError):
        adapter.push_stock([StockUpdate("A-1", 1)])
    assert shop.applied == []


def test_set_order_status_sends_a_precise_remote_status_and_extra_fields(shop, adapter):
    place(shop, 1)
    result = adapter.set_order_status(
        "G-1001",
        OrderState.CONFIRMED,
        remote_status="cancelled",
        cancel_reason="duplicate",
        extra={"duplicate_of": "G-0999"},
    )
    assert result.remote_status == "cancelled"
    assert shop.orders["G-1001"]["cancel_reason"] == "duplicate"
    sent = json.loads(calls(shop, "/api/orders/G-1001/status")[0]["body"])
    assert sent["duplicate_of"] == "G-0999"


def test_status_post_lost_in_a_timeout_is_repeated_safely(shop, adapter):
    place(shop, 1)
    shop.faults.add("timeout", path="/api/orders/*/status", seconds=3, after=True)
    result = adapter.set_order_status("G-1001", OrderState.CONFIRMED)
    assert result.remote_status == "confirmed"
    assert len(calls(shop, "/api/orders/G-1001/status")) == 2
    status_log = [(k, key, v) for k, key, v, _n in shop.applied if k == "status"]
    assert status_log == [("status", "G-1001", "confirmed")]


def test_optional_contract_methods_have_defaults(adapter):
    assert adapter.cancel_reasons() == []
    assert adapter.price_digits is None
    with pytest.raises(NotImplementedError, match="GenericAdapter"):
        adapter.get_order("G-1001")
