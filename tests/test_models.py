"""The neutral classes keep working for callers that know only the old fields."""

from decimal import Decimal

from omni_connectors.core.models import (
    Customer,
    DeliveryInfo,
    Order,
    OrderLine,
    OrderState,
    PaymentInfo,
    PriceUpdate,
    PushResult,
    RemoteOffer,
    StatusResult,
)


def test_new_fields_have_neutral_defaults():
    order = Order("R-1", OrderState.NEW, [OrderLine("A", "a", Decimal(1), Decimal(5))], Customer())
    assert order.customer.middle_name == ""
    assert (order.goods_total, order.discount_total, order.commission) == (None, None, None)
    assert (order.commission_refunded, order.dont_call_back) == (False, False)
    assert (order.remote_status_name, order.cancel_initiator) == ("", "")
    line = order.lines[0]
    assert (line.list_price, line.discount) == (None, None)
    delivery = DeliveryInfo()
    for name in (
        "recipient_first_name",
        "recipient_last_name",
        "recipient_middle_name",
        "warehouse_number",
        "street",
        "street_ref",
        "house",
        "flat",
        "city_katottg",
        "service_type",
        "status",
    ):
        assert getattr(delivery, name) == ""
    payment = PaymentInfo()
    assert (payment.status, payment.paid_amount, payment.paid_at, payment.provider) == (
        "",
        None,
        None,
        "",
    )


def test_push_and_status_results():
    old_style = PushResult(["A"], {"B": "unknown sku"})
    assert (old_style.unchanged, old_style.pending) == ([], {})
    result = PushResult(accepted=["A"], unchanged=["C"], pending={"D": "price x2: confirm"})
    assert result.rejected == {}
    assert StatusResult() == StatusResult(remote_status="", warnings=[])
    assert PriceUpdate("A", Decimal(5)).clear_old_price is False
    offer = RemoteOffer("123", alt_keys=("A-1", "10457"), managed_by_feed=True)
    assert offer.alt_keys == ("A-1", "10457") and offer.managed_by_feed
    assert RemoteOffer("1").alt_keys == () and not RemoteOffer("1").managed_by_feed
