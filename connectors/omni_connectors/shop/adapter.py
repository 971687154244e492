"""Adapter of the seller's own shop (channel type ``shop``).

The shop talks to Odoo in two directions:

* pull: the shop reads offers and posts its orders through the JSON API that
  Odoo serves (``/omni/shop/<channel>/...``, see the OpenAPI file of
  ``omni_channel_base``). Nothing here takes part in that;
* push (optional): when the channel has a webhook URL, the push engine sends
  stock, price and order-status changes to it as signed webhooks
  (:mod:`.signing`), batched, retried and serialized per channel like every
  marketplace push. Without a URL the pushes are accepted at once: the shop
  reads the values through the API.

Webhook body (JSON, UTF-8)::

    {"event": "stock.updated", "channel": "<name>", "sent_at": <unix>,
     "items": [{"sku": "A-1", "quantity": 7}, ...]}
    {"event": "prices.updated", ..., "items": [{"sku": "A-1", "price": "640.00",
                                                "old_price": "700.00"}, ...]}
    {"event": "order.status", ..., "order": {"id": "1001", "status": "shipped",
                                             "ttn": "2045...", "carrier": "nova_poshta",
                                             "reason": "", "comment": ""}}

The shop answers 2xx. A JSON answer may list the SKUs it refused:
``{"rejected": {"A-1": "unknown SKU"}}``; every other item counts as applied.
Stock and prices are absolute values, so a webhook lost in a timeout is sent
again safely (the receiver may also dedupe on ``X-Omni-Delivery``).
"""

import json
import time
import uuid

from ..core.adapter import ChannelAdapter
from ..core.errors import OmniConnectorError, PayloadError, ValidationError
from ..core.models import ConnectionInfo, OrderState, PushResult, StatusResult
from ..core.money import quantize_uah
from ..core.transport import HttpTransport
from ..generic.adapter import _OrderParser
from . import signing

#: statuses Odoo tells the shop; NEW is the shop's own (it placed the order)
SENDABLE = (OrderState.CONFIRMED, OrderState.SHIPPED, OrderState.DELIVERED,
            OrderState.CANCELLED, OrderState.RETURNED)


class ShopAdapter(ChannelAdapter):
    """One own shop. ``webhook_url`` empty: pull mode, pushes are accepted locally."""

    can_fetch_orders = False  # the shop posts its orders to Odoo
    can_read_stock = False  # the shop reads Odoo's stock; it has none to compare

    def __init__(
        self,
        webhook_url,
        secret,
        *,
        channel="",
        batch_limit=500,
        on_call=None,
        timeout=(3, 10),
        max_retries=4,
        backoff_base=0.5,
        backoff_max=10.0,
        rate_limiter=None,
        max_inline_wait=None,
        retry_after_cap=300.0,
        sleep=time.sleep,
        clock=time.time,
    ):
        self.webhook_url = (webhook_url or "").strip()
        self.secret = secret or ""
        self.channel = channel
        self.batch_limit = batch_limit
        self.clock = clock
        if self.webhook_url and not self.secret:
            raise ValueError("a webhook URL needs a signing secret")
        self.transport = HttpTransport(
            self.webhook_url or "http://localhost/",
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rate_limiter=rate_limiter,
            secrets=(self.secret,),
            on_call=on_call,
            sleep=sleep,
            max_inline_wait=max_inline_wait,
            retry_after_cap=retry_after_cap,
        )

    @property
    def pushes(self):
        """Whether changes are sent to the shop (a webhook URL is set)."""
        return bool(self.webhook_url)

    # -- sending -----------------------------------------------------------

    def _envelope(self, event, **data):
        body = {"event": event, "channel": self.channel, "sent_at": int(self.clock())}
        body.update(data)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, event, body, *, idempotent=True):
        """POST one signed webhook (``body``: the exact bytes); return the parsed answer."""
        headers = signing.signed_headers(
            self.secret, body, event=event, delivery=uuid.uuid4().hex, now=self.clock()
        )
        headers["Content-Type"] = "application/json; charset=utf-8"
        resp = self.transport.request(
            "POST", self.webhook_url, data=body, headers=headers,
            idempotent=idempotent, expect_json=False,
        )
        text = (resp.text or "").strip()
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}  # a receiver answering "OK" accepted everything
        return data if isinstance(data, dict) else {}

    def _push(self, event, items):
        if not items:
            return PushResult()
        keys = [item["sku"] for item in items]
        if not self.pushes:
            return PushResult(accepted=keys)
        answer = self.send(event, self._envelope(event, items=items))
        rejected = answer.get("rejected") or {}
        if not isinstance(rejected, dict):
            raise PayloadError(f"{event}: 'rejected' must be an object")
        rejected = {str(k): str(v) for k, v in rejected.items()}
        return PushResult(
            accepted=[key for key in keys if key not in rejected], rejected=rejected
        )

    # -- contract ------------------------------------------------------------

    def test_connection(self):
        if not self.pushes:
            return ConnectionInfo(
                ok=True, message="pull mode: the shop reads offers through the API"
            )
        try:
            self.send("ping", self._envelope("ping"))
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))
        return ConnectionInfo(ok=True, message="the shop accepted a signed ping",
                              account=self.webhook_url)

    def push_stock(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            quantity = update.quantity
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise ValueError(f"{update.key}: quantity {quantity!r} is not an integer")
            items.append({"sku": update.key, "quantity": quantity})
        return self._push("stock.updated", items)

    def push_prices(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            item = {"sku": update.key, "price": str(quantize_uah(update.price))}
            if update.old_price is not None:
                item["old_price"] = str(quantize_uah(update.old_price))
            elif update.clear_old_price:
                item["old_price"] = None
            items.append(item)
        return self._push("prices.updated", items)

    def parse_order(self, raw):
        """Map an order the shop posted (the OpenAPI ``Order`` schema)."""
        payload = raw.payload
        if payload is None and raw.body:
            try:
                payload = json.loads(raw.body)
            except (ValueError, RecursionError):
                payload = None
        if not isinstance(payload, dict):
            snippet = (raw.body or "")[:120]
            raise PayloadError(
                f"order {raw.external_id or '?'}: the body is not a JSON object: {snippet!r}"
            )
        return _OrderParser(payload).parse()

    def set_order_status(self, external_id, state, *, ttn="", carrier="", cancel_reason="",
                         comment="", remote_status=None, extra=None):
        state = OrderState(state)
        if state not in SENDABLE:
            raise ValidationError(
                f"order {external_id}: the status {state.value} is the shop's own, "
                "Odoo does not send it"
            )
        if state is OrderState.SHIPPED and not ttn:
            raise ValidationError(f"order {external_id}: shipped without a waybill number")
        status = remote_status or state.value
        if not self.pushes:
            return StatusResult(remote_status=status)
        order = {"id": str(external_id), "status": status, "ttn": ttn or "",
                 "carrier": carrier or "", "reason": cancel_reason or "",
                 "comment": comment or ""}
        order.update(extra or {})
        self.send("order.status", self._envelope("order.status", order=order))
        return StatusResult(remote_status=status)

    def cancel_reasons(self):
        return []  # free text: the shop shows it to the buyer as written

    def list_offers(self):
        return iter(())  # the shop holds no offers of its own: it shows Odoo's
