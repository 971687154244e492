"""The Prom.ua adapter against the Prom simulator over real HTTP on loopback."""

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import _prom_common
import pytest

from omni_connectors.core.errors import AuthError, ValidationError
from omni_connectors.core.models import OrderState, PriceUpdate, StockUpdate
from omni_connectors.prom import PromApiError, PromBatchError, PromDeclarationError
from omni_sandbox import get_simulator
from omni_sandbox.prom import OrderRefused, PromSimulator, display_money

# the shared fixtures, used by name
prom = _prom_common.prom
prom_adapter_factory = _prom_common.prom_adapter_factory
prom_sim = _prom_common.prom_sim
TOKEN = _prom_common.TOKEN

BUYER = {"name": "Оксана Ковальчук", "phone": "0671234567", "email": "oksana@example.com"}


def _order(sim, key="MUG-07", qty=1, **kw):
    return sim.place_order(BUYER, [{"key": key, "quantity": qty}], **kw)


def _requests(sim, path):
    return [r for r in sim.requests if r["path"] == "/api/v1" + path]


def test_registered_for_the_cli():
    assert get_simulator("prom") is PromSimulator


def test_every_call_carries_token_and_language(prom_sim, prom_adapter_factory):
    adapter = prom_adapter_factory(language="ru")
    prom_sim.add_product("MUG-07", quantity=3, price="230")
    _order(prom_sim)
    assert adapter.test_connection().ok
    order = adapter.parse_order(adapter.fetch_orders(None).orders[0])
    assert order.remote_status_name == "Новый", "X-LANGUAGE: ru picks the label"
    for request in prom_sim.requests:
        assert request["headers"]["authorization"] == "Bearer ***", "the log masks the token"
        assert request["headers"]["x-language"] == "ru"


def test_token_scope_and_expiry(prom_sim, prom_adapter_factory):
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    prom_sim.add_token("products-only-token", scopes=("products",))
    prom_sim.add_token("expired-token-1234", expires_at=past)
    assert prom_adapter_factory(token="products-only-token").test_connection().ok
    with pytest.raises(AuthError):
        prom_adapter_factory(token="products-only-token").fetch_orders(None)
    info = prom_adapter_factory(token="expired-token-1234").test_connection()
    assert not info.ok and "401" in info.message
    assert "expired-token-1234" not in info.message


def test_orders_page_newest_first_by_id_cursor(prom_sim, prom_adapter_factory):
    prom_sim.add_product("MUG-07", quantity=500, price="230")
    placed = [_order(prom_sim)["id"] for _ in range(7)]
    for inclusive in (True, False):
        prom_sim.last_id_inclusive = inclusive
        adapter = prom_adapter_factory(page_size=3, max_pages=2)
        cursor, seen = None, []
        for _run in range(5):
            batch = adapter.fetch_orders(cursor)
            seen += [raw.external_id for raw in batch.orders]
            cursor = batch.cursor
            if not batch.has_more:
                break
        assert sorted(seen) == sorted(str(i) for i in placed), "each once, none lost"
        assert seen == sorted(seen, reverse=True), "newest first"
        assert adapter.orders_changed(cursor) is False


def test_date_filter_is_sent_without_fraction_and_zone(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    _order(prom_sim)
    batch = prom.fetch_orders(None)
    assert len(batch.orders) == 1
    sent = _requests(prom_sim, "/orders/list")[0]["query"]["last_modified_from"]
    assert len(sent) == 19 and "." not in sent and "Z" not in sent and "+" not in sent
    # the trap the client avoids: a fraction and a zone give an empty list
    trap = prom.transport.request("GET", "/orders/list", params={
        "last_modified_from": "2020-01-01T00:00:00.174Z"}).data
    assert trap == {"orders": []}


def test_first_import_covers_the_configured_days(prom_sim, prom_adapter_factory):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    _order(prom_sim)
    prom_sim.age_orders(5 * 86400)
    recent = _order(prom_sim)
    batch = prom_adapter_factory(import_days=3).fetch_orders(None)
    assert [raw.external_id for raw in batch.orders] == [str(recent["id"])]
    assert len(prom_adapter_factory(import_days=7).fetch_orders(None).orders) == 2


def test_cheap_check_sees_new_and_changed_orders(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    first = _order(prom_sim)
    cursor = prom.fetch_orders(None).cursor
    prom_sim.requests.clear()
    assert prom.orders_changed(cursor) is False
    assert _requests(prom_sim, "/orders/list")[0]["query"]["limit"] == "2"
    prom_sim.cancel_order_remote(first["id"])  # modified in the same second, maybe
    assert prom.orders_changed(cursor) is True
    batch = prom.fetch_orders(cursor)
    assert [raw.payload["status"] for raw in batch.orders] == ["canceled"]
    assert prom.orders_changed(batch.cursor) is False
    _order(prom_sim)
    assert prom.orders_changed(batch.cursor) is True


def test_filter_time_zone_is_a_setting(prom_sim, prom_adapter_factory):
    prom_sim.filter_tz = "UTC"
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    _order(prom_sim)
    adapter = prom_adapter_factory(filter_tz="UTC")
    cursor = adapter.fetch_orders(None).cursor
    assert adapter.orders_changed(cursor) is False
    _order(prom_sim)
    assert adapter.orders_changed(cursor) is True


def test_look_back_covers_a_wrong_time_zone(prom_sim, prom_adapter_factory):
    prom_sim.filter_tz = "UTC"  # Prom reads UTC, the channel is set to Kyiv
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    _order(prom_sim)
    blind = prom_adapter_factory()
    careful = prom_adapter_factory(overlap_seconds=4 * 3600)
    blind_cursor = blind.fetch_orders(None).cursor
    careful_cursor = careful.fetch_orders(None).cursor
    assert careful.orders_changed(careful_cursor) is False, "still cheap"
    late = _order(prom_sim)
    assert blind.orders_changed(blind_cursor) is False, "missed: the risk of a wrong zone"
    assert careful.orders_changed(careful_cursor) is True
    batch = careful.fetch_orders(careful_cursor)
    assert str(late["id"]) in [raw.external_id for raw in batch.orders]


def test_stock_and_price_go_out_as_a_bare_array(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=0, price="230")
    result = prom.push_stock([StockUpdate("MUG-07", 12)])
    assert result.accepted == ["MUG-07"]
    body = json.loads(_requests(prom_sim, "/products/edit_by_external_id")[0]["body"])
    assert body == [{"id": "MUG-07", "quantity_in_stock": 12, "presence": "available"}]
    assert prom.push_prices([PriceUpdate("MUG-07", Decimal("245.50"))]).accepted == ["MUG-07"]
    product = prom_sim.product("MUG-07")
    assert (product["quantity_in_stock"], product["presence"], product["price"]) == (
        12, "available", 245.5)
    prom.push_stock([StockUpdate("MUG-07", 0)])
    assert prom_sim.product("MUG-07")["presence"] == "not_available"


def test_per_item_errors_map_to_their_keys(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=1, price="230")
    prom_sim.add_product("MUG-07-RED", quantity=1, price="230", is_variation=True)
    result = prom.push_stock([StockUpdate("MUG-07", 4), StockUpdate("MUG-07-RED", 4),
                              StockUpdate("GONE", 1)])
    assert result.accepted == ["MUG-07"]
    assert "успадковується" in result.rejected["MUG-07-RED"]
    assert "не знайдено" in result.rejected["GONE"]


def test_silently_dropped_item_counts_as_failed(prom_sim, prom):
    prom_sim.add_product("A-1", quantity=1, price="10")
    prom_sim.add_product("B-2", quantity=1, price="10")
    prom_sim.silent_drop = {"B-2"}
    result = prom.push_stock([StockUpdate("A-1", 5), StockUpdate("B-2", 5)])
    assert result.accepted == ["A-1"]
    assert "B-2" in result.rejected and "processed_ids" in result.rejected["B-2"]
    # a no-op change is also left out of processed_ids, but the product shows the value
    prom_sim.silent_drop = set()
    again = prom.push_stock([StockUpdate("A-1", 5)])
    assert again.unchanged == ["A-1"] and not again.rejected


def test_batch_limit_is_a_setting_and_enforced(prom_sim, prom_adapter_factory):
    adapter = prom_adapter_factory(batch_limit=3)
    with pytest.raises(ValueError):
        adapter.push_stock([StockUpdate(f"K-{i}", 1) for i in range(4)])
    prom_sim.batch_limit = 2
    with pytest.raises(PromApiError):
        adapter.push_stock([StockUpdate(f"K-{i}", 1) for i in range(3)])
    with pytest.raises(PromBatchError):
        adapter.transport.request("POST", "/products/edit_by_external_id", json={"id": "x"})
    assert adapter.requests_for(20_000) == math.ceil(20_000 / 3)


def test_status_rules(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    oid = str(_order(prom_sim)["id"])
    assert prom.set_order_status(oid, OrderState.CONFIRMED).remote_status == "received"
    assert prom_sim.orders[int(oid)]["status"] == "received"
    again = prom.set_order_status(oid, OrderState.CONFIRMED)  # already there: no call
    assert again.remote_status == "received"
    result = prom.set_order_status(oid, OrderState.DELIVERED)
    assert result.warnings == ["Не забудьте додати ТТН до замовлення"]
    with pytest.raises(ValidationError, match="cannot become"):
        prom.set_order_status(oid, OrderState.CANCELLED, cancel_reason="not_available")
    with pytest.raises(ValidationError, match="does not accept"):
        prom.set_order_status(oid, OrderState.CONFIRMED, remote_status="pending")


def test_accepting_never_moves_an_order_back(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    oid = str(_order(prom_sim)["id"])
    prom_sim.orders[int(oid)]["status"] = "custom-137639"  # moved on in the cabinet
    assert prom.set_order_status(oid, OrderState.CONFIRMED).remote_status == "custom-137639"
    assert prom_sim.orders[int(oid)]["status"] == "custom-137639"
    assert not prom_sim.status_calls


def test_accepted_statuses_are_data(prom_sim, prom_adapter_factory):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    oid = str(_order(prom_sim)["id"])
    prom_sim.settable_statuses = {"delivered"}
    with pytest.raises(PromApiError, match="not allowed"):
        prom_adapter_factory().set_order_status(oid, OrderState.CONFIRMED)
    adapter = prom_adapter_factory(status_map={OrderState.SHIPPED: "custom-137639"})
    adapter.set_order_status(oid, OrderState.SHIPPED, ttn="20450000000001")
    assert prom_sim.orders[int(oid)]["status"] == "custom-137639"


def test_cancel_sends_prom_reason_and_text(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    one, two = (str(_order(prom_sim)["id"]) for _ in range(2))
    prom.set_order_status(one, OrderState.CANCELLED, cancel_reason="not_available")
    prom.set_order_status(two, OrderState.CANCELLED, cancel_reason="Покупець не відповідає")
    first, second = prom_sim.status_calls
    assert first == {"ids": [int(one)], "status": "canceled",
                     "cancellation_reason": "not_available"}
    assert second["cancellation_reason"] == "another"
    assert second["cancellation_text"] == "Покупець не відповідає"
    assert dict(prom.cancel_reasons())["invalid_phone_number"]


def test_ttn_goes_out_with_save_declaration(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=5, price="230")
    oid = str(_order(prom_sim)["id"])
    prom.set_order_status(oid, OrderState.SHIPPED, ttn="20450987654321")
    assert prom_sim.declarations == [(int(oid), "20450987654321", "nova_poshta")]
    raw = prom.get_order(oid)
    assert raw.payload["delivery_provider_data"]["declaration_number"] == "20450987654321"
    prom.set_order_status(oid, OrderState.SHIPPED, ttn="20450987654321")
    assert len(prom_sim.declarations) == 1, "the same TTN is not sent twice"
    with pytest.raises(PromDeclarationError, match="лише цифри"):
        prom.set_order_status(oid, OrderState.SHIPPED, ttn="20450-ABC")


def test_buyer_orders_against_displayed_stock(prom_sim, prom):
    prom_sim.add_product("MUG-07", quantity=2, price="1713")
    prom_sim.money_nbsp = True
    placed = _order(prom_sim, qty=2)
    assert placed["price"] == "3\u00a0426 грн"
    assert prom_sim.product("MUG-07")["quantity_in_stock"] == 0
    with pytest.raises(OrderRefused):
        _order(prom_sim)
    prom.push_stock([StockUpdate("MUG-07", 1)])
    assert _order(prom_sim)["id"]
    order = prom.parse_order(prom.fetch_orders(None).orders[-1])
    assert order.total == Decimal("3426")


def test_offers_list_and_external_ids(prom_sim, prom_adapter_factory):
    for index in range(5):
        prom_sim.add_product(f"E-{index}", quantity=index, price="10")
    bare = prom_sim.add_product("", sku="NO-EXT", gtin="4820000000017", quantity=1,
                                price="99.90")
    adapter = prom_adapter_factory(page_size=2)
    offers = list(adapter.list_offers())
    assert len(offers) == 6 and len({o.key for o in offers}) == 6
    offer = next(o for o in offers if o.key == str(bare["id"]))
    assert (offer.sku, offer.price, offer.alt_keys) == (
        "NO-EXT", Decimal("99.9"), ("NO-EXT", "4820000000017"))
    result = adapter.set_external_ids([(bare["id"], "NO-EXT")])
    assert result.accepted == [str(bare["id"])]
    assert prom_sim.product("NO-EXT")["id"] == bare["id"]
    assert adapter.push_stock([StockUpdate("NO-EXT", 3)]).accepted == ["NO-EXT"]


def test_display_money_format():
    assert display_money(Decimal("1713")) == "1 713 грн"
    assert display_money(Decimal("1150.5"), nbsp=True, comma=True) == "1\u00a0150,50 грн"


def test_token_never_in_call_records(prom_sim, prom_adapter_factory):
    records = []
    adapter = prom_adapter_factory(on_call=records.append)
    adapter.test_connection()
    assert records and all(TOKEN not in json.dumps(r.request_headers) for r in records)
