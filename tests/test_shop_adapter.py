"""The own shop's webhook adapter against the shop simulator, over loopback HTTP."""

from decimal import Decimal

import pytest

from omni_connectors.core import errors
from omni_connectors.core.models import OrderState, PriceUpdate, RawOrder, StockUpdate
from omni_connectors.shop import ShopAdapter
from omni_sandbox.shop import ShopSimulator

SECRET = "whsec-7c2e"


@pytest.fixture
def shop_sim():
    with ShopSimulator(secret=SECRET) as sim:
        yield sim


@pytest.fixture
def records():
    return []


@pytest.fixture
def adapter(shop_sim, sleeps, records):
    return ShopAdapter(shop_sim.url + "/webhook", SECRET, channel="Site",
                       timeout=(1, 0.5), sleep=sleeps, on_call=records.append)


def test_stock_and_prices_arrive_signed_and_applied(shop_sim, adapter, records):
    result = adapter.push_stock([StockUpdate("A-1", 7), StockUpdate("B-2", 0)])
    assert result.accepted == ["A-1", "B-2"]
    adapter.push_prices([PriceUpdate("A-1", Decimal("640"), old_price=Decimal("700"))])
    assert shop_sim.offers["A-1"] == {"quantity": 7, "price": "640.00", "old_price": "700.00"}
    assert shop_sim.refused == []
    # the secret never shows in the sync log
    assert all(SECRET not in str(record) for record in records)


def test_rejected_skus_are_reported_not_raised(shop_sim, adapter):
    shop_sim.reject_skus = {"B-2": "unknown SKU"}
    result = adapter.push_stock([StockUpdate("A-1", 3), StockUpdate("B-2", 1)])
    assert result.accepted == ["A-1"]
    assert result.rejected == {"B-2": "unknown SKU"}


def test_wrong_secret_is_refused_by_the_shop(shop_sim, sleeps):
    adapter = ShopAdapter(shop_sim.url + "/webhook", "not-the-secret", sleep=sleeps,
                          timeout=(1, 0.5))
    with pytest.raises(errors.AuthError):
        adapter.push_stock([StockUpdate("A-1", 1)])
    assert shop_sim.offers == {}
    assert adapter.test_connection().ok is False


def test_500_then_success_is_retried_once(shop_sim, adapter, sleeps):
    shop_sim.faults.add("status", path="/webhook", status=500)
    adapter.push_stock([StockUpdate("A-1", 4)])
    assert shop_sim.offers["A-1"]["quantity"] == 4
    assert len(sleeps.calls) == 1


def test_timeout_after_applying_resends_safely(shop_sim, adapter):
    shop_sim.faults.add("timeout", path="/webhook", after=True, seconds=2)
    adapter.push_stock([StockUpdate("A-1", 9)])
    # applied once by the lost request, then the repeat is acknowledged
    assert shop_sim.offers["A-1"]["quantity"] == 9


def test_shop_down_raises_a_retryable_error(free_port, sleeps):
    adapter = ShopAdapter(f"http://127.0.0.1:{free_port}/webhook", SECRET, sleep=sleeps,
                          timeout=(0.5, 0.5), max_retries=1)
    with pytest.raises(errors.TransportError) as err:
        adapter.push_stock([StockUpdate("A-1", 1)])
    assert err.value.retryable


def test_order_status_with_waybill(shop_sim, adapter):
    adapter.set_order_status("1001", OrderState.SHIPPED, ttn="20450000000001",
                             carrier="nova_poshta")
    assert shop_sim.order_status["1001"]["ttn"] == "20450000000001"
    assert shop_sim.order_status["1001"]["status"] == "shipped"
    with pytest.raises(errors.ValidationError, match="waybill"):
        adapter.set_order_status("1001", OrderState.SHIPPED)
    with pytest.raises(errors.ValidationError, match="shop's own"):
        adapter.set_order_status("1001", OrderState.NEW)


def test_pull_mode_sends_nothing_and_accepts(shop_sim):
    adapter = ShopAdapter("", "")
    assert adapter.push_stock([StockUpdate("A-1", 2)]).accepted == ["A-1"]
    assert adapter.set_order_status("9", OrderState.CONFIRMED).remote_status == "confirmed"
    assert adapter.test_connection().ok
    assert not adapter.can_fetch_orders
    assert shop_sim.requests == []


def test_batch_limit_is_enforced(adapter):
    with pytest.raises(ValueError):
        adapter.push_stock([StockUpdate(str(i), 1) for i in range(adapter.batch_limit + 1)])


def test_posted_order_is_parsed_and_a_broken_one_named():
    adapter = ShopAdapter("", "")
    order = adapter.parse_order(RawOrder("S-1", {
        "id": "S-1", "status": "new",
        "customer": {"name": "Леся Українка", "phone": "0671234567"},
        "lines": [{"sku": "A-1", "quantity": 2, "price": "640.00"}],
    }))
    assert order.lines[0].quantity == 2 and order.state is OrderState.NEW
    with pytest.raises(errors.PayloadError, match="S-2"):
        adapter.parse_order(RawOrder("S-2", {"id": "S-2", "status": "new", "lines": []}))
    with pytest.raises(errors.PayloadError, match="not a JSON object"):
        adapter.parse_order(RawOrder("", None, body="<html>"))
