"""Nova Poshta envelopes and payloads: the fact sheet's examples, and hostile input."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_connectors.core import PayloadError, TrackingState
from omni_connectors.novaposhta import NovaPoshtaAuthError, NovaPoshtaError, envelope_error, parse
from omni_connectors.novaposhta.client import NpResult

# -- the fact sheet's example answers ---------------------------------------------------

CITIES_ANSWER = json.loads("""{
  "success": true,
  "data": [ { "Ref": "8d5a980d-391c-11dd-90d9-001a92567626", "Description": "Київ" } ],
  "errors": [], "warnings": [], "info": { "totalCount": 7717 },
  "messageCodes": [], "errorCodes": [], "warningCodes": [], "infoCodes": []
}""")

SAVE_ANSWER = json.loads("""{ "success": true,
  "data": [ { "Ref": "9c3e2a0e-2f25-11ee-a60f-48df37b921db", "CostOnSite": 70,
              "EstimatedDeliveryDate": "22.09.2026",
              "IntDocNumber": "20450850579610", "TypeDocument": "InternetDocument" } ],
  "errors": [], "warnings": [], "info": [], "messageCodes": [], "errorCodes": [],
  "warningCodes": [], "infoCodes": [] }""")

DELIVERY_DATE = {"DeliveryDate": {"date": "2024-05-20 00:00:00.000000", "timezone_type": 3,
                                  "timezone": "Europe/Kiev"}}


def test_cities_example_parses_with_total():
    assert envelope_error(CITIES_ANSWER) is None
    result = NpResult(CITIES_ANSWER)
    assert result.total == 7717
    city = parse.parse_city(result.data[0])
    assert city.name == "Київ" and city.ref.startswith("8d5a980d")


def test_save_example_parses():
    waybill = parse.parse_waybill(NpResult(SAVE_ANSWER).data[0], "SO-1")
    assert waybill.number == "20450850579610"
    assert waybill.cost == Decimal(70)
    assert waybill.estimated_delivery == dt.date(2026, 9, 22)
    assert waybill.reference == "SO-1"


def test_delivery_date_php_object():
    assert parse.parse_delivery_date(DELIVERY_DATE) == dt.date(2024, 5, 20)


def test_price_tolerates_either_zone_key():
    quote = parse.parse_price({"AssessedCost": 300, "Cost": 60, "CostRedelivery": "25",
                               "TzoneInfo": {"TzoneName": "x"}})
    assert quote.total == Decimal(85)


def test_error_list_with_codes():
    err = envelope_error({"success": False, "data": [],
                          "errors": ["Recipient not selected", "RecipientsPhone invalid format"],
                          "errorCodes": ["20000300431", "20000300434"], "warnings": []})
    assert isinstance(err, NovaPoshtaError)
    assert err.codes == ("20000300431", "20000300434")
    assert err.code == "20000300431"
    assert "RecipientsPhone invalid format" in err.message


def test_error_object_form_and_auth():
    err = envelope_error({"success": False,
                          "errors": {"RecipientsPhone": "RecipientsPhone invalid format"}})
    assert err.errors == ("RecipientsPhone invalid format",)
    auth = envelope_error({"success": False, "errors": ["API key expired"],
                           "errorCodes": ["20000200068"]})
    assert isinstance(auth, NovaPoshtaAuthError)


def test_warnings_as_strings_or_objects():
    result = NpResult({"success": True, "data": [], "warnings": [
        "Invalid DocumentNumber: 2045", {"code": "x", "text": "Seats adjusted"}]})
    assert result.warnings == ["Invalid DocumentNumber: 2045", "x", "Seats adjusted"]


def test_tracking_item_mapping():
    item = {"Number": "20450123456789", "StatusCode": "9", "Status": "Відправлення отримано",
            "AfterpaymentOnGoodsCost": "1500", "RecipientDateTime": "21-05-2024 14:02:11",
            "RefEW": "abc"}
    status = parse.parse_tracking(item)
    assert status.state is TrackingState.DELIVERED
    assert status.cod_amount == Decimal(1500) and status.cod_paid is False
    assert status.date == dt.datetime(2024, 5, 21, 14, 2, 11)
    unknown_code = parse.parse_tracking({"Number": "1", "StatusCode": "77"})
    assert unknown_code.state is TrackingState.IN_TRANSIT and unknown_code.code == "77"
    returned = parse.parse_tracking({"Number": "1", "StatusCode": "102",
                                     "DateReturnCargo": "01-01-2024 10:00:00"})
    assert returned.state is TrackingState.RETURNED
    assert parse.parse_tracking({"Number": "1", "StatusCode": "103"}).state is \
        TrackingState.REFUSED
    assert status.cod_fee is None, "no fee reported"


def test_tracking_cod_transfer_fee():
    paid = parse.parse_tracking({"Number": "1", "StatusCode": "11", "RedeliverySum": "850",
                                 "LastAmountReceivedCommissionGM": "37.00"})
    assert paid.cod_amount == Decimal(850) and paid.cod_fee == Decimal("37.00")
    for hostile in ("-5", "abc", None, ""):
        status = parse.parse_tracking({"Number": "1", "StatusCode": "11", "RedeliverySum": "850",
                                       "LastAmountReceivedCommissionGM": hostile})
        assert status.cod_fee is None
    no_cod = parse.parse_tracking({"Number": "1", "StatusCode": "9",
                                   "LastAmountReceivedCommissionGM": "20"})
    assert no_cod.cod_fee is None, "a fee without cash on delivery is ignored"


def test_warehouse_limits():
    warehouse = parse.parse_warehouse({
        "Ref": "r", "Number": "12", "Description": "Поштомат №12", "CityRef": "c",
        "TypeOfWarehouse": "f9316480-5f2d-425d-bc2c-ac7cd29decf0",
        "PlaceMaxWeightAllowed": "20",
        "ReceivingLimitationsOnDimensions": {"Width": 40, "Height": 30, "Length": 60}})
    assert warehouse.is_postomat and warehouse.place_max_weight == 20
    assert warehouse.receiving_limits.height == 30


# -- hostile input -----------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=30), st.decimals(allow_nan=True, allow_infinity=True))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
KEYS = ["LastAmountReceivedCommissionGM",
        "Ref", "Number", "Description", "IntDocNumber", "StatusCode", "Status", "CostOnSite",
        "Cost", "CityRef", "TypeOfWarehouse", "PlaceMaxWeightAllowed", "DeliveryDate",
        "ReceivingLimitationsOnDimensions", "AfterpaymentOnGoodsCost", "RedeliverySum",
        "RecipientDateTime", "DateReturnCargo", "EstimatedDeliveryDate", "ContactPerson",
        "Addresses", "Success", "Errors", "Count"]
items = st.one_of(values, st.dictionaries(st.sampled_from(KEYS), values, max_size=10))
PARSERS = [parse.parse_city, parse.parse_settlement, parse.parse_warehouse,
           parse.parse_counterparty, parse.parse_contact, parse.parse_waybill, parse.parse_price,
           parse.parse_delivery_date, parse.parse_tracking, parse.parse_scan_sheet,
           parse.parse_recipient, parse.parse_address]


@settings(max_examples=300, deadline=None)
@given(item=items, which=st.sampled_from(PARSERS))
def test_parsers_return_or_raise_payload_error(item, which):
    try:
        which(item)
    except PayloadError:
        pass


@settings(max_examples=200, deadline=None)
@given(envelope=st.one_of(values, st.dictionaries(
    st.sampled_from(["success", "data", "errors", "warnings", "errorCodes", "info"]), values)))
def test_envelopes_never_crash(envelope):
    error = envelope_error(envelope)
    if error is None:
        result = NpResult(envelope)
        assert isinstance(result.data, list) and isinstance(result.warnings, list)
    else:
        assert str(error)
    parse.parse_settlement_search(envelope if isinstance(envelope, list) else [envelope])


@pytest.mark.parametrize("raw", ["", None, "31-02-2024 10:00:00", {"date": 5}, "garbage"])
def test_bad_dates_are_none(raw):
    assert parse.parse_datetime(raw) is None
