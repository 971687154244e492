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


@dataclass
class PushResult:
    """What the channel accepted from one batch.

    ``accepted`` lists the keys applied; ``rejected`` maps a key to the
    channel's reason. A key in neither was not confirmed and must be retried.
    """

    accepted: list = field(default_factory=list)
    rejected: dict = field(default_factory=dict)


@dataclass
class Customer:
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""  # as sent by the channel; normalised by omni_connectors.core.phone
    email: str = ""
    external_id: str = ""


@dataclass
class DeliveryInfo:
    service: str = ""  # "nova_poshta", "ukrposhta", "pickup", "courier", ...
    method: str = ""  # "warehouse", "postomat", "courier"
    recipient_name: str = ""
    recipient_phone: str = ""
    city_name: str = ""
    city_ref: str = ""  # carrier's city/settlement id when the channel gives it
    warehouse_ref: str = ""  # carrier's branch id
    warehouse_name: str = ""
    address: str = ""
    ttn: str = ""
    cost: Decimal | None = None


@dataclass
class PaymentInfo:
    method: str = ""  # channel's code: "cod", "card", "prepaid", ...
    method_name: str = ""
    is_paid: bool = False
    cash_on_delivery: bool = False
    amount: Decimal | None = None


@dataclass
class OrderLine:
    sku: str  # the key the channel uses for the offer; matched to a binding
    name: str
    quantity: Decimal
    unit_price: Decimal
    external_line_id: str = ""
    external_product_id: str = ""
    commission: Decimal | None = None


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


@dataclass
class ConnectionInfo:
    ok: bool
    message: str = ""
    account: str = ""
