"""The three contracts: rules that hold without a real implementation, and tiny fakes."""

import uuid
from decimal import Decimal

import pytest

from omni_connectors.core import (
    BaseClient,
    CarrierClient,
    ChannelAdapter,
    ConnectionInfo,
    FiscalClient,
    HttpTransport,
    OrderBatch,
    Party,
    PaymentKind,
    PushResult,
    RateQuote,
    Receipt,
    ReceiptKind,
    ReceiptLine,
    ReceiptPayment,
    ReceiptResult,
    ReceiptStatus,
    Seat,
    Shift,
    ShiftStatus,
    Shipment,
    StatusResult,
    TokenAuth,
    TrackingState,
    TrackingStatus,
    Waybill,
    errors,
    normalize_receipt_id,
    quantity_thousandths,
)
from omni_connectors.generic import GenericAdapter


def transport():
    return HttpTransport("http://127.0.0.1:9", timeout=(1, 1), max_retries=0)


# -- base client ---------------------------------------------------------------


def test_every_contract_is_a_base_client_and_abstract():
    for contract in (ChannelAdapter, CarrierClient, FiscalClient):
        assert issubclass(contract, BaseClient)
        with pytest.raises(TypeError):
            contract(transport())
    with pytest.raises(TypeError):
        BaseClient(transport())


class Pinger(BaseClient):
    def test_connection(self):
        return ConnectionInfo(ok=True, account="acme")


class Auth(TokenAuth):
    def login(self, transport):
        return "token"


def test_base_client_holds_transport_and_auth():
    t = transport()
    client = Pinger(t)
    assert (client.transport, client.auth) == (t, None)
    assert client.test_connection().ok
    auth = Auth()
    with_auth = Pinger(transport(), auth=auth)
    assert with_auth.auth is auth and with_auth.transport.auth is auth
    other = transport()
    other.auth = Auth()
    with pytest.raises(ValueError, match="another auth"):
        Pinger(other, auth=auth)
    with pytest.raises(ValueError):
        Pinger(None)
    with Pinger(transport()) as ctx:  # close() releases the session
        assert ctx.test_connection().account == "acme"


# -- channel adapter -----------------------------------------------------------


class OwnShopAdapter(ChannelAdapter):
    """The own shop posts its orders: no fetch_orders at all."""

    can_fetch_orders = False

    def test_connection(self):
        return ConnectionInfo(ok=True)

    def push_stock(self, updates):
        self._check_batch(updates)
        return PushResult(accepted=[u.key for u in updates])

    def push_prices(self, updates):
        self._check_batch(updates)
        return PushResult(accepted=[u.key for u in updates])

    def parse_order(self, raw):
        raise errors.PayloadError("not needed here")

    def set_order_status(self, external_id, state, **kw):
        return StatusResult(remote_status=str(state))

    def list_offers(self):
        return iter(())


def test_fetch_orders_is_optional_for_a_channel_that_posts_its_orders():
    adapter = OwnShopAdapter(transport())
    assert adapter.can_fetch_orders is False
    with pytest.raises(NotImplementedError, match="does not fetch orders"):
        adapter.fetch_orders(None)
    assert ChannelAdapter.can_fetch_orders is True
    assert "fetch_orders" not in ChannelAdapter.__abstractmethods__
    assert {"push_stock", "parse_order", "test_connection"} <= ChannelAdapter.__abstractmethods__


def test_generic_adapter_still_fetches_orders():
    adapter = GenericAdapter("http://127.0.0.1:9", "k")
    assert isinstance(adapter, BaseClient)
    assert adapter.can_fetch_orders is True
    assert type(adapter).fetch_orders is not ChannelAdapter.fetch_orders
    assert isinstance(OrderBatch([], None), OrderBatch)


# -- carrier -------------------------------------------------------------------

SENDER = Party(
    counterparty_ref="s-ref", contact_ref="c-ref", city_ref="kyiv", warehouse_ref="b1",
    phone="380671234567",
)
RECIPIENT = Party(
    first_name="Тарас", last_name="Шевченко", phone="380501234567", city_ref="lviv",
    warehouse_ref="b7",
)


def shipment(**kw):
    values = dict(
        sender=SENDER, recipient=RECIPIENT, weight="1.5", declared_value=500,
        description="Чайник",
    )
    values.update(kw)
    return Shipment(**values)


def test_shipment_validates_and_keeps_decimals():
    s = shipment(cash_on_delivery=Decimal("640.00"))
    assert (s.weight, s.declared_value, s.cash_on_delivery) == (
        Decimal("1.5"), Decimal(500), Decimal("640.00"),
    )
    assert s.has_cod and s.seats == 1 and s.payer.value == "recipient"
    assert RECIPIENT.full_name == "Шевченко Тарас"
    with pytest.raises(ValueError, match="weight"):
        shipment(weight=-1)
    with pytest.raises(ValueError, match="weight"):
        shipment(weight=0)
    with pytest.raises(ValueError, match="declared value"):
        shipment(declared_value="-5")
    with pytest.raises(ValueError, match="cash on delivery"):
        shipment(cash_on_delivery=-1)
    with pytest.raises(ValueError, match="seats"):
        shipment(seats=0)
    with pytest.raises(ValueError, match="places"):
        shipment(seats=2, places=(Seat(1, 30, 20, 10),))
    with pytest.raises(ValueError, match="non-cash"):
        shipment(payer="third_party")
    with pytest.raises(ValueError, match="description"):
        shipment(description=" ")
    with pytest.raises(ValueError, match="not a number"):
        shipment(weight="heavy")
    two = shipment(seats=2, places=(Seat(1, 30, 20, 10), Seat("0.5", 10, 10, 10)))
    assert two.places[0].volume == Decimal("0.006")
    with pytest.raises(ValueError):
        Seat(1, 0, 20, 10)
    with pytest.raises(AttributeError):
        s.weight = Decimal(2)  # frozen


def test_carrier_results_validate():
    assert RateQuote(cost="70", cod_fee="20.5").total == Decimal("90.5")
    with pytest.raises(ValueError):
        RateQuote(cost=-1)
    with pytest.raises(ValueError):
        Waybill(number=" ")
    with pytest.raises(ValueError):
        TrackingStatus("2045", "lost")
    status = TrackingStatus("2045", "delivered", code="9", cod_amount="640")
    assert status.state is TrackingState.DELIVERED and status.cod_amount == Decimal(640)
    assert TrackingState.DELIVERED.is_final and not TrackingState.ARRIVED.is_final


class FakeCarrier(CarrierClient):
    """A carrier in memory: enough to show the contract is implementable."""

    track_batch_limit = 3

    def __init__(self):
        super().__init__(transport())
        self.waybills = {}  # number -> (Waybill, state)
        self.saves = 0
        self.track_calls = []

    def test_connection(self):
        return ConnectionInfo(ok=True)

    def rate(self, shipment):
        return RateQuote(cost=Decimal(50) + shipment.weight * 10)

    def find_waybill(self, reference):
        for waybill, state in self.waybills.values():
            if waybill.reference == reference and state is not TrackingState.CANCELLED:
                return waybill
        return None

    def _create_waybill(self, shipment, reference):
        self.saves += 1
        number = f"2045{self.saves:010d}"
        waybill = Waybill(number, ref=f"ref-{self.saves}", cost=Decimal(70), reference=reference)
        self.waybills[number] = (waybill, TrackingState.CREATED)
        return waybill

    def cancel_waybill(self, waybill):
        number = waybill.number if isinstance(waybill, Waybill) else waybill
        for known, _state in self.waybills.values():
            if number in (known.number, known.ref):
                self.waybills[known.number] = (known, TrackingState.CANCELLED)
                return
        raise errors.NotFoundError(f"no waybill {number}")

    def _track(self, numbers):
        self.track_calls.append(list(numbers))
        return [
            TrackingStatus(n, self.waybills[n][1], code="1")
            for n in reversed(numbers)  # any order: track() puts them back in order
            if n in self.waybills
        ]

    def _label(self, numbers, fmt, layout):
        return f"%PDF {fmt} {layout} {','.join(numbers)}".encode()


def test_a_retry_with_the_same_reference_never_makes_a_second_waybill():
    carrier = FakeCarrier()
    first = carrier.create_waybill(shipment(), "WH/OUT/00042")
    again = carrier.create_waybill(shipment(), " WH/OUT/00042 ")
    assert again == first and carrier.saves == 1
    other = carrier.create_waybill(shipment(), "WH/OUT/00043")
    assert other.number != first.number and carrier.saves == 2
    carrier.cancel_waybill(first)
    remade = carrier.create_waybill(shipment(), "WH/OUT/00042")  # a deleted one is not reused
    assert remade.number != first.number
    with pytest.raises(ValueError, match="reference"):
        carrier.create_waybill(shipment(), "")
    with pytest.raises(ValueError, match="longer"):
        carrier.create_waybill(shipment(), "x" * 37)
    assert carrier.rate(shipment()).cost == Decimal(65)


def test_tracking_checks_the_batch_and_answers_every_number_in_order():
    carrier = FakeCarrier()
    a = carrier.create_waybill(shipment(), "A").number
    b = carrier.create_waybill(shipment(), "B").number
    statuses = carrier.track([a, "20450000000999", b, a])
    assert [s.number for s in statuses] == [a, "20450000000999", b]
    assert [s.state for s in statuses] == [
        TrackingState.CREATED, TrackingState.UNKNOWN, TrackingState.CREATED,
    ]
    with pytest.raises(ValueError, match="limit of 3"):
        carrier.track(["1", "2", "3", "4"])
    with pytest.raises(ValueError):
        carrier.track("20450000000001")  # one string, not a list of numbers
    with pytest.raises(ValueError):
        carrier.track([])
    with pytest.raises(ValueError):
        carrier.track(["1", ""])
    assert CarrierClient.track_batch_limit == 100
    carrier.track_calls.clear()
    many = [str(n) for n in range(7)]
    assert [s.number for s in carrier.track_all(many)] == many
    assert [len(call) for call in carrier.track_calls] == [3, 3, 1]


def test_labels_are_checked_bytes():
    carrier = FakeCarrier()
    assert carrier.label(["1", "2"]) == b"%PDF pdf document 1,2"
    assert carrier.label(["1"], "html", layout="100x100") == b"%PDF html 100x100 1"
    with pytest.raises(ValueError, match="format"):
        carrier.label(["1"], "png")
    with pytest.raises(ValueError, match="layout"):
        carrier.label(["1"], layout="a5")
    with pytest.raises(ValueError, match="limit"):
        carrier.label([str(n) for n in range(101)])


# -- fiscal --------------------------------------------------------------------


def line(**kw):
    values = dict(code="A-1", name="Чайник", price="640.00", quantity=1)
    values.update(kw)
    return ReceiptLine(**values)


def cash(amount):
    return ReceiptPayment(PaymentKind.CASH, amount, "Готівка")


def card(amount):
    return ReceiptPayment(PaymentKind.CASHLESS, amount, "Картка")


def test_receipt_lines_convert_to_the_registers_units():
    item = line(price="55.00", quantity="0.5", discount="2.50")
    assert (item.price_kopecks, item.quantity_thousandths) == (5500, 500)
    assert (item.gross_kopecks, item.discount_kopecks, item.total_kopecks) == (2750, 250, 2500)
    assert line(price="0.03", quantity="0.5").gross_kopecks == 2  # 1.5 rounds half up
    assert quantity_thousandths(3) == 3000
    with pytest.raises(ValueError, match="three decimals"):
        line(quantity="0.0005")
    with pytest.raises(ValueError, match="two decimals"):
        line(price="1.005")
    with pytest.raises(ValueError, match="positive"):
        line(quantity=0)
    with pytest.raises(ValueError, match="negative"):
        line(price=-1)
    with pytest.raises(ValueError, match="at most 2 taxes"):
        line(tax_codes=(1, 2, 3))
    with pytest.raises(ValueError, match="discount exceeds"):
        line(discount="700")
    with pytest.raises(ValueError, match="code and a name"):
        line(name="")


def test_receipts_check_payments_and_kinds():
    sell = Receipt(
        ReceiptKind.SELL,
        lines=(line(), line(code="B-2", price="15.20", quantity=2)),
        payments=(card("600.00"), cash("100")),
        discount="10",
    )
    assert sell.total_kopecks == 64000 + 3040 - 1000
    assert sell.total == Decimal("660.40")
    assert sell.paid_kopecks == 70000  # cash beyond the total is change
    with pytest.raises(ValueError, match="do not cover"):
        Receipt("sell", lines=(line(),), payments=(cash("639.99"),))
    with pytest.raises(ValueError, match="cashless payments exceed"):
        Receipt("sell", lines=(line(),), payments=(card("700"),))
    with pytest.raises(ValueError, match="needs goods"):
        Receipt("return", payments=(cash(1),))
    with pytest.raises(ValueError, match="needs payments"):
        Receipt("sell", lines=(line(),))
    with pytest.raises(ValueError, match="positive"):
        cash(0)
    service = Receipt(ReceiptKind.SERVICE_IN, payments=(cash("500"),))
    assert service.total_kopecks == 0
    with pytest.raises(ValueError, match="no goods"):
        Receipt("service_in", lines=(line(),), payments=(cash(1),))
    with pytest.raises(ValueError, match="one cash payment"):
        Receipt("service_in", payments=(card(1),))
    original = uuid.uuid4()
    refund = Receipt(
        "return", lines=(line(),), payments=(card(640),),
        related_receipt_id=str(original).upper(),
    )
    assert refund.kind is ReceiptKind.RETURN and refund.related_receipt_id == str(original)
    with pytest.raises(ValueError, match="not a UUID"):
        Receipt("return", lines=(line(),), payments=(card(640),), related_receipt_id="R-1")


def test_receipt_ids_are_uuids():
    value = uuid.uuid4()
    assert normalize_receipt_id(value) == str(value)
    assert normalize_receipt_id(f" {str(value).upper()} ") == str(value)
    for bad in ("", None, "order-42", 42):
        with pytest.raises(ValueError):
            normalize_receipt_id(bad)
    with pytest.raises(ValueError):
        ReceiptResult("nope", ReceiptStatus.DONE)
    assert ReceiptResult(value, "DONE").is_final
    assert not ReceiptResult(value, "CREATED").is_final


class FakeRegister(FiscalClient):
    """A register in memory; ``lose_next`` registers a receipt and loses the answer."""

    def __init__(self):
        super().__init__(transport())
        self.shift = None
        self.receipts = {}
        self.posts = 0
        self.lose_next = None

    def test_connection(self):
        return ConnectionInfo(ok=True)

    def open_shift(self):
        if self.shift is None or self.shift.is_closed:
            self.shift = Shift(str(uuid.uuid4()), ShiftStatus.OPENED, serial=1)
        return self.shift

    def close_shift(self):
        if self.shift is None or self.shift.is_closed:
            return None
        self.shift = Shift(self.shift.id, "CLOSED", z_report_id="z-1")
        return self.shift

    def current_shift(self):
        return self.shift if self.shift and not self.shift.is_closed else None

    def _create_receipt(self, receipt, receipt_id):
        self.posts += 1
        if self.current_shift() is None:
            raise errors.ValidationError("Зміну не відкрито", status=400)
        if receipt_id in self.receipts:
            raise errors.ValidationError("duplicate id", status=400)
        self.receipts[receipt_id] = ReceiptResult(
            receipt_id, "DONE", kind=receipt.kind, fiscal_code=f"TEST-{len(self.receipts) + 1}",
            total=receipt.total,
        )
        if self.lose_next:
            error, self.lose_next = self.lose_next, None
            raise error
        return self.receipts[receipt_id]

    def _get_receipt(self, receipt_id):
        try:
            return self.receipts[receipt_id]
        except KeyError:
            raise errors.NotFoundError("no receipt", status=404) from None


def test_a_retry_with_the_same_uuid_never_issues_a_second_receipt():
    register = FakeRegister()
    sell = Receipt("sell", lines=(line(),), payments=(card(640),))
    receipt_id = str(uuid.uuid4())
    with pytest.raises(errors.ValidationError, match="Зміну не відкрито"):
        register.create_receipt(sell, receipt_id)  # nothing registered: the error stands
    assert register.open_shift().is_open and register.open_shift() is register.shift
    register.lose_next = errors.TimeoutError_("no answer")
    result = register.create_receipt(sell, receipt_id)  # registered, answer lost
    assert (result.fiscal_code, result.total) == ("TEST-1", Decimal("640.00"))
    again = register.create_receipt(sell, receipt_id.upper())  # the job's retry
    assert again == result and len(register.receipts) == 1
    with pytest.raises(errors.NotFoundError):
        register.get_receipt(uuid.uuid4())
    with pytest.raises(ValueError):
        register.create_receipt(sell, "order-42")
    assert register.posts == 3
    closed = register.close_shift()
    assert closed.is_closed and closed.z_report_id == "z-1"
    assert register.close_shift() is None and register.current_shift() is None
    with pytest.raises(NotImplementedError):
        register.receipt_pdf(receipt_id)


def test_a_lost_answer_of_an_unregistered_receipt_raises_the_original_error():
    register = FakeRegister()
    register.open_shift()

    def fail(receipt, receipt_id):
        raise errors.RemoteError("bad gateway", status=502)

    register._create_receipt = fail
    with pytest.raises(errors.RemoteError, match="bad gateway") as info:
        register.create_receipt(
            Receipt("sell", lines=(line(),), payments=(cash(640),)), uuid.uuid4()
        )
    assert info.value.retryable


def test_a_register_may_refuse_a_kind():
    class SellOnly(FakeRegister):
        receipt_kinds = (ReceiptKind.SELL,)

    register = SellOnly()
    register.open_shift()
    with pytest.raises(ValueError, match="no service_in receipt"):
        register.create_receipt(
            Receipt("service_in", payments=(cash(100),)), uuid.uuid4()
        )
