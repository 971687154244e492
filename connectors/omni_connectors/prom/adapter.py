"""Client of the Prom.ua seller API v1 (fact sheet: docs/apis/prom.md).

Every call goes through one :class:`HttpTransport` with ``Authorization:
Bearer <token>`` and ``X-LANGUAGE``; HTTP-200 error envelopes become typed
errors (:mod:`.errors`). What the fact sheet marks unsure is a constructor
argument: the statuses ``set_status`` accepts, the batch and page limits,
the time zone of date filters, the neutral state of each custom status.

Order polling (Prom has no webhooks). The cursor is a small JSON text:
``since`` (a local date-time of ``filter_tz`` without fraction and zone,
the only format the filter reads; with a fraction or a zone Prom answers an
empty list), ``seen`` (the ``date_modified`` of the orders already fetched
at that second, since the filter is inclusive and has no fraction) and,
while paging, ``last_id`` and ``next`` (the ``since`` to use once the pages
are done). :meth:`PromAdapter.orders_changed` asks for the few orders
modified since ``since``: when they are exactly the ``seen`` ones, nothing
changed and no full fetch is made. ``overlap_seconds`` looks back further each
time (the filter's time zone is not documented: 10800 covers UTC against
Kyiv), the check staying cheap while fewer than 100 orders changed in it.
"""

import json
import math
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ..core.adapter import ChannelAdapter
from ..core.errors import NotFoundError, OmniConnectorError, PayloadError, ValidationError
from ..core.models import (
    ConnectionInfo,
    OrderBatch,
    OrderState,
    PushResult,
    RawOrder,
    RemoteOffer,
    StatusResult,
)
from ..core.money import to_decimal
from ..core.ratelimit import limiter_for
from ..core.transport import HttpTransport
from .errors import prom_check
from .mapping import parse_order

BASE_URL = "https://my.prom.ua/api/v1"
#: statuses POST /orders/set_status accepts (two live reports; [S]/[I])
SETTABLE_STATUSES = ("received", "delivered", "paid", "canceled")
#: neutral state -> Prom status sent; SHIPPED has none by default (the TTN is
#: what Prom shows), a seller may map it to one of their custom statuses
STATUS_MAP = {
    OrderState.CONFIRMED: "received",
    OrderState.SHIPPED: "",
    OrderState.DELIVERED: "delivered",
    OrderState.CANCELLED: "canceled",
}
#: cancellation_reason codes [C], and those that take a cancellation_text
CANCEL_REASONS = (
    ("not_available", "Not available"),
    ("price_changed", "Price changed"),
    ("buyers_request", "At the buyer's request"),
    ("not_enough_fields", "Not enough details"),
    ("duplicate", "Duplicate order"),
    ("invalid_phone_number", "Invalid phone number"),
    ("less_than_minimal_price", "Below the minimum order amount"),
    ("another", "Another reason"),
)
CANCEL_TEXT_REASONS = ("price_changed", "not_enough_fields", "another")
#: transitions refused before asking Prom (from -> forbidden targets)
FORBIDDEN = {
    "canceled": {"received", "delivered", "paid", "custom"},
    "delivered": {"received", "canceled", "custom"},
}
#: statuses of an order not yet accepted by the seller
NEW_STATUSES = ("pending", "draft", "")
#: delivery_type codes save_declaration_id takes [S]
DECLARATION_TYPES = ("nova_poshta", "ukrposhta", "meest", "justin")
FILTER_FORMAT = "%Y-%m-%dT%H:%M:%S"
#: the largest ``limit`` Prom's lists are known to take [S]
LIST_LIMIT = 100
#: most missing ids verified with a GET per batch before calling them failed
VERIFY_MISSING = 20


def filter_date(moment, tz="Europe/Kyiv"):
    """A moment as Prom's date filters read it: local time, no fraction, no zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(tz)).strftime(FILTER_FORMAT)


def _json_number(amount):
    """A Decimal as a JSON number with at most two places (exact in its text form)."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


class PromAdapter(ChannelAdapter):
    """One Prom.ua seller account."""

    batch_limit = 100
    price_digits = 2

    def __init__(
        self,
        token,
        *,
        base_url=BASE_URL,
        language="uk",
        batch_limit=100,
        page_size=100,
        import_days=3,
        filter_tz="Europe/Kyiv",
        settable_statuses=SETTABLE_STATUSES,
        status_map=None,
        custom_states=None,
        cancel_labels=None,
        default_delivery_type="nova_poshta",
        max_pages=20,
        overlap_seconds=0,
        rate_limit=0.0,
        rate_limiter=None,
        on_call=None,
        timeout=(5, 30),
        max_retries=4,
        backoff_base=0.5,
        backoff_max=30.0,
        sleep=time.sleep,
        max_inline_wait=None,
        retry_after_cap=300.0,
        now=None,
    ):
        if int(batch_limit) < 1 or int(page_size) < 1:
            raise ValueError("batch_limit and page_size must be positive")
        self.batch_limit = int(batch_limit)
        self.page_size = int(page_size)
        self.import_days = max(0, int(import_days))
        self.filter_tz = filter_tz
        ZoneInfo(filter_tz)  # refuse an unknown zone at once
        self.settable_statuses = tuple(settable_statuses)
        self.status_map = dict(STATUS_MAP, **(status_map or {}))
        self.custom_states = dict(custom_states or {})
        self.cancel_labels = dict(cancel_labels or {})
        self.default_delivery_type = default_delivery_type
        self.max_pages = max(1, int(max_pages))
        self.overlap_seconds = max(0, int(overlap_seconds))
        self.rate_limit = rate_limit
        self._now = now or (lambda: datetime.now(timezone.utc))
        if rate_limiter is None and rate_limit:
            rate_limiter = limiter_for(f"prom:{base_url}:{token[-6:]}", rate_limit)
        self.transport = HttpTransport(
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rate_limiter=rate_limiter,
            secrets=(token,),
            default_headers={
                "Authorization": f"Bearer {token}",
                "X-LANGUAGE": language or "uk",
            },
            on_call=on_call,
            sleep=sleep,
            check=prom_check,
            max_inline_wait=max_inline_wait,
            retry_after_cap=retry_after_cap,
        )

    # ------------------------------------------------------------ helpers
    def _get(self, path, params=None):
        return self.transport.request("GET", path, params=params)

    def _obj(self, response, key, path):
        data = response.data
        if not isinstance(data, dict) or key not in data:
            raise PayloadError(f"{path}: expected {{'{key}': ...}}", details=data)
        return data[key]

    # ------------------------------------------------------------ contract
    def test_connection(self):
        try:
            resp = self._get("/products/list", {"limit": 1})
            self._obj(resp, "products", "/products/list")
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))
        return ConnectionInfo(ok=True, message="Prom.ua API token works", account="Prom.ua")

    # -- orders in -----------------------------------------------------------
    def _cursor(self, cursor):
        if cursor:
            try:
                data = json.loads(cursor)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("since"), str):
                data.setdefault("seen", {})
                return data
        start = self._now() - timedelta(days=self.import_days)
        return {"since": filter_date(start, self.filter_tz), "seen": {}}

    def _list(self, since, limit, last_id=None):
        params = {"last_modified_from": since, "limit": limit}
        if last_id is not None:
            params["last_id"] = last_id
        resp = self._get("/orders/list", params)
        orders = self._obj(resp, "orders", "/orders/list")
        if not isinstance(orders, list):
            raise PayloadError("/orders/list: 'orders' is not a list", details=resp.data)
        return resp, orders

    def orders_changed(self, cursor):
        state = self._cursor(cursor)
        if not cursor or state.get("last_id") is not None:
            return None  # first import, or pages still to fetch
        seen = state["seen"]
        if len(seen) >= LIST_LIMIT:
            return None  # a burst in one second: fetch rather than guess
        _resp, orders = self._list(state["since"], len(seen) + 1)
        for entry in orders:
            if not isinstance(entry, dict):
                return True
            if seen.get(str(entry.get("id"))) != entry.get("date_modified"):
                return True
        return False

    def _server_now(self, resp):
        try:
            moment = parsedate_to_datetime(resp.headers.get("date", ""))
        except (TypeError, ValueError):
            moment = None
        return moment or self._now()

    def _since_after(self, next_since, newest, since):
        """The next ``since``: the last change seen (or the first page's time), looked
        back ``overlap_seconds``, never before the current one."""
        candidate = min(next_since, newest) if newest else next_since
        if self.overlap_seconds:
            moment = datetime.strptime(candidate, FILTER_FORMAT) - timedelta(
                seconds=self.overlap_seconds)
            candidate = moment.strftime(FILTER_FORMAT)
        return max(candidate, since)

    def _local(self, stamp):
        """``date_modified`` of an order as the filter reads it, or None."""
        try:
            moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            return None
        return filter_date(moment, self.filter_tz)

    def fetch_orders(self, cursor):
        state = self._cursor(cursor)
        since, last_id = state["since"], state.get("last_id")
        next_since = state.get("next")
        newest = state.get("newest")
        # date_modified of the orders fetched that may sit at the final second
        tail = dict(state.get("tail") or {})
        raws, has_more = [], False
        for _page in range(self.max_pages):
            resp, orders = self._list(since, self.page_size, last_id)
            if next_since is None:
                # orders changed after this first page come again next time
                next_since = filter_date(self._server_now(resp) - timedelta(seconds=1),
                                         self.filter_tz)
            ids = []
            for entry in orders:
                if last_id is not None and isinstance(entry, dict) \
                        and isinstance(entry.get("id"), int) and entry["id"] >= last_id:
                    continue  # last_id came back (inclusive cursor): already taken
                raw = self._raw(entry)
                raws.append(raw)
                if isinstance(entry, dict):
                    local = self._local(entry.get("date_modified"))
                    if local and (newest is None or local > newest):
                        newest = local
                    if local:
                        tail[raw.external_id] = raw.updated_marker
                    if isinstance(entry.get("id"), int):
                        ids.append(entry["id"])
            bound = self._since_after(next_since, newest, since)
            tail = {key: marker for key, marker in tail.items()
                    if (self._local(marker) or "") >= bound}
            if len(orders) < self.page_size or not ids:
                last_id = None
                break
            # whether last_id includes itself is unknown [I]: ask from the lowest
            # id taken and skip it if it comes back
            last_id = min(ids)
        else:
            has_more = True
        if has_more:
            new_state = {"since": since, "seen": state["seen"], "last_id": last_id,
                         "next": next_since, "newest": newest, "tail": tail}
        else:
            final = self._since_after(next_since, newest, since)
            seen = dict(state["seen"], **tail) if final == since else tail
            new_state = {"since": final, "seen": seen}
        return OrderBatch(orders=raws, cursor=json.dumps(new_state, sort_keys=True),
                          has_more=has_more)

    @staticmethod
    def _raw(entry):
        if not isinstance(entry, dict):
            body = entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False)
            return RawOrder("", None, body=body)
        marker = entry.get("date_modified")
        return RawOrder(
            external_id=str(entry.get("id") or ""),
            payload=entry,
            updated_marker=str(marker) if marker not in (None, "") else "",
        )

    def get_order(self, external_id):
        path = f"/orders/{quote(str(external_id), safe='')}"
        order = self._obj(self._get(path), "order", path)
        if not isinstance(order, dict):
            raise PayloadError(f"{path}: 'order' is not an object")
        return self._raw(order)

    def parse_order(self, raw):
        payload = self._payload_object(raw, "Prom order")
        return parse_order(payload, self.custom_states)

    # -- statuses out ---------------------------------------------------------
    def cancel_reasons(self):
        return [(code, self.cancel_labels.get(code, label)) for code, label in CANCEL_REASONS]

    def _settable(self, status):
        return status in self.settable_statuses or status.startswith("custom-")

    def set_order_status(self, external_id, state, *, ttn="", carrier="", cancel_reason="",
                         comment="", remote_status=None, extra=None):
        state = OrderState(state)
        try:
            order_id = int(str(external_id).strip())
        except ValueError:
            raise ValidationError(f"{external_id!r} is not a Prom order number") from None
        status = remote_status or self.status_map.get(state)
        if status is None:
            raise ValidationError(f"Prom has no order status for {state.value}")
        if status and not self._settable(status):
            raise ValidationError(f"Prom does not accept the status {status!r} from a seller")
        current = self.get_order(order_id).payload
        current_status = str(current.get("status") or "")
        warnings = []
        if state == OrderState.SHIPPED and ttn:
            self._check_transition(order_id, current_status, status or "shipped")
            data = current.get("delivery_provider_data") or {}
            if str(data.get("declaration_number") or "") != str(ttn):
                self.save_declaration(order_id, ttn, carrier or data.get("provider"))
        if not status:
            return StatusResult(remote_status=current_status, warnings=warnings)
        if state == OrderState.CONFIRMED and not remote_status \
                and current_status not in NEW_STATUSES:
            # accepted already, paid, or moved on by the seller in Prom's cabinet
            # (one of their own statuses): accepting again would move it back
            return StatusResult(remote_status=current_status, warnings=warnings)
        self._check_transition(order_id, current_status, status)
        if current_status == status:
            return StatusResult(remote_status=status, warnings=warnings)
        body = {"ids": [order_id], "status": status}
        if status == "canceled":
            reason = cancel_reason if cancel_reason in dict(CANCEL_REASONS) else "another"
            body["cancellation_reason"] = reason
            text = (comment or ("" if cancel_reason == reason else cancel_reason)).strip()
            if reason in CANCEL_TEXT_REASONS:
                body["cancellation_text"] = text or reason
        # the same status again is answered with no effect, so a lost answer may be repeated
        data = self.transport.request("POST", "/orders/set_status", json=body,
                                      idempotent=True).data
        if not isinstance(data, dict):
            raise PayloadError("/orders/set_status: expected an object", details=data)
        if data.get("warning_message"):
            warnings.append(str(data["warning_message"]))
        errors = data.get("errors") if isinstance(data.get("errors"), dict) else {}
        if str(order_id) in errors or order_id in errors:
            text = errors.get(str(order_id), errors.get(order_id))
            raise ValidationError(f"Prom refused status {status!r} for order {order_id}: {text}",
                                  details=data)
        processed = [str(i) for i in data.get("processed_ids") or []]
        if str(order_id) not in processed:
            # an empty processed_ids without error: applied already, or silently not
            now_status = str(self.get_order(order_id).payload.get("status") or "")
            if now_status != status:
                raise ValidationError(
                    f"Prom did not apply status {status!r} to order {order_id} "
                    f"(it is {now_status!r}) and gave no reason", details=data)
        return StatusResult(remote_status=status, warnings=warnings)

    def _check_transition(self, order_id, current, target):
        kind = "custom" if target.startswith("custom-") else target
        if current == target:
            return
        if kind in FORBIDDEN.get(current, ()) or (current == "canceled" and target == "shipped"):
            raise ValidationError(
                f"Prom order {order_id} is {current!r}: it cannot become {target!r}"
            )

    def save_declaration(self, order_id, ttn, delivery_type=None):
        """Attach a waybill number (TTN) to an order (``delivery/save_declaration_id``)."""
        delivery_type = delivery_type or self.default_delivery_type
        if delivery_type not in DECLARATION_TYPES:
            delivery_type = self.default_delivery_type
        body = {"order_id": int(order_id), "declaration_id": str(ttn),
                "delivery_type": delivery_type}
        data = self.transport.request("POST", "/delivery/save_declaration_id", json=body,
                                      idempotent=True).data
        if not isinstance(data, dict) or data.get("status") != "success":
            raise PayloadError("/delivery/save_declaration_id: unexpected answer", details=data)
        return True

    # -- stock and prices out ----------------------------------------------------
    def push_stock(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            qty = update.quantity
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
                raise ValueError(f"{update.key}: quantity {qty!r} is not a count")
            # Prom reads quantity_in_stock; a field named quantity is ignored [S]
            items.append({"id": str(update.key), "quantity_in_stock": qty,
                          "presence": "available" if qty > 0 else "not_available"})
        return self._edit(items, "quantity_in_stock")

    def push_prices(self, updates):
        self._check_batch(updates)
        items = [{"id": str(update.key), "price": _json_number(update.price)}
                 for update in updates]
        return self._edit(items, "price")

    def _edit(self, items, field_name, path="/products/edit_by_external_id"):
        if not items:
            return PushResult()
        # a bare JSON array; absolute values, so a lost answer may be repeated
        data = self.transport.request("POST", path, json=items, idempotent=True).data
        if not isinstance(data, dict):
            raise PayloadError(f"{path}: expected an object", details=data)
        processed = data.get("processed_ids") or []
        errors = data.get("errors") or {}
        if not isinstance(processed, list) or not isinstance(errors, dict):
            raise PayloadError(f"{path}: bad processed_ids or errors", details=data)
        processed = {str(key) for key in processed}
        result = PushResult()
        missing = []
        for item in items:
            key = str(item["id"])
            if key in errors:
                result.rejected[key] = _error_text(errors[key])
            elif key in processed:
                result.accepted.append(key)
            else:
                missing.append(item)
        for index, item in enumerate(missing):
            key = str(item["id"])
            if index < VERIFY_MISSING and path.endswith("by_external_id") \
                    and self._shows(key, field_name, item[field_name]):
                result.unchanged.append(key)  # a no-op change: Prom leaves it out
            else:
                result.rejected[key] = ("Prom did not confirm this change "
                                        "(missing from processed_ids, no error given)")
        return result

    def _shows(self, external_id, field_name, value):
        try:
            product = self.product_by_external_id(external_id)
        except NotFoundError:
            return False
        current = product.get(field_name)
        if field_name == "price":
            try:
                return to_decimal(current) == Decimal(str(value))
            except OmniConnectorError:
                return False
        return current == value

    def product_by_external_id(self, external_id):
        path = f"/products/by_external_id/{quote(str(external_id), safe='')}"
        product = self._obj(self._get(path), "product", path)
        if not isinstance(product, dict):
            raise PayloadError(f"{path}: 'product' is not an object")
        return product

    def set_external_ids(self, pairs):
        """Give Prom products (by Prom id) the seller's external ids: [(prom id, external id)].

        Returns a PushResult keyed by Prom id; more than ``batch_limit`` pairs
        go in several calls.
        """
        result = PushResult()
        pairs = list(pairs)
        for start in range(0, len(pairs), self.batch_limit):
            items = [{"id": int(prom_id), "external_id": str(ext)}
                     for prom_id, ext in pairs[start:start + self.batch_limit]]
            part = self._edit(items, "external_id", path="/products/edit")
            result.accepted += part.accepted
            result.rejected.update(part.rejected)
        return result

    def requests_for(self, count):
        """How many edit calls ``count`` updates take."""
        return math.ceil(count / self.batch_limit)

    # -- catalogue ---------------------------------------------------------------
    def list_products(self):
        """Yield every product of the account as Prom sends it (id cursor, newest first)."""
        last_id = None
        for _page in range(100_000):
            params = {"limit": self.page_size}
            if last_id is not None:
                params["last_id"] = last_id
            products = self._obj(self._get("/products/list", params), "products",
                                 "/products/list")
            if not isinstance(products, list):
                raise PayloadError("/products/list: 'products' is not a list")
            ids = []
            for entry in products:
                prom_id = entry.get("id") if isinstance(entry, dict) else None
                if isinstance(prom_id, bool) or not isinstance(prom_id, int):
                    raise PayloadError(f"/products/list: a product without id: {entry!r:.120}")
                if last_id is not None and prom_id >= last_id:
                    continue  # the cursor row again
                ids.append(prom_id)
                yield entry
            if len(products) < self.page_size or not ids:
                return
            last_id = min(ids)

    def list_offers(self):
        for entry in self.list_products():
            yield _offer(entry)

def _error_text(detail):
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_error_text(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_error_text(value) for value in detail)
    return json.dumps(detail, ensure_ascii=False)


def _offer(entry):
    if not isinstance(entry, dict):
        raise PayloadError("/products/list: a product is not an object", details=entry)
    prom_id = entry.get("id")
    if isinstance(prom_id, bool) or not isinstance(prom_id, int):
        raise PayloadError(f"/products/list: bad product id {prom_id!r}", details=entry)
    external_id = str(entry.get("external_id") or "").strip()
    sku = str(entry.get("sku") or "").strip()
    gtin = str(entry.get("gtin") or entry.get("barcode") or "").strip()
    quantity = entry.get("quantity_in_stock")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        quantity = None
    price = entry.get("price")
    try:
        price = to_decimal(price) if price not in (None, "") else None
    except PayloadError:
        price = None
    names = entry.get("name_multilang") if isinstance(entry.get("name_multilang"), dict) else {}
    return RemoteOffer(
        key=str(prom_id),
        sku=external_id or sku,
        name=str(names.get("uk") or entry.get("name") or ""),
        quantity=quantity,
        price=price,
        active=entry.get("status") in (None, "on_display"),
        alt_keys=tuple(dict.fromkeys(k for k in (external_id, sku, gtin) if k)),
    )
