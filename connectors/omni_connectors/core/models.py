"""Neutral data exchanged between Odoo and every channel adapter.

Money is always :class:`decimal.Decimal`; quantities of stock pushed to a
channel are whole numbers (marketplaces take integers), quantities ordered are
Decimal. Each adapter maps its own wire format to and from these classes.
"""

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class OrderState(str, enum.Enum):
    """Where an order stands, in words every channel can be mapped to."""

    NEW = "new"  # placed by the buyer, not yet accepted by the seller
    CONFIRMED = "confirmed"  # accepted, being prepared
    SHIPPED = "shipped"  # handed to the carrier (a TTN exists)
    DELIVERED = "delivered"  # received by the buyer
    CANCELLED = "cancelled"  # cancelled before shipping
    RETURNED = "returned"  # refused or returned after shipping


@dataclass(frozen=True)
class StockUpdate:
    """Set the quantity a channel shows for one offer."""

    key: str  # the channel's id of the offer (external id or SKU/offer id)
    quantity: int


@dataclass(frozen=True)
class PriceUpdate:
    """Set the price a channel shows for one offer."""

    key: str
    price: Decimal
    old_price: Decimal | None = None  # crossed-out price, when the channel has one
    clear_old_price: bool = False  # remove the crossed-out price (Rozetka: price_old -1)


@dataclass
class PushResult:
    """What the channel did with one batch.

    ``accepted`` lists the keys applied; ``rejected`` maps a key to the
    channel's reason. ``unchanged`` lists keys the channel reports as already
    showing the value (Prom answers an empty ``processed_ids`` to a no-op
    change): they count as sent. ``pending`` maps a key to the reason the
    channel holds the change for a person (Rozetka queues a price more than
    1.5 times above or 2 times below the current one for the manager's
    confirmation): not an error, and resending would only queue it again, but
    the reason is reported. A key in none of these was not confirmed and must
    be retried.
    """

    accepted: list = field(default_factory=list)
    rejected: dict = field(default_factory=dict)
    unchanged: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)


@dataclass
class StatusResult:
    """What the channel answered to a status change."""

    remote_status: str = ""  # the channel's own status code after the change
    warnings: list = field(default_factory=list)  # texts to show (Prom warning_message)


@dataclass
class Customer:
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    # patronymic: Rozetka user_title.second_name, Prom client_second_name
    middle_name: str = ""
    phone: str = ""  # as sent by the channel; normalised by omni_connectors.core.phone
    email: str = ""
    external_id: str = ""


@dataclass
class DeliveryInfo:
    service: str = ""  # "nova_poshta", "ukrposhta", "pickup", "courier", ...
    method: str = ""  # "warehouse", "postomat", "courier"
    recipient_name: str = ""
    recipient_phone: str = ""
    # name parts, which Nova Poshta wants apart: Rozetka
    # delivery.recipient_first/last/second_name, Prom delivery_recipient
    recipient_first_name: str = ""
    recipient_last_name: str = ""
    recipient_middle_name: str = ""
    city_name: str = ""
    city_ref: str = ""  # carrier's city/settlement id when the channel gives it
    # KATOTTG code of the city: Prom recipient_address.city_katottg
    city_katottg: str = ""
    warehouse_ref: str = ""  # carrier's branch id
    warehouse_name: str = ""
    # branch number ("363"): Rozetka place_number; Nova Poshta takes it as
    # RecipientAddressName in a waybill "by text"
    warehouse_number: str = ""
    address: str = ""
    # door delivery: Rozetka place_street/place_house/place_flat, Prom
    # recipient_address street_name/building_number/apartment_number; the
    # street's carrier id from Prom street_id or Nova Poshta SettlementStreetRef
    street: str = ""
    street_ref: str = ""
    house: str = ""
    flat: str = ""
    # Nova Poshta ServiceType: WarehouseWarehouse, WarehouseDoors,
    # WarehousePostomat... (Prom delivery_provider_data.type W2W, W2D...)
    service_type: str = ""
    ttn: str = ""
    cost: Decimal | None = None
    # shipment status as text: Prom unified_status, Nova Poshta tracking Status
    status: str = ""


@dataclass
class PaymentInfo:
    method: str = ""  # channel's code: "cod", "card", "prepaid", ...
    method_name: str = ""
    is_paid: bool = False
    cash_on_delivery: bool = False
    amount: Decimal | None = None
    # the channel's payment status: Prom payment_data.status (paid, unpaid,
    # refunded, paid_out), Rozetka payment.payment_status.name
    status: str = ""
    # what was actually paid (a part payment, a cash-on-delivery payout) and
    # when: Prom payment_data.status_modified, Rozetka payment_status.created_at
    paid_amount: Decimal | None = None
    paid_at: datetime | None = None
    # payment service: Prom payment_data.type ("evopay" = Prom Payment),
    # Rozetka payment_type; named on Checkbox receipts
    provider: str = ""


@dataclass
class OrderLine:
    sku: str  # the key the channel uses for the offer; matched to a binding
    name: str
    quantity: Decimal
    unit_price: Decimal
    external_line_id: str = ""
    external_product_id: str = ""
    commission: Decimal | None = None
    # unit price before the discount (Rozetka purchases.price, while
    # unit_price is price_with_discount) and the discount on the whole line in
    # money (Checkbox receipts print it as a line discount)
    list_price: Decimal | None = None
    discount: Decimal | None = None


@dataclass
class Order:
    external_id: str
    state: OrderState
    lines: list
    customer: Customer
    remote_status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    delivery: DeliveryInfo = field(default_factory=DeliveryInfo)
    payment: PaymentInfo = field(default_factory=PaymentInfo)
    total: Decimal | None = None
    currency: str = "UAH"
    comment: str = ""
    cancel_reason: str = ""
    # goods at list prices without delivery, and the discounts on them
    # (Rozetka amount and amount - amount_with_discount; Prom price and
    # special_offer_discount)
    goods_total: Decimal | None = None
    discount_total: Decimal | None = None
    # the marketplace's fee: Prom cpa_commission.amount / .is_refunded
    commission: Decimal | None = None
    commission_refunded: bool = False
    # the channel's label of remote_status: Rozetka status_data.name_uk,
    # Prom status_name
    remote_status_name: str = ""
    # the buyer asked not to be called: Rozetka callback_off, Prom
    # dont_call_customer_back
    dont_call_back: bool = False
    # who cancelled (buyer, seller, marketplace): Prom cancellation.initiator
    cancel_initiator: str = ""


@dataclass
class RawOrder:
    """One order payload exactly as the channel sent it, before mapping.

    ``external_id`` may be empty when the payload is too broken to find it;
    ``body`` is the raw text when the payload did not parse as JSON.
    """

    external_id: str
    payload: dict | None
    body: str = ""
    updated_marker: str = ""  # the channel's change stamp, to notice re-deliveries with changes


@dataclass
class OrderBatch:
    orders: list  # of RawOrder
    cursor: str | None  # pass back to fetch the next changes; None = unchanged
    has_more: bool = False


@dataclass
class RemoteOffer:
    key: str
    sku: str = ""
    name: str = ""
    quantity: int | None = None
    price: Decimal | None = None
    active: bool = True
    # the offer's other ids, to match a binding made with one of them
    # (Rozetka rz_item_id / item_id / price_offer_id, Prom id / external_id)
    alt_keys: tuple = ()
    # stock and price come from the channel's XML feed (Rozetka sync_source
    # is_virtual_source 0), so an API push may be overwritten by the next import
    managed_by_feed: bool = False


@dataclass
class ConnectionInfo:
    ok: bool
    message: str = ""
    account: str = ""
