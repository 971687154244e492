"""RozetkaAdapter against the Rozetka simulator over loopback HTTP."""

from decimal import Decimal

import pytest
from rozetka_payloads import LOGIN, MASS_UPDATE_PARTIAL, ORDER, SESSION_EXPIRED, TTN_MISSING

from omni_connectors.core import errors as core
from omni_connectors.core.models import OrderState, PriceUpdate, StockUpdate
from omni_connectors.rozetka import (
    RozetkaAccessDenied,
    RozetkaAdapter,
    RozetkaAuthError,
    RozetkaNotFound,
    RozetkaRemoteError,
    RozetkaValidationError,
)
from omni_sandbox.rozetka import RozetkaSimulator

API_TOKEN = "cabinet-token-7Hq2LmVx9RkPa81ZcYwHs5dBe"


@pytest.fixture
def sim():
    with RozetkaSimulator(api_tokens=(API_TOKEN,)) as simulator:
        for index in range(3):
            simulator.add_item(f"SKU-{index}", f"Товар {index}", quantity=5, price=600)
        yield simulator


@pytest.fixture
def store():
    return {}


def make(sim, store=None, calls=None, **kw):
    store = {} if store is None else store
    options = {"username": sim.username, "password": sim.password,
               "token_cache": (lambda: store.get("t"), lambda t: store.__setitem__("t", t))}
    if "api_token" in kw:
        options = {}
    options.update(kw)
    return RozetkaAdapter(sim.url, sleep=lambda s: None, backoff_base=0.0, timeout=(2, 2),
                          on_call=calls.append if calls is not None else None, **options)


def rz(sim, sku):
    return str(sim.item(sku)["rz_item_id"])


# -- authentication ----------------------------------------------------------------
def test_login_sends_base64_password_and_shows_the_shop(sim, store):
    calls = []
    info = make(sim, store, calls).test_connection()
    assert info.ok and info.account == "Затишна Оселя"
    assert store["t"] and sim.logins == 1
    login = calls[0]
    assert sim.password not in login.request_body
    assert "U2VjcmV0LVBhc3MtMTIz" not in login.request_body  # the base64 form is masked too
    assert store["t"] not in login.response_body


def test_wrong_password_is_an_auth_error_with_rozetka_code(sim):
    adapter = make(sim, password="wrong")
    info = adapter.test_connection()
    assert not info.ok and "1004" in info.message
    with pytest.raises(RozetkaAuthError) as caught:
        list(adapter.list_offers())
    assert caught.value.code == 1004 and caught.value.key == "incorrect_username_password"


@pytest.mark.parametrize("reply", ["6001", "401"])
def test_expired_session_is_renewed_once(sim, store, reply):
    sim.expired_reply = reply
    adapter = make(sim, store)
    assert len(list(adapter.list_offers())) == 3
    first = store["t"]
    sim.expire_tokens()
    assert len(list(adapter.list_offers())) == 3
    assert sim.logins == 2 and store["t"] != first
    # another process starts from the stored token, without logging in
    assert len(list(make(sim, store).list_offers())) == 3
    assert sim.logins == 2


def test_a_session_refused_after_renewal_is_an_auth_error(sim, store):
    adapter = make(sim, store)
    list(adapter.list_offers())
    sim.faults.add("status", path="/goods/all", status=200, body=SESSION_EXPIRED, times=2)
    with pytest.raises(core.AuthError):
        list(adapter.list_offers())
    assert sim.logins == 2


def test_cabinet_token_is_used_directly(sim):
    adapter = make(sim, api_token=API_TOKEN)
    assert adapter.test_connection().ok
    assert len(list(adapter.list_offers())) == 3
    assert sim.logins == 0
    bad = make(sim, api_token="not-a-token")
    with pytest.raises(RozetkaAuthError) as caught:
        list(bad.list_offers())
    assert "cabinet" in str(caught.value)


# -- error shapes -------------------------------------------------------------------
@pytest.mark.parametrize("status,body,cls,code", [
    (200, TTN_MISSING, RozetkaValidationError, 1005),
    (200, {"success": False, "errors": {"message": "access_denied", "code": 1010,
                                        "description": "Доступ заборонено"}},
     RozetkaAccessDenied, 1010),
    (200, {"success": False, "errors": {"message": "entity_not_found", "code": 1019,
                                        "description": "", "details": None}},
     RozetkaNotFound, 1019),
    (200, {"success": False, "errors": [{"message": "model_not_found", "code": 1404,
                                         "description": "Не знайдено"}]}, RozetkaNotFound, 1404),
    (200, {"success": False, "errors": {"message": "technical_maintenance", "code": 5503,
                                        "description": "Технічні роботи"}},
     RozetkaRemoteError, 5503),
    (404, {"success": False, "errors": {"message": "not_found", "code": 5404,
                                        "description": "Не знайдено"}}, RozetkaNotFound, 5404),
    (422, {"success": False, "errors": {"message": "check_correctness_of_data", "code": 1005,
                                        "description": "Перевірте дані",
                                        "details": ["status"]}},
     RozetkaValidationError, 1005),
    (200, {"success": False, "errors": {"message": "incorrect_username_password",
                                        "code": 1004, "description": "Невірний логін"}},
     RozetkaAuthError, 1004),
])
def test_every_documented_error_shape_is_typed(sim, status, body, cls, code):
    adapter = make(sim, max_retries=0)
    sim.faults.add("status", path="/orders/search", status=status, body=body)
    with pytest.raises(cls) as caught:
        adapter.fetch_orders(None)
    err = caught.value
    assert err.code == code
    assert err.key == body["errors"]["message"] if isinstance(body["errors"], dict) else True
    if code == 1005 and status == 200:
        assert "ТТН" in str(err)  # the validation details are in the message


def test_server_error_and_remote_failure_are_retryable(sim):
    adapter = make(sim, max_retries=0)
    sim.faults.add("status", path="/orders/search", status=200, body={
        "success": False, "errors": {"message": "problem_with_message_broker", "code": 1003,
                                     "description": "Черга недоступна"}})
    with pytest.raises(RozetkaRemoteError) as caught:
        adapter.fetch_orders(None)
    assert caught.value.retryable
    sim.faults.add("status", path="/orders/search", status=503, retry_after=1)
    with pytest.raises(core.OmniConnectorError) as caught:
        adapter.fetch_orders(None)
    assert caught.value.retryable


def test_malformed_answer_is_a_payload_error(sim):
    adapter = make(sim)
    sim.faults.add("malformed", path="/orders/search")
    with pytest.raises(core.PayloadError):
        adapter.fetch_orders(None)
    sim.faults.add("status", path="/orders/search", status=200, body={"success": True,
                                                                       "content": {"x": 1}})
    with pytest.raises(core.PayloadError):
        adapter.fetch_orders(None)


# -- orders in -------------------------------------------------------------------------
def test_polling_is_one_request_when_nothing_changed(sim):
    calls = []
    adapter = make(sim, calls=calls, full_check_every=3600)
    batch = adapter.fetch_orders(None)
    assert batch.orders == [] and not batch.has_more
    sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    assert adapter.orders_changed(batch.cursor) is True
    batch = adapter.fetch_orders(batch.cursor)
    assert [raw.external_id for raw in batch.orders] == [str(sim.first_order_id)]
    calls.clear()
    assert adapter.orders_changed(batch.cursor) is False
    assert len(calls) == 1 and calls[0].endpoint == "/orders/search"
    assert "pageSize=1" in calls[0].url
    # a fetch now brings nothing new: de-duplicated by id and change stamp
    assert adapter.fetch_orders(batch.cursor).orders == []


def test_a_change_in_the_same_second_is_seen(sim):
    adapter = make(sim, full_check_every=3600)
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    cursor = adapter.fetch_orders(None).cursor
    sim.cancel_order_remote(placed["id"])  # most likely within the same second
    assert adapter.orders_changed(cursor) is True
    (raw,) = adapter.fetch_orders(cursor).orders
    assert adapter.parse_order(raw).state is OrderState.CANCELLED


def test_full_check_is_forced_periodically(sim):
    now = [1_800_000_000.0]
    adapter = make(sim, clock=lambda: now[0], full_check_every=300)
    cursor = adapter.fetch_orders(None).cursor
    assert adapter.orders_changed(cursor) is False
    now[0] += 301
    assert adapter.orders_changed(cursor) is None


def test_paging_through_meta_with_a_page_cap(sim):
    for index in range(3):
        sim.add_item(f"BULK-{index}", quantity=1000, price=100)
    for index in range(250):
        sim.place_order([{"sku": f"BULK-{index % 3}", "quantity": 1}])
    adapter = make(sim, page_size=100, max_pages=2)
    batch = adapter.fetch_orders(None)
    assert batch.has_more and len(batch.orders) == 200
    rest = adapter.fetch_orders(batch.cursor)
    assert not rest.has_more
    ids = {raw.external_id for raw in batch.orders + rest.orders}
    assert len(ids) == 250
    assert len(rest.orders) == 50  # the overlap page is de-duplicated


def test_first_import_covers_the_last_days_only(sim):
    old = sim.inject_raw_order(dict(ORDER, id=1001, changed="2020-01-01 10:00:00",
                                    created="2020-01-01 10:00:00"))
    sim.place_order([{"sku": "SKU-1", "quantity": 1}])
    batch = make(sim, first_import_days=3).fetch_orders(None)
    ids = [raw.external_id for raw in batch.orders]
    assert str(old) not in ids and len(ids) == 1


def test_hostile_order_entries_are_kept_raw(sim):
    sim.inject_raw_order({"id": 77, "status": 1, "purchases": "зламано"})
    adapter = make(sim)
    (raw,) = adapter.fetch_orders(None).orders
    assert raw.external_id == "77"
    with pytest.raises(core.PayloadError) as caught:
        adapter.parse_order(raw)
    assert "purchases" in str(caught.value)


def test_get_order_and_example_through_the_wire(sim):
    sim.inject_raw_order(ORDER)
    raw = make(sim).get_order("905812347")
    order = make(sim).parse_order(raw)
    assert order.delivery.warehouse_number == "17"
    assert order.total == Decimal("1198.00")


# -- statuses out ----------------------------------------------------------------------
def test_accept_ship_with_ttn(sim):
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    adapter = make(sim)
    ref = str(placed["id"])
    assert adapter.set_order_status(ref, OrderState.CONFIRMED).remote_status == "26"
    # a retry changes nothing
    assert adapter.set_order_status(ref, OrderState.CONFIRMED).remote_status == "26"
    result = adapter.set_order_status(ref, OrderState.SHIPPED, ttn="20451234567890")
    assert result.remote_status == "3"
    order = sim.orders[placed["id"]]
    assert (order["status"], order["ttn"]) == (3, "20451234567890")
    assert [h["status_id"] for h in order["order_status_history"]] == [1, 26, 61, 3]
    # shipped again with the same waybill: nothing sent
    assert adapter.set_order_status(ref, OrderState.SHIPPED,
                                    ttn="20451234567890").remote_status == "3"


def test_shipped_needs_a_ttn_and_forbidden_moves_are_plain(sim):
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    adapter = make(sim)
    ref = str(placed["id"])
    with pytest.raises(RozetkaValidationError, match="TTN"):
        adapter.set_order_status(ref, OrderState.SHIPPED)
    sim.cancel_order_remote(placed["id"])
    with pytest.raises(RozetkaValidationError) as caught:
        adapter.set_order_status(ref, OrderState.SHIPPED, ttn="20451234567890")
    assert "closed on Rozetka" in str(caught.value)
    assert not [r for r in sim.requests if r["method"] == "PUT"]


def test_forbidden_move_is_refused_before_the_call_and_remote_refusal_is_typed(sim):
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    adapter = make(sim)
    ref = str(placed["id"])
    with pytest.raises(RozetkaValidationError) as caught:
        adapter.set_order_status(ref, OrderState.CONFIRMED, remote_status="6")
    assert "does not let the seller move order" in str(caught.value)
    assert "(1)" in str(caught.value) and "(6)" in str(caught.value)
    assert not [r for r in sim.requests if r["method"] == "PUT"]
    body = {"success": False, "errors": {
        "message": "check_correctness_of_data", "code": 1005,
        "description": "Перевірте правильність введених даних",
        "details": {"status": ["Перехід неможливий."]}}}
    sim.faults.add("status", path=f"/orders/{ref}", method="PUT", status=200, body=body)
    with pytest.raises(RozetkaValidationError) as caught:
        adapter.set_order_status(ref, OrderState.CONFIRMED)
    assert caught.value.code == 1005 and "Перехід неможливий" in str(caught.value)


def test_cancel_with_rozetka_reason(sim):
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    adapter = make(sim, language="en")
    assert ("42", "Out of stock") in adapter.cancel_reasons()
    with pytest.raises(RozetkaValidationError, match="cancellation reasons"):
        adapter.set_order_status(str(placed["id"]), OrderState.CANCELLED, cancel_reason="")
    result = adapter.set_order_status(str(placed["id"]), OrderState.CANCELLED,
                                      cancel_reason="42", comment="Закінчився")
    assert result.remote_status == "42"
    assert sim.orders[placed["id"]]["seller_comment"][0]["comment"] == "Закінчився"
    again = adapter.set_order_status(str(placed["id"]), OrderState.CANCELLED,
                                     cancel_reason="42")
    assert again.warnings


def test_simulator_requires_ttn_for_shipped_statuses(sim):
    placed = sim.place_order([{"sku": "SKU-0", "quantity": 1}])
    adapter = make(sim)
    adapter.set_order_status(str(placed["id"]), OrderState.CONFIRMED)
    with pytest.raises(RozetkaValidationError) as caught:
        adapter._put_status(str(placed["id"]), 2)
        adapter._put_status(str(placed["id"]), 3)
    assert caught.value.code == 1005 and "ТТН" in str(caught.value)


# -- stock and prices out --------------------------------------------------------------
def test_batches_respect_the_limit(sim):
    adapter = make(sim, batch_limit=2)
    with pytest.raises(ValueError):
        adapter.push_stock([StockUpdate(rz(sim, f"SKU-{i}"), 1) for i in range(3)])
    sim.batch_limit = 2
    big = make(sim, batch_limit=3)
    with pytest.raises(RozetkaValidationError):
        big.push_stock([StockUpdate(rz(sim, f"SKU-{i}"), 1) for i in range(3)])
    assert sim.item("SKU-0")["stock_quantity"] == 5  # nothing applied


def test_stock_push_with_per_item_errors(sim):
    adapter = make(sim)
    result = adapter.push_stock([StockUpdate(rz(sim, "SKU-0"), 7), StockUpdate("999", 1),
                                 StockUpdate("SKU-2", 1)])
    assert result.accepted == [rz(sim, "SKU-0")]
    assert "не знайдено" in result.rejected["999"]
    assert "match" in result.rejected["SKU-2"]
    assert sim.item("SKU-0")["stock_quantity"] == 7


def test_price_guard_is_a_held_change(sim):
    adapter = make(sim)
    key0, key1 = rz(sim, "SKU-0"), rz(sim, "SKU-1")
    result = adapter.push_prices([PriceUpdate(key0, Decimal("1000.40")),
                                  PriceUpdate(key1, Decimal("629.50"),
                                              old_price=Decimal("799"))])
    assert result.pending and key0 in result.pending and "1,5" in result.pending[key0]
    assert result.accepted == [key1] and not result.rejected
    assert sim.item("SKU-0")["price"] == 600  # held, not applied
    item = sim.item("SKU-1")
    assert (item["price"], item["price_old"]) == (630, 799)  # whole hryvnias
    assert make(sim).push_prices(
        [PriceUpdate(key1, Decimal("630"), clear_old_price=True)]).accepted == [key1]
    assert sim.item("SKU-1")["price_old"] is None


def test_documented_partial_failure_shape(sim):
    adapter = make(sim)
    sim.add_item("X", rz_item_id=412908002, price=1000)
    sim.faults.add("status", path="/items/mass-update", status=200, body=MASS_UPDATE_PARTIAL)
    result = adapter.push_prices([PriceUpdate("412908002", Decimal("1899")),
                                  PriceUpdate(rz(sim, "SKU-0"), Decimal("610"))])
    assert list(result.pending) == ["412908002"]
    assert result.accepted == [rz(sim, "SKU-0")]


def test_feed_managed_items(sim):
    sim.add_item("FEED-1", quantity=2, price=300, managed_by="feed")
    adapter = make(sim)
    offers = {offer.sku: offer for offer in adapter.list_offers()}
    assert offers["FEED-1"].managed_by_feed and not offers["SKU-0"].managed_by_feed
    assert "FEED-1" in offers["FEED-1"].alt_keys
    sim.feed_mode = "reject"
    result = adapter.push_stock([StockUpdate(offers["FEED-1"].key, 1)])
    assert "прайс-лист" in result.rejected[offers["FEED-1"].key]


def test_offers_found_by_offer_id_article_and_barcode(sim):
    sim.add_item("OFF-9", article="ART-9", barcode="4820000000099", quantity=1)
    adapter = make(sim)
    found = adapter.lookup_offers(["OFF-9", "ART-9", "nothing"])
    assert set(found) == {"OFF-9", "ART-9"}
    offer = found["OFF-9"]
    assert offer.key == str(sim.item("OFF-9")["rz_item_id"])
    assert {"OFF-9", "ART-9", "4820000000099"} <= set(offer.alt_keys)


def test_login_payload_example_matches_the_simulator():
    assert set(LOGIN["content"]) <= {"id", "access_token", "permissions", "roles", "seller",
                                     "market", "raising", "needInterview", "lang",
                                     "poll_link"}
