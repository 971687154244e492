"""Client of the generic test channel (``omni_sandbox.generic``).

The channel is a minimal marketplace API used to exercise the sync engine
end to end; its wire format is documented in the simulator's module. The
adapter is also the reference implementation of :class:`ChannelAdapter`.
"""

import json
import time
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

from ..core.adapter import ChannelAdapter
from ..core.errors import OmniConnectorError, PayloadError
from ..core.models import (
    ConnectionInfo,
    Customer,
    DeliveryInfo,
    Order,
    OrderBatch,
    OrderLine,
    OrderState,
    PaymentInfo,
    PushResult,
    RawOrder,
    RemoteOffer,
    StatusResult,
)
from ..core.money import quantize_uah, to_decimal
from ..core.ratelimit import limiter_for
from ..core.transport import HttpTransport

ORDERS_PAGE = 50
OFFERS_PAGE = 100
STATES = {state.value: state for state in OrderState}


class GenericAdapter(ChannelAdapter):
    """Adapter for one account of the generic channel (auth: ``X-Api-Key``).

    An empty key is sent as is: the channel answers 401, which
    :meth:`test_connection` reports and the other methods raise as AuthError.

    ``rate_limiter`` (anything with ``acquire()``, e.g. a
    :class:`~omni_connectors.core.ratelimit.SharedRateLimiter` whose budget
    every process shares) paces the requests; without one, ``rate_limit``
    requests per second are paced in this process only
    (:func:`~omni_connectors.core.ratelimit.limiter_for`).
    ``max_inline_wait`` and ``retry_after_cap`` go to the transport: a wait
    before a retry longer than ``max_inline_wait`` is raised to the caller
    with ``retry_after`` instead of being slept.
    """

    def __init__(
        self,
        base_url,
        api_key,
        *,
        batch_limit=100,
        rate_limit=0.0,
        on_call=None,
        timeout=(3, 10),
        max_retries=4,
        backoff_base=0.2,
        backoff_max=5.0,
        sleep=time.sleep,
        rate_limiter=None,
        max_inline_wait=None,
        retry_after_cap=300.0,
    ):
        self.batch_limit = batch_limit
        self.rate_limit = rate_limit
        if rate_limiter is not None:
            limiter = rate_limiter
        elif rate_limit:
            limiter = limiter_for(f"generic:{base_url}", rate_limit)
        else:
            limiter = None
        self.transport = HttpTransport(
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rate_limiter=limiter,
            secrets=(api_key,),
            default_headers={"X-Api-Key": api_key},
            on_call=on_call,
            sleep=sleep,
            max_inline_wait=max_inline_wait,
            retry_after_cap=retry_after_cap,
        )

    # -- contract ----------------------------------------------------------

    def test_connection(self):
        try:
            resp = self.transport.request("GET", "/api/ping")
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))
        data = resp.data if isinstance(resp.data, dict) else {}
        shop = str(data.get("shop") or "")
        if not data.get("ok"):
            return ConnectionInfo(ok=False, message="unexpected answer to ping")
        return ConnectionInfo(ok=True, message=f"connected to {shop}", account=shop)

    def push_stock(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            quantity = update.quantity
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise ValueError(
                    f"{update.key}: quantity {quantity!r} is not an integer"
                )
            items.append({"sku": update.key, "quantity": quantity})
        return self._push("/api/stock", items)

    def push_prices(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            item = {"sku": update.key, "price": str(quantize_uah(update.price))}
            if update.old_price is not None:
                item["old_price"] = str(quantize_uah(update.old_price))
            items.append(item)
        return self._push("/api/prices", items)

    def _push(self, path, items):
        if not items:
            return PushResult()
        # Absolute quantities and prices: sending the same batch twice leaves
        # the channel as once, so a POST lost in a timeout may be repeated.
        data = self.transport.request(
            "POST", path, json={"items": items}, idempotent=True
        ).data
        if not isinstance(data, dict):
            raise PayloadError(f"{path}: expected an object, got {type(data).__name__}")
        updated = data.get("updated") or []
        errors = data.get("errors") or {}
        unchanged = data.get("unchanged") or []
        held = data.get("held") or {}
        if not (isinstance(updated, list) and isinstance(unchanged, list)
                and isinstance(errors, dict) and isinstance(held, dict)):
            raise PayloadError(
                f"{path}: 'updated' and 'unchanged' must be lists, 'errors' and 'held' objects"
            )
        return PushResult(
            accepted=[str(key) for key in updated],
            rejected={str(key): str(reason) for key, reason in errors.items()},
            unchanged=[str(key) for key in unchanged],
            pending={str(key): str(reason) for key, reason in held.items()},
        )

    def fetch_orders(self, cursor):
        params = {"limit": ORDERS_PAGE}
        if cursor:
            params["since"] = cursor
        resp = self.transport.request(
            "GET", "/api/orders", params=params, expect_json=False
        )
        try:
            # strict=False: a raw control character inside a string (a NUL in a
            # name) still reads, so that one order is put aside, not the page
            page = json.loads(resp.text, strict=False)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            page = None
        if not isinstance(page, dict) or not isinstance(page.get("orders"), list):
            # Keep the page as one raw entry so that nothing is dropped; the
            # cursor stays where it was and the next poll asks again.
            return OrderBatch(orders=[RawOrder("", None, body=resp.text)], cursor=None)
        orders = [self._raw(entry) for entry in page["orders"]]
        next_cursor = page.get("cursor")
        return OrderBatch(
            orders=orders,
            cursor=str(next_cursor) if next_cursor not in (None, "") else None,
            has_more=bool(page.get("has_more")),
        )

    @staticmethod
    def _raw(entry):
        if not isinstance(entry, dict):
            body = (
                entry
                if isinstance(entry, str)
                else json.dumps(entry, ensure_ascii=False)
            )
            return RawOrder("", None, body=body)
        marker = entry.get("seq", entry.get("updated_at", ""))
        return RawOrder(
            external_id=str(entry.get("id") or ""),
            payload=entry,
            updated_marker=str(marker if marker is not None else ""),
        )

    def parse_order(self, raw):
        payload = self._payload_object(raw, "order")
        return _OrderParser(payload).parse()

    def set_order_status(
        self,
        external_id,
        state,
        *,
        ttn="",
        carrier="",
        cancel_reason="",
        comment="",
        remote_status=None,
        extra=None,
    ):
        status = remote_status or OrderState(state).value
        body = {"status": status, "ttn": ttn or "", "reason": cancel_reason or ""}
        if carrier:
            body["carrier"] = carrier
        if comment:
            body["comment"] = comment
        body.update(extra or {})
        path = f"/api/orders/{quote(str(external_id), safe='')}/status"
        # The channel accepts the current status again and changes nothing,
        # so a status call lost in a timeout may be repeated.
        data = self.transport.request("POST", path, json=body, idempotent=True).data
        if not isinstance(data, dict) or data.get("ok") is not True:
            raise PayloadError(f"order {external_id}: unexpected answer {data!r}")
        return StatusResult(remote_status=str(data.get("status") or status))

    def list_offers(self):
        page = 1
        while page:
            resp = self.transport.request(
                "GET", "/api/offers", params={"page": page, "per_page": OFFERS_PAGE}
            )
            data = resp.data
            if not isinstance(data, dict) or not isinstance(data.get("offers"), list):
                raise PayloadError(f"offers page {page}: expected {{'offers': [...]}}")
            for entry in data["offers"]:
                yield _offer(entry, page)
            next_page = data.get("next_page")
            if next_page is not None and (
                not isinstance(next_page, int) or next_page <= page
            ):
                raise PayloadError(f"offers page {page}: bad next_page {next_page!r}")
            page = next_page


def _offer(entry, page):
    if not isinstance(entry, dict) or not entry.get("sku"):
        raise PayloadError(f"offers page {page}: an offer has no sku")
    sku = str(entry["sku"])
    quantity = entry.get("quantity")
    if quantity is not None and (
        isinstance(quantity, bool) or not isinstance(quantity, int)
    ):
        raise PayloadError(f"offer {sku}: bad quantity {quantity!r}")
    price = entry.get("price")
    return RemoteOffer(
        key=sku,
        sku=sku,
        name=str(entry.get("name") or ""),
        quantity=quantity,
        price=to_decimal(price) if price not in (None, "") else None,
        active=bool(entry.get("active", True)),
    )


class _OrderParser:
    """Maps one order object; every error names the order and the field."""

    def __init__(self, payload):
        self.payload = payload
        self.ref = str(payload.get("id") or "?")

    def fail(self, message):
        raise PayloadError(f"order {self.ref}: {message}", details=self.payload)

    def section(self, name):
        value = self.payload.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"'{name}' is not an object")
        return value

    def text(self, data, key):
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(f"'{key}' is not text")
        return str(value).strip()

    def amount(self, value, what):
        try:
            return to_decimal(value)
        except PayloadError:
            self.fail(f"{what} {value!r} is not an amount")

    def moment(self, key):
        value = self.payload.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            self.fail(f"'{key}' is not a date")
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"'{key}' {value!r} is not an ISO date")

    def parse(self):
        payload = self.payload
        if not payload.get("id"):
            raise PayloadError("order payload has no id", details=payload)
        status = payload.get("status")
        if status not in STATES:
            self.fail(f"unknown status {status!r}")
        customer = self.section("customer")
        delivery = self.section("delivery")
        payment = self.section("payment")
        lines = payload.get("lines")
        if not isinstance(lines, list) or not lines:
            self.fail("has no lines")
        total = payload.get("total")
        total = self.amount(total, "total") if total not in (None, "") else None
        method = self.text(payment, "method")
        return Order(
            external_id=str(payload["id"]),
            state=STATES[status],
            remote_status=status,
            lines=[self.line(index, line) for index, line in enumerate(lines, 1)],
            customer=Customer(
                name=self.text(customer, "name"),
                phone=self.text(customer, "phone"),
                email=self.text(customer, "email"),
                external_id=self.text(customer, "id"),
            ),
            created_at=self.moment("created_at"),
            updated_at=self.moment("updated_at"),
            delivery=DeliveryInfo(
                service=self.text(delivery, "service"),
                method=self.text(delivery, "method"),
                recipient_name=self.text(delivery, "recipient_name"),
                recipient_phone=self.text(delivery, "recipient_phone"),
                city_name=self.text(delivery, "city"),
                city_ref=self.text(delivery, "city_ref"),
                warehouse_ref=self.text(delivery, "warehouse_ref"),
                warehouse_name=self.text(delivery, "warehouse"),
                address=self.text(delivery, "address"),
                ttn=self.text(payload, "ttn"),
            ),
            payment=PaymentInfo(
                method=method,
                method_name={"cod": "Cash on delivery", "card": "Card"}.get(
                    method, method
                ),
                is_paid=payment.get("paid") is True,
                cash_on_delivery=method == "cod",
                amount=total,
            ),
            total=total,
            comment=self.text(payload, "comment"),
            cancel_reason=self.text(payload, "cancel_reason"),
        )

    def line(self, index, line):
        if not isinstance(line, dict):
            self.fail(f"line {index} is not an object")
        sku = self.text(line, "sku")
        if not sku:
            self.fail(f"line {index} has no sku")
        quantity = line.get("quantity")
        if quantity in (None, ""):
            self.fail(f"line {index} ({sku}) has no quantity")
        quantity = self.amount(quantity, f"line {index} ({sku}) quantity")
        if quantity <= 0:
            self.fail(f"line {index} ({sku}) has quantity {quantity}")
        price = line.get("price")
        if price in (None, ""):
            self.fail(f"line {index} ({sku}) has no price")
        price = self.amount(price, f"line {index} ({sku}) price")
        if price < 0:
            self.fail(f"line {index} ({sku}) has a negative price")
        return OrderLine(
            sku=sku,
            name=self.text(line, "name") or sku,
            quantity=Decimal(quantity),
            unit_price=price,
        )
