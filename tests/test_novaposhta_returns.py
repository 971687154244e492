"""Nova Poshta return orders (AdditionalServiceGeneral) against the simulator, over HTTP."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_connectors.core import PayloadError, TimeoutError_
from omni_connectors.novaposhta import NovaPoshtaClient, NovaPoshtaError, ReturnOrder, parse
from omni_sandbox.novaposhta import RETURN_NOT_POSSIBLE, NovaPoshtaSimulator

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def np_sim():
    with NovaPoshtaSimulator(api_key=KEY, cities=20, warehouses=200) as sim:
        yield sim


@pytest.fixture
def sim(np_sim):
    np_sim.reset()
    return np_sim


@pytest.fixture
def client(sim, sleeps):
    return NovaPoshtaClient(KEY, base_url=sim.url, print_url=sim.url, timeout=(2, 1),
                            backoff_base=0.01, sleep=sleeps)


def _parcel(sim, steps):
    """A waybill moved ``steps`` along the delivered script (4 = at the branch, 5 = received)."""
    number = sim.add_document()["IntDocNumber"]
    sim.advance(number, steps)
    return number


def _reason(client):
    reason = client.return_reasons()[0]
    return reason, client.return_reason_subtypes(reason.ref)[0]


def test_return_of_a_parcel_at_the_branch_gets_its_ttn_at_once(client, sim):
    number = _parcel(sim, 4)
    offers = client.return_possibility(number)
    assert offers[0].ref and offers[0].non_cash and offers[0].counterparty
    reason, subtype = _reason(client)
    assert subtype.reason_ref == reason.ref
    order = client.create_return_order(number, reason.ref, subtype.ref,
                                       return_address_ref=offers[0].ref, note="Відмова")
    assert order.number.startswith("102-")
    assert order.return_number in sim.documents  # the new waybill NP made
    assert sim.documents[number]["StateId"] == "102"
    saved = sim.return_orders[order.ref]
    assert (saved["Reason"], saved["SubtypeReason"], saved["Note"]) == (
        reason.ref, subtype.ref, "Відмова")
    listed = client.return_orders(number=order.number)
    assert [o.return_number for o in listed] == [order.return_number]
    assert listed[0].document_number == number


def test_return_of_a_received_parcel_gets_its_ttn_later(client, sim):
    number = _parcel(sim, 5)
    offer = client.return_possibility(number)[0]
    reason, subtype = _reason(client)
    order = client.create_return_order(number, reason.ref, subtype.ref,
                                       return_address_ref=offer.ref)
    assert order.return_number == ""
    ttn = sim.assign_return_waybill(order.number)
    assert client.find_return_order(number).return_number == ttn


@pytest.mark.parametrize("steps", [0, 2])
def test_not_possible_before_the_parcel_arrives(client, sim, steps):
    number = _parcel(sim, steps)
    with pytest.raises(NovaPoshtaError) as err:
        client.return_possibility(number)
    assert err.value.has_code(RETURN_NOT_POSSIBLE)
    assert "неможливе" in str(err.value)


def test_not_possible_after_the_storage_period(client, sim):
    number = _parcel(sim, 5)
    old = dt.datetime.now() - dt.timedelta(days=sim.storage_days + 1)
    sim.documents[number]["received"] = old.strftime("%d-%m-%Y %H:%M:%S")
    with pytest.raises(NovaPoshtaError, match="термін"):
        client.return_possibility(number)


def test_second_return_refused_and_save_checks_the_reason(client, sim):
    number = _parcel(sim, 4)
    offer = client.return_possibility(number)[0]
    reason, subtype = _reason(client)
    other = client.return_reasons()[1]
    with pytest.raises(NovaPoshtaError, match="Reason"):
        client.create_return_order(number, other.ref, subtype.ref, return_address_ref=offer.ref)
    assert not sim.return_orders
    client.create_return_order(number, reason.ref, subtype.ref, return_address_ref=offer.ref)
    with pytest.raises(NovaPoshtaError):
        client.create_return_order(number, reason.ref, subtype.ref,
                                   return_address_ref=offer.ref)
    assert len(sim.return_orders) == 1


def test_bad_arguments_never_reach_np(client, sim):
    sim.requests.clear()
    with pytest.raises(ValueError):
        client.create_return_order("1", "r", "s")  # no address
    with pytest.raises(ValueError):
        client.create_return_order("1", "r", "s", return_address_ref="a", payment_method="Card")
    with pytest.raises(ValueError):
        client.return_possibility(" ")
    assert not sim.requests


def test_delete_only_while_accepted(client, sim):
    reason, subtype = _reason(client)
    later = _parcel(sim, 5)
    order = client.create_return_order(later, reason.ref, subtype.ref,
                                       return_address_ref=client.return_possibility(later)[0].ref)
    client.delete_return_order(order.ref)
    assert client.find_return_order(later) is None
    now = _parcel(sim, 4)
    order = client.create_return_order(now, reason.ref, subtype.ref,
                                       return_address_ref=client.return_possibility(now)[0].ref)
    with pytest.raises(NovaPoshtaError, match="Прийняте"):
        client.delete_return_order(order.ref)


def test_lost_answer_of_save_is_found_not_repeated(client, sim):
    number = _parcel(sim, 4)
    offer = client.return_possibility(number)[0]
    reason, subtype = _reason(client)
    sim.faults.add("timeout", after=True, seconds=5,
                   match={"modelName": "AdditionalServiceGeneral", "calledMethod": "save"})
    with pytest.raises(TimeoutError_):
        client.create_return_order(number, reason.ref, subtype.ref, return_address_ref=offer.ref)
    found = client.find_return_order(number)
    assert found is not None and found.return_number
    saves = [r for r in sim.requests if "AdditionalServiceGeneral" in r["body"]
             and '"save"' in r["body"]]
    assert len(saves) == 1  # never resent by the transport


def test_reasons_read_retried_after_a_502(client, sim):
    sim.faults.add("status", status=502, match={"calledMethod": "getReturnReasons"})
    assert len(client.return_reasons()) == 2


def test_parse_return_order_forms():
    saved = parse.parse_return_order({"Number": "102-1", "Ref": "r"}, "2045")
    assert saved == ReturnOrder(ref="r", number="102-1", document_number="2045")
    listed = parse.parse_return_order({
        "OrderRef": "r", "OrderNumber": "102-1", "OrderStatus": "Скасовано",
        "DocumentNumber": "2045", "ExpressWaybillNumber": "2046", "DeliveryCost": "70",
        "EstimatedDeliveryDate": "01.02.2025"})
    assert listed.closed and listed.return_number == "2046"
    assert listed.estimated_date == dt.date(2025, 2, 1)


_scalar = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(),
                    st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2))
_keys = st.sampled_from(["Ref", "OrderRef", "Number", "OrderNumber", "DocumentNumber",
                         "ExpressWaybillNumber", "DeliveryCost", "EstimatedDeliveryDate",
                         "NonCash", "Description", "ReasonRef", "OrderStatus"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_scalar, st.dictionaries(_keys, _scalar, max_size=12)))
def test_return_parsers_never_crash_on_hostile_items(item):
    for parser in (parse.parse_return_order, parse.parse_return_possibility,
                   parse.parse_return_reason):
        try:
            result = parser(item)
        except PayloadError:
            continue
        assert result.ref
