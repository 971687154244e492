"""Nova Poshta client against the Nova Poshta simulator, over real HTTP on loopback."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from omni_connectors.core import (
    CodMethod,
    InvalidPhone,
    Party,
    Seat,
    Shipment,
    TimeoutError_,
    TrackingState,
)
from omni_connectors.novaposhta import (
    NovaPoshtaAuthError,
    NovaPoshtaClient,
    NovaPoshtaError,
)
from omni_sandbox import get_simulator
from omni_sandbox.novaposhta import TYPE_POSTOMAT, NovaPoshtaSimulator

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def np_sim():
    with NovaPoshtaSimulator(api_key=KEY, cities=40, warehouses=600) as sim:
        yield sim


@pytest.fixture
def sim(np_sim):
    np_sim.reset()
    return np_sim


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(sim, calls, sleeps):
    return NovaPoshtaClient(KEY, base_url=sim.url, print_url=sim.url, on_call=calls.append,
                            timeout=(2, 1), backoff_base=0.01, sleep=sleeps)


def _sender(client):
    counterparty = client.counterparties("Sender")[0]
    contact = client.contact_persons(counterparty.ref)[0]
    address = client.counterparty_addresses(counterparty.ref)[0]
    return Party(counterparty_ref=counterparty.ref, contact_ref=contact.ref,
                 city_ref=counterparty.city_ref, warehouse_ref=address.ref, phone=contact.phone)


def _branch(sim, city_index=1, kind=None):
    city = sim.directory["cities"][city_index]
    for warehouse in sim.directory["wh_by_city"][city["Ref"]]:
        if kind is None or warehouse["TypeOfWarehouse"] == kind:
            return city, warehouse
    raise LookupError(kind)


def _shipment(client, sim, **kw):
    city, branch = _branch(sim)
    recipient = Party(first_name="Іван", last_name="Петренко", middle_name="Олегович",
                      phone="+380671234567", city_ref=city["Ref"], warehouse_ref=branch["Ref"])
    values = {"sender": _sender(client), "recipient": recipient, "weight": Decimal("1.5"),
              "declared_value": Decimal("850"), "description": "Одяг",
              "places": (Seat(Decimal("1.5"), 30, 20, 10),)}
    values.update(kw)
    return Shipment(**values)


def test_registered_for_the_cli():
    assert get_simulator("novaposhta") is NovaPoshtaSimulator


def test_wrong_key_is_an_auth_error_with_np_code(sim, sleeps):
    client = NovaPoshtaClient("bad-key", base_url=sim.url)
    with pytest.raises(NovaPoshtaAuthError) as info:
        client.cities()
    assert info.value.codes == ("20000200068",)
    assert "API auth fail" in str(info.value)
    assert client.test_connection().ok is False


def test_refusal_carries_every_text_and_code(client, sim):
    with pytest.raises(NovaPoshtaError) as info:
        client.call("InternetDocument", "save", {"PayerType": "Sender"}, idempotent=False)
    err = info.value
    assert "20000200248" in err.codes and "20000300435" in err.codes  # PaymentMethod, phone
    assert len(err.codes) == len(err.errors)
    assert "PaymentMethod is empty" in err.errors


def test_warnings_are_kept_for_the_user(client, sim):
    shipment = _shipment(client, sim, places=())
    waybill = client.create_waybill(shipment, "SO-W1")
    assert waybill.warnings == ("VolumeGeneral is empty, minimal value is used",)
    assert client.last_warnings == ["VolumeGeneral is empty, minimal value is used"]


def test_directories_page_through_cities_and_warehouses(client, sim):
    cities = [city for page in client.iter_pages(lambda p, n: client.cities(page=p, limit=n),
                                                 limit=15) for city in page[0]]
    assert len(cities) == 40 and cities[0].name == "Київ"
    pages = list(client.iter_pages(lambda p, n: client.warehouses(page=p, limit=n), limit=250))
    assert len(pages) == 3
    warehouses = [w for page in pages for w in page[0]]
    assert len({w.ref for w in warehouses}) == 600
    lockers = [w for w in warehouses if w.is_postomat]
    assert lockers and all(w.place_max_weight == 20 for w in lockers)
    assert lockers[0].receiving_limits.length == 60
    found = client.search_settlements("Льв")
    assert found[0].name == "Львів" and found[0].city_ref


def test_sender_directory(client):
    sender = _sender(client)
    assert sender.phone == "380501112233" and sender.warehouse_ref
    assert client.counterparty_options(sender.counterparty_ref)["CanAfterpaymentOnGoodsCost"]


def test_rate_and_delivery_date(client, sim):
    quote = client.rate(_shipment(client, sim, cash_on_delivery=Decimal(850)))
    assert quote.cost > 0 and quote.cod_fee > 0
    assert quote.estimated_delivery >= dt.date.today()


def test_create_by_refs_with_payment_control(client, sim):
    waybill = client.create_waybill(_shipment(client, sim, cash_on_delivery=Decimal(850)),
                                    "WH/OUT/00001")
    assert len(waybill.number) == 14 and waybill.cost > 0
    document = sim.documents[waybill.number]
    assert document["props"]["AfterpaymentOnGoodsCost"] == "850"
    assert document["props"]["InfoRegClientBarcodes"] == "WH/OUT/00001"
    assert document["props"]["RecipientsPhone"] == "380671234567"
    assert waybill.cod_method == "payment_control"


def test_money_transfer_falls_back_to_payment_control(client, sim):
    shipment = _shipment(client, sim, cash_on_delivery=Decimal(400),
                         cod_method=CodMethod.MONEY_TRANSFER)
    waybill = client.create_waybill(shipment, "WH/OUT/00002")
    assert waybill.cod_method == "payment_control"
    saves = [r for r in sim.requests if '"save"' in r["body"] and "InternetDocument" in r["body"]]
    assert len(saves) == 2  # refused with 20000204637, then payment control
    assert "BackwardDeliveryData" not in sim.documents[waybill.number]["props"]


def test_money_transfer_when_enabled(client, sim):
    sim.options["CanMoneyTransfer"] = True
    shipment = _shipment(client, sim, cash_on_delivery=Decimal(400),
                         cod_method=CodMethod.MONEY_TRANSFER)
    waybill = client.create_waybill(shipment, "WH/OUT/00003")
    assert waybill.cod_method == "money_transfer"
    assert sim.documents[waybill.number]["props"]["BackwardDeliveryData"][0] == {
        "PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": "400"}


@pytest.mark.parametrize("service", ["WarehouseWarehouse", "WarehouseDoors", "DoorsWarehouse",
                                     "DoorsDoors"])
def test_create_by_text_every_service_type(client, sim, service):
    city, branch = _branch(sim)
    recipient = Party(first_name="Марія", last_name="Ткачук", phone="0501234567",
                      city_name=city["Description"], warehouse_number=branch["Number"],
                      street="вул. Шевченка", house="5", flat="12")
    shipment = _shipment(client, sim, recipient=recipient, service_type=service,
                         payer="sender")
    waybill = client.create_waybill(shipment, f"TXT-{service}")
    props = sim.documents[waybill.number]["props"]
    assert props["NewAddress"] == "1" and props["RecipientName"] == "Ткачук Марія"
    assert props["ServiceType"] == service and props["PayerType"] == "Sender"
    expected = "вул. Шевченка" if service.endswith("Doors") else branch["Number"]
    assert props["RecipientAddressName"] == expected


def test_latin_recipient_name_is_refused_before_calling(client, sim):
    recipient = Party(first_name="Ivan", last_name="Petrenko", phone="0671234567",
                      city_name="Київ", warehouse_number="1")
    with pytest.raises(ValueError, match="Ukrainian"):
        client.create_waybill(_shipment(client, sim, recipient=recipient), "LAT-1")


def test_foreign_phone_is_refused_before_calling(client, sim):
    recipient = Party(first_name="Іван", last_name="Петренко", phone="+48 601 234 567",
                      city_name="Київ", warehouse_number="1")
    with pytest.raises(InvalidPhone):
        client.create_waybill(_shipment(client, sim, recipient=recipient), "PL-1")


def test_postomat_limits_answered_with_np_code(client, sim):
    city, locker = _branch(sim, 0, TYPE_POSTOMAT)
    recipient = Party(first_name="Іван", last_name="Петренко", phone="0671234567",
                      city_ref=city["Ref"], warehouse_ref=locker["Ref"])
    heavy = _shipment(client, sim, recipient=recipient, weight=Decimal(25),
                      places=(Seat(Decimal(25), 30, 20, 10),), service_type="WarehousePostomat")
    with pytest.raises(NovaPoshtaError) as info:
        client.create_waybill(heavy, "PM-1")
    assert info.value.codes == ("20000200380",)


def test_update_and_delete(client, sim):
    shipment = _shipment(client, sim)
    waybill = client.create_waybill(shipment, "UPD-1")
    heavier = _shipment(client, sim, weight=Decimal(3), places=(Seat(Decimal(3), 30, 20, 10),))
    updated = client.update_waybill(waybill.ref, heavier, "UPD-1")
    assert updated.number == waybill.number
    assert sim.documents[waybill.number]["Weight"] == "3"
    client.cancel_waybill(waybill)
    assert sim.documents[waybill.number]["StateId"] == "2"
    client.cancel_waybill(waybill.ref)  # twice: not an error
    assert client.find_waybill("UPD-1") is None


def test_delete_refused_after_handover(client, sim):
    waybill = client.create_waybill(_shipment(client, sim), "HAND-1")
    sim.advance(waybill.number, 1)
    with pytest.raises(NovaPoshtaError):
        client.cancel_waybill(waybill)


def test_lost_answer_creates_no_second_waybill(client, sim):
    """The save is applied, the answer never comes; the retry finds the first waybill."""
    sim.faults.add("timeout", after=True, seconds=5,
                   match={"modelName": "InternetDocument", "calledMethod": "save"})
    shipment = _shipment(client, sim, cash_on_delivery=Decimal(850))
    with pytest.raises(TimeoutError_):
        client.create_waybill(shipment, "WH/OUT/00042")
    assert len(sim.documents) == 1  # NP made it
    waybill = client.create_waybill(shipment, "WH/OUT/00042")
    assert len(sim.documents) == 1
    assert waybill.number == next(iter(sim.documents))
    saves = [r for r in sim.requests
             if "InternetDocument" in r["body"] and "\"save\"" in r["body"]]
    assert len(saves) == 1  # a non-idempotent POST is never resent by the transport


def test_tracking_in_batches_of_100_with_phones(client, sim):
    numbers = [sim.add_document()["IntDocNumber"] for _ in range(250)]
    sim.requests.clear()
    statuses = client.track_all(numbers + ["20459999999999"],
                                phones={numbers[0]: "+380671234567"})
    assert len(statuses) == 251
    track_calls = [r for r in sim.requests if "getStatusDocuments" in r["body"]]
    assert len(track_calls) == 3
    assert statuses[-1].state is TrackingState.UNKNOWN
    assert '"Phone": "380671234567"' in track_calls[0]["body"]
    with pytest.raises(ValueError):
        client.track(numbers[:101])


def test_tracking_scripts_delivered_with_cod_and_refused(client, sim):
    delivered = client.create_waybill(_shipment(client, sim, cash_on_delivery=Decimal(850)),
                                      "TR-1")
    refused = client.create_waybill(_shipment(client, sim), "TR-2")
    sim.advance(delivered.number, 4)
    sim.advance(refused.number, 5, script="refused")
    first, second = client.track([delivered.number, refused.number])
    assert first.state is TrackingState.ARRIVED and first.code == "7"
    assert second.state is TrackingState.REFUSED and second.code == "103"
    sim.advance(delivered.number, 1)
    sim.advance(refused.number, 2)
    first, second = client.track([delivered.number, refused.number])
    assert first.state is TrackingState.DELIVERED and first.cod_amount == Decimal(850)
    assert first.date is not None
    assert second.state is TrackingState.RETURNED
    assert first.cod_fee is None, "payment control: no transfer fee on the waybill"


def test_money_transfer_fee_reported_once_paid_out(client, sim):
    shipment = _shipment(client, sim, cash_on_delivery=Decimal(850),
                         cod_method=CodMethod.MONEY_TRANSFER)
    sim.options["CanMoneyTransfer"] = True
    waybill = client.create_waybill(shipment, "TR-GM")
    sim.advance(waybill.number, 10)
    (status,) = client.track([waybill.number])
    assert status.code == "11" and status.cod_paid
    assert status.cod_fee == Decimal("37.00")  # 20 + 2 % of 850


def test_labels_are_real_pdfs_in_every_layout(client, sim, calls):
    waybill = client.create_waybill(_shipment(client, sim), "LBL-1")
    for layout in ("document", "marking", "85x85", "100x100"):
        pdf = client.label([waybill.number], layout=layout)
        assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert all(KEY not in c.url for c in calls)
    assert any("/apiKey/***" in c.url for c in calls)


def test_labels_of_many_waybills_in_one_request(client, sim, calls):
    first = client.create_waybill(_shipment(client, sim), "LBL-A")
    second = client.create_waybill(_shipment(client, sim), "LBL-B")
    del calls[:]
    pdf = client.label([first.number, second.number], layout="100x100")
    assert pdf.startswith(b"%PDF")
    assert first.number.encode() in pdf and second.number.encode() in pdf
    assert len(calls) == 1
    assert f"/orders/{first.number},{second.number}/" in calls[0].url


def test_label_of_unknown_number_is_an_error(client, sim):
    with pytest.raises(Exception, match="404|PDF"):
        client.label(["20450000999999"])


def test_scan_sheet_add_print_remove(client, sim):
    first = client.create_waybill(_shipment(client, sim), "SS-1")
    second = client.create_waybill(_shipment(client, sim), "SS-2")
    sheet = client.scan_sheet_add([first.ref, second.ref])
    assert set(sheet.added) == {first.number, second.number}
    assert client.scan_sheet(sheet.ref).count == 2
    assert client.scan_sheet_pdf(sheet.ref).startswith(b"%PDF")
    assert client.scan_sheet(sheet.ref).printed
    with pytest.raises(NovaPoshtaError):
        client.scan_sheet_add([first.ref], ref=sheet.ref)  # printed: locked


def test_reads_are_retried_after_a_5xx(client, sim, sleeps):
    sim.faults.add("status", status=502, match={"calledMethod": "getCities"})
    cities, total = client.cities(limit=5)
    assert total == 40 and len(sleeps.calls) == 1


def test_sender_contact_persons_and_unknown_contact_refused(client, sim):
    sim.sender_contacts.append({
        "Ref": "second-contact", "Description": "Шевченко Тарас Григорович",
        "Phones": "380672223344", "Email": "", "FirstName": "Тарас", "LastName": "Шевченко",
        "MiddleName": "Григорович"})
    sender = client.counterparties("Sender")[0]
    contacts = client.contact_persons(sender.ref)
    assert [c.ref for c in contacts][1:] == ["second-contact"]
    assert contacts[1].phone == "380672223344"
    shipment = _shipment(client, sim)
    wrong = dataclasses.replace(shipment, sender=dataclasses.replace(
        shipment.sender, contact_ref="nobody"))
    with pytest.raises(Exception, match="ContactSender not found"):
        client.create_waybill(wrong, "CS-1")
