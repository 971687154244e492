"""The contract between omni_channel_base and a channel.

A connector package (``omni_connectors.rozetka``, ``...prom``, the generic
test channel) subclasses :class:`ChannelAdapter`. The Odoo side obtains an
adapter from the channel type's addon and only ever calls these methods.

Rules every adapter follows, besides those of every client
(:mod:`omni_connectors.core.base`):

* one call of ``push_stock``/``push_prices`` is at most ``batch_limit``
  updates; the caller splits, the adapter refuses more (``ValueError``);
* errors are raised as :mod:`omni_connectors.core.errors`; a partial refusal
  is returned in :class:`PushResult.rejected`, not raised; keys the channel
  found unchanged or holds for confirmation go to ``unchanged`` and
  ``pending``;
* no method keeps state that another process would need: cursors are
  returned to the caller, which stores them;
* fetching orders is optional: a channel that delivers its orders itself
  sets ``can_fetch_orders = False`` and leaves :meth:`ChannelAdapter.fetch_orders`
  as it is. The own shop does: it posts its orders to Odoo's own API, so
  there is nothing to poll; the caller checks the flag before scheduling a
  poll. ``parse_order`` is still required, since posted orders are stored
  as :class:`RawOrder` s and mapped like fetched ones.
"""

import abc
import json
from collections.abc import Iterable, Sequence

from .base import BaseClient
from .errors import PayloadError
from .models import (
    ConnectionInfo,
    Order,
    OrderBatch,
    OrderState,
    PriceUpdate,
    PushResult,
    RawOrder,
    RemoteOffer,
    StatusResult,
    StockUpdate,
)


class ChannelAdapter(BaseClient):
    """A sales channel: push stock and prices, fetch and map orders, set statuses."""

    #: largest number of updates one push request may carry
    batch_limit = 100
    #: requests per second the channel tolerates (0 = no limit)
    rate_limit = 0.0
    #: whether list_offers() returns quantities, so drift can be checked
    can_read_stock = True
    #: decimals of the prices the channel takes; None = the currency's
    #: (Rozetka takes whole hryvnias: 0). Pass it to planner.plan_prices.
    price_digits: int | None = None
    #: whether fetch_orders() polls the channel; False for a channel that
    #: posts its orders to Odoo (the own shop)
    can_fetch_orders = True

    def _check_batch(self, updates: Sequence) -> None:
        if len(updates) > self.batch_limit:
            raise ValueError(
                f"{len(updates)} updates exceed the batch limit of {self.batch_limit}"
            )

    @abc.abstractmethod
    def test_connection(self) -> ConnectionInfo:
        """Check credentials and reachability with one cheap call."""

    @abc.abstractmethod
    def push_stock(self, updates: Sequence[StockUpdate]) -> PushResult:
        """Send one batch of absolute quantities."""

    @abc.abstractmethod
    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        """Send one batch of prices."""

    def orders_changed(self, cursor: str | None) -> bool | None:
        """Cheaply tell whether anything changed since ``cursor``, before a full fetch.

        Marketplaces without webhooks are polled every few seconds; where the
        API has a cheap call (Rozetka's count of new orders, Prom's list
        limited to one row modified since a stamp), an adapter answers here
        and the caller skips :meth:`fetch_orders` when it says ``False``.
        ``None`` (the default) means "cannot tell cheaply": fetch. A cheap
        check must never answer ``False`` when it is unsure.
        """
        return None

    def fetch_orders(self, cursor: str | None) -> OrderBatch:
        """Return orders new or changed since ``cursor`` (None: the recent ones).

        Optional: a channel with ``can_fetch_orders = False`` keeps this default.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not fetch orders: the channel posts them"
        )

    @staticmethod
    def _payload_object(raw: RawOrder, label: str = "order") -> dict:
        """The raw order's JSON object, or a PayloadError saying it is none.

        A stored body is read leniently (``strict=False``): a raw control
        character inside a string stays text, for the order checks to name,
        instead of making the whole order unreadable.
        """
        payload = raw.payload
        if payload is None and raw.body:
            try:
                payload = json.loads(raw.body, strict=False)
            except (ValueError, RecursionError):
                payload = None
        if not isinstance(payload, dict):
            raise PayloadError(
                f"{label} {raw.external_id or '?'}: payload is not an object: "
                f"{(raw.body or '')[:120]!r}"
            )
        return payload

    @abc.abstractmethod
    def parse_order(self, raw: RawOrder) -> Order:
        """Map a stored raw payload to a neutral order; raise PayloadError if it can't."""

    @abc.abstractmethod
    def set_order_status(
        self,
        external_id: str,
        state: OrderState,
        *,
        ttn: str = "",
        carrier: str = "",
        cancel_reason: str = "",
        comment: str = "",
        remote_status: str | None = None,
        extra: dict | None = None,
    ) -> StatusResult:
        """Tell the channel the order moved on (confirmed, shipped with a TTN, cancelled).

        ``carrier`` names the carrier of the TTN ("nova_poshta") where the
        channel asks for it; ``cancel_reason`` is a code of
        :meth:`cancel_reasons` when the channel has a list, else free text;
        ``remote_status`` sends this channel status instead of the one mapped
        from ``state`` (a manager picked a precise one); ``extra`` carries
        channel-specific fields (Rozetka's ``duplicate_order_id``).
        """

    def cancel_reasons(self) -> list[tuple[str, str]]:
        """(code, label) of the cancel reasons the channel accepts; [] = free text."""
        return []

    def get_order(self, external_id: str) -> RawOrder:
        """Fetch one order as the channel shows it now."""
        raise NotImplementedError(f"{type(self).__name__} cannot fetch a single order")

    @abc.abstractmethod
    def list_offers(self) -> Iterable[RemoteOffer]:
        """Yield every offer the channel shows for this account."""
