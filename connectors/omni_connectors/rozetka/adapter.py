"""Client of the Rozetka Seller API (``api-seller.rozetka.com.ua``).

Orders in (polled: Rozetka has no webhooks), stock and prices out through
``PUT /items/mass-update``, statuses and TTN back through ``PUT
/orders/{id}``. Wire facts and their certainty are in the fact sheet
(``docs/apis/rozetka.md``); values that are only inferred live in
:mod:`.statuses` and in constructor arguments, not in code paths.

Polling, cheaply. :meth:`RozetkaAdapter.orders_changed` sends one request: a
one-row search for the most recently changed order. When it is the one the
last fetch saw, nothing changed (a new order or any change makes its own
``changed`` stamp the newest). Two changes within the same second could hide
one another, so a full fetch is forced at least every
``full_check_every`` seconds. :meth:`RozetkaAdapter.fetch_orders` reads the
orders changed since the last stamp minus ``overlap`` seconds, newest
first, and stops at the first page older than that: Rozetka's date filters
are coarse (a day), so the window overlaps and orders already seen with the
same ``changed`` stamp are dropped (de-duplicated by id and stamp). The
cursor is a small JSON object the caller stores.
"""

import base64
import json
import time
import zlib
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..core.adapter import ChannelAdapter
from ..core.auth import TokenAuth
from ..core.errors import OmniConnectorError
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
from ..core.transport import HttpTransport
from . import errors as rz_errors
from . import statuses
from .mapping import STAMP_FORMAT, TIMEZONE, parse_order

DEFAULT_URL = "https://api-seller.rozetka.com.ua"
#: sub-objects an imported order needs (fact sheet 2.1)
ORDER_EXPAND = "delivery,purchases,payment,user,status_data"
#: reason ids of mass-update errors that mean "held for the manager's
#: confirmation" (the x1.5 / /2 price guard) [I: the documented example is id 2]
HELD_REASON_IDS = frozenset({2})
#: [I] Rozetka caps search pages at 100 rows
MAX_PAGE_SIZE = 100


class RozetkaLogin(TokenAuth):
    """``POST /sites`` with the base64-encoded password; renewed when the session dies."""

    def __init__(self, username, password, **kw):
        super().__init__(**kw)
        self.username = username or ""
        self.password = password or ""
        self.last_login = None  # the login's content: manager, seller and market

    def login(self, transport):
        if not (self.username and self.password):
            raise rz_errors.RozetkaAuthError("the Rozetka login or password is not set")
        encoded = base64.b64encode(self.password.encode("utf-8")).decode("ascii")
        transport.add_secret(encoded)
        try:
            resp = transport.request(
                "POST", "/sites", json={"username": self.username, "password": encoded},
                auth=False, idempotent=True,
            )
        except OmniConnectorError as err:
            raise rz_errors.retype(err) from None
        content = resp.data.get("content") if isinstance(resp.data, dict) else None
        token = content.get("access_token") if isinstance(content, dict) else None
        if not isinstance(token, str) or not token:
            raise rz_errors.RozetkaAuthError("the Rozetka login answered no access_token")
        self.last_login = content
        return token

    def is_expired(self, response):
        if response.status == 401:
            return True
        parsed = rz_errors.envelope_error(response.data)
        return bool(parsed) and parsed[0] in rz_errors.EXPIRED_CODES


class RozetkaApiToken(TokenAuth):
    """A token issued in the seller cabinet (Settings > API security): used as is.

    It cannot be renewed by the client: when Rozetka refuses it, the error
    says so and a person issues a new one.
    """

    def __init__(self, token, **kw):
        super().__init__(**kw)
        self.token = token or ""

    def ensure(self, transport):
        if not self.token:
            raise rz_errors.RozetkaAuthError("the Rozetka API token is not set")
        transport.add_secret(self.token)

    def login(self, transport):
        raise rz_errors.RozetkaAuthError(
            "Rozetka refused the API token; issue a new one in the seller cabinet "
            "(Settings > API security)"
        )

    is_expired = RozetkaLogin.is_expired


#: base fields whose change matters, hashed into an order's signature: Rozetka's
#: ``changed`` has whole seconds, so two changes within one second share it
SIGNATURE_FIELDS = ("status", "ttn", "amount", "cost_with_discount", "total_quantity",
                    "status_group")


def _signature(entry):
    """``changed`` plus a short hash of the base fields: what de-duplication compares."""
    subset = {name: entry.get(name) for name in SIGNATURE_FIELDS}
    digest = zlib.crc32(json.dumps(subset, sort_keys=True, default=str).encode())
    changed = entry.get("changed") if isinstance(entry.get("changed"), str) else ""
    return f"{changed}|{digest:08x}"


def _decode_cursor(cursor):
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except (TypeError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("v") == 1 else {}


class RozetkaAdapter(ChannelAdapter):
    """One Rozetka seller account.

    Authentication: ``username`` + ``password`` (logs in, token kept through
    ``token_cache``) or ``api_token`` (issued in the cabinet, used directly).
    ``language`` ("uk", "en", "ru") goes out as ``Content-Language`` and picks
    the labels of statuses and cancel reasons.
    """

    price_digits = 0
    can_read_stock = True

    def __init__(
        self,
        base_url=DEFAULT_URL,
        *,
        username="",
        password="",
        api_token="",
        token_cache=None,
        on_secret=None,
        on_call=None,
        language="uk",
        batch_limit=100,
        page_size=MAX_PAGE_SIZE,
        first_import_days=3,
        overlap=120,
        full_check_every=300,
        max_pages=10,
        transitions=None,
        cancel_reasons=None,
        default_cancel_reason=None,
        held_reason_ids=HELD_REASON_IDS,
        clock=time.time,
        timeout=(5, 30),
        max_retries=4,
        backoff_base=0.5,
        backoff_max=30.0,
        sleep=time.sleep,
        rate_limiter=None,
        max_inline_wait=None,
        retry_after_cap=300.0,
    ):
        if api_token:
            auth = RozetkaApiToken(api_token, on_secret=on_secret)
        else:
            auth = RozetkaLogin(username, password, token_cache=token_cache,
                                on_secret=on_secret)
        self.language = language if language in ("uk", "en", "ru") else "uk"
        self.batch_limit = int(batch_limit)
        self.page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        self.first_import_days = max(0, int(first_import_days))
        self.overlap = max(0, int(overlap))
        self.full_check_every = max(0, int(full_check_every))
        self.max_pages = max(1, int(max_pages))
        self.transitions = dict(statuses.TRANSITIONS if transitions is None else transitions)
        self._cancel_codes = tuple(
            statuses.CANCEL_REASONS if cancel_reasons is None else cancel_reasons)
        self.default_cancel_reason = default_cancel_reason
        self.held_reason_ids = frozenset(held_reason_ids)
        self.clock = clock
        transport = HttpTransport(
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            rate_limiter=rate_limiter,
            secrets=[s for s in (password, api_token) if s],
            default_headers={"Content-Language": self.language},
            on_call=on_call,
            sleep=sleep,
            check=rz_errors.check,
            max_inline_wait=max_inline_wait,
            retry_after_cap=retry_after_cap,
        )
        super().__init__(transport, auth=auth)

    # -- plumbing --------------------------------------------------------------
    def _call(self, method, path, **kw):
        try:
            return self.transport.request(method, path, **kw)
        except OmniConnectorError as err:
            raise rz_errors.retype(err) from None

    def _content(self, method, path, **kw):
        data = self._call(method, path, **kw).data
        if not isinstance(data, dict) or "content" not in data:
            raise rz_errors.RozetkaPayloadError(
                f"{path}: the answer has no 'content'", details=data)
        return data["content"]

    def _now_stamp(self):
        return datetime.fromtimestamp(self.clock(), TIMEZONE).strftime(STAMP_FORMAT)

    # -- connection ------------------------------------------------------------
    def test_connection(self):
        try:
            if isinstance(self.auth, RozetkaLogin):
                self.auth.refresh(self.transport)
                market = (self.auth.last_login or {}).get("market") or {}
                title = market.get("title") if isinstance(market, dict) else ""
                return ConnectionInfo(ok=True, message=f"connected to {title}",
                                      account=str(title or ""))
            counts = self._content("GET", "/orders/counts-new")
            new = counts.get("new") if isinstance(counts, dict) else None
            return ConnectionInfo(
                ok=True, message=f"API token accepted; {new} new orders", account="")
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))

    # -- orders in -------------------------------------------------------------
    def _search(self, **params):
        params.setdefault("pageSize", self.page_size)
        content = self._content("GET", "/orders/search", params=params)
        if not isinstance(content, dict) or not isinstance(content.get("orders"), list):
            raise rz_errors.RozetkaPayloadError(
                "/orders/search: the answer has no 'orders' list", details=content)
        meta = content.get("_meta") if isinstance(content.get("_meta"), dict) else {}
        return content["orders"], meta

    def _window(self, stamp):
        """(changed_from day, stop stamp) for orders changed since ``stamp`` - overlap."""
        try:
            moment = datetime.strptime(stamp, STAMP_FORMAT)
        except (TypeError, ValueError):
            return None, None
        threshold = moment - timedelta(seconds=self.overlap)
        return threshold.strftime("%Y-%m-%d"), threshold.strftime(STAMP_FORMAT)

    def orders_changed(self, cursor):
        state = _decode_cursor(cursor)
        if not state.get("m") or state.get("p"):
            return None  # first import, or a long fetch to continue
        if self.clock() - float(state.get("f") or 0) >= self.full_check_every:
            return None  # the periodic full check
        day, _stop = self._window(state["m"])
        if day is None:
            return None
        orders, _meta = self._search(changed_from=day, sort="-changed", pageSize=1)
        top = orders[0] if orders and isinstance(orders[0], dict) else None
        seen_top = state.get("t")
        if top is None:
            return None if seen_top else False
        return [str(top.get("id")), _signature(top)] != seen_top

    def fetch_orders(self, cursor):
        state = _decode_cursor(cursor)
        if state.get("p"):
            day, stop, page = state.get("w"), state.get("x"), int(state["p"])
        elif state.get("m"):
            (day, stop), page = self._window(state["m"]), 1
        else:
            start = datetime.fromtimestamp(self.clock(), TIMEZONE) - timedelta(
                days=self.first_import_days)
            day, stop, page = start.strftime("%Y-%m-%d"), None, 1
        seen = dict(state.get("s") or {})
        newest = state.get("m") or ""
        top = state.get("t")
        raws = []
        done = False
        for _read in range(self.max_pages):
            orders, meta = self._search(
                changed_from=day, sort="-changed", page=page, expand=ORDER_EXPAND)
            if page == 1 and orders and isinstance(orders[0], dict):
                top = [str(orders[0].get("id")), _signature(orders[0])]
            in_order, oldest = True, None
            for entry in orders:
                raw = self._raw(entry)
                changed = raw.updated_marker
                if oldest is not None and changed > oldest:
                    in_order = False  # the sort was not honoured: read every page
                oldest = changed if oldest is None else min(oldest, changed)
                signature = _signature(entry) if isinstance(entry, dict) else ""
                if raw.external_id and seen.get(raw.external_id) == signature:
                    continue
                if raw.external_id:
                    seen[raw.external_id] = signature
                newest = max(newest, changed)
                raws.append(raw)
            page_count = meta.get("pageCount") if isinstance(meta.get("pageCount"), int) else 1
            if not orders or page >= page_count:
                done = True
                break
            if stop and in_order and oldest is not None and oldest < stop:
                done = True
                break
            page += 1
        keep_from = self._window(newest)[1] or ""
        new_state = {
            "v": 1,
            "m": newest or self._now_stamp(),
            "t": top,
            "f": self.clock() if done else state.get("f", 0),
            "s": {k: v for k, v in seen.items() if v and v >= keep_from},
        }
        if not done:
            # go on from the last page read: a change meanwhile shifts rows by one
            new_state.update(p=max(1, page), w=day, x=stop)
        return OrderBatch(orders=raws, cursor=json.dumps(new_state, sort_keys=True),
                          has_more=not done)

    @staticmethod
    def _raw(entry):
        if not isinstance(entry, dict):
            return RawOrder("", None, body=json.dumps(entry, ensure_ascii=False))
        order_id = entry.get("id")
        changed = entry.get("changed")
        return RawOrder(
            external_id=str(order_id) if isinstance(order_id, (int, str)) else "",
            payload=entry,
            updated_marker=changed if isinstance(changed, str) else "",
        )

    def get_order(self, external_id):
        content = self._content("GET", f"/orders/{int(external_id)}",
                                params={"expand": ORDER_EXPAND})
        return self._raw(content)

    def parse_order(self, raw):
        payload = self._payload_object(raw, "Rozetka order")
        return parse_order(payload, self.language)

    # -- statuses out ----------------------------------------------------------
    def status_label(self, status):
        return statuses.status_name(status, "uk" if self.language == "uk" else "en")

    def cancel_reasons(self):
        return [(str(code), self.status_label(code)) for code in self._cancel_codes]

    def _refuse(self, message):
        raise rz_errors.RozetkaValidationError(message)

    def _move_text(self, external_id, current, target):
        return (
            f"Rozetka does not let the seller move order {external_id} from "
            f"\u201c{self.status_label(current)}\u201d ({current}) to "
            f"\u201c{self.status_label(target)}\u201d ({target})."
        )

    def _allowed(self, order, current):
        live = order.get("status_available")
        if isinstance(live, list):
            return {e.get("child_id") for e in live if isinstance(e, dict)}
        return set(self.transitions.get(current, ()))

    def _put_status(self, external_id, status, ttn="", comment="", extra=None):
        body = {"status": status}
        if ttn:
            body["ttn"] = ttn
        if comment:
            body["seller_comment"] = comment
        body.update(extra or {})
        # the comment is appended to a history: such a PUT is not repeated blindly
        content = self._content("PUT", f"/orders/{int(external_id)}", json=body,
                                idempotent=not comment)
        new = content.get("status") if isinstance(content, dict) else None
        return new if isinstance(new, int) else status

    def _cancel_target(self, cancel_reason, extra):
        try:
            code = int(str(cancel_reason).strip())
        except (TypeError, ValueError):
            code = None
        if code not in self._cancel_codes and code != 49:
            code = self.default_cancel_reason
        if code is None:
            self._refuse(
                "Rozetka needs one of its cancellation reasons: cancel the order with "
                "'Cancel on channel' and choose one, or set a default reason on the channel.")
        if code == 49 and not (extra or {}).get("duplicate_order_id"):
            self._refuse("Cancelling as a duplicate needs the number of the order it "
                         "duplicates.")
        return int(code)

    def set_order_status(self, external_id, state, *, ttn="", carrier="", cancel_reason="",
                         comment="", remote_status=None, extra=None):
        state = OrderState(state)
        ttn = (ttn or "").strip()
        order = self._content("GET", f"/orders/{int(external_id)}",
                              params={"expand": "status_available"})
        if not isinstance(order, dict) or not isinstance(order.get("status"), int):
            raise rz_errors.RozetkaPayloadError(
                f"order {external_id}: the answer has no status", details=order)
        current = order["status"]
        group = order.get("status_group") or statuses.status_group(current)
        allowed = self._allowed(order, current)
        label = self.status_label(current)
        if remote_status:
            target = int(remote_status)
            if target == current:
                return StatusResult(remote_status=str(current))
            if target not in allowed:
                self._refuse(self._move_text(external_id, current, target))
            if target in statuses.TTN_REQUIRED and not ttn:
                self._refuse(f"Rozetka needs the waybill number (TTN) to set "
                             f"\u201c{self.status_label(target)}\u201d.")
            return StatusResult(remote_status=str(
                self._put_status(external_id, target, ttn, comment, extra)))
        if state == OrderState.CANCELLED:
            if group == 3:
                return StatusResult(remote_status=str(current),
                                    warnings=[f"Already closed on Rozetka: {label}."])
            target = self._cancel_target(cancel_reason, extra)
            if statuses.progress(current) >= statuses.SHIPPED_PROGRESS:
                self._refuse(f"Order {external_id} is already with the carrier on Rozetka "
                             f"(\u201c{label}\u201d); the seller can no longer cancel it.")
            if target not in allowed:
                self._refuse(self._move_text(external_id, current, target))
            return StatusResult(remote_status=str(
                self._put_status(external_id, target, "", comment, extra)))
        if group in (2, 3):
            self._refuse(f"Order {external_id} is closed on Rozetka (\u201c{label}\u201d); "
                         f"its status cannot change any more.")
        if state == OrderState.CONFIRMED:
            target = statuses.STATE_TARGETS[OrderState.CONFIRMED]
            if statuses.progress(current) >= statuses.progress(target):
                return StatusResult(remote_status=str(current))
            if target not in allowed:
                self._refuse(self._move_text(external_id, current, target))
            return StatusResult(remote_status=str(
                self._put_status(external_id, target, "", comment, extra)))
        if state == OrderState.SHIPPED:
            return self._ship(external_id, order, current, allowed, ttn, comment, extra)
        self._refuse(f"Rozetka sets \u201c{state.value}\u201d itself; a seller cannot.")

    def _ship(self, external_id, order, current, allowed, ttn, comment, extra):
        if not ttn:
            self._refuse("Rozetka needs the waybill number (TTN) to mark the order shipped.")
        target = statuses.STATE_TARGETS[OrderState.SHIPPED]
        if statuses.progress(current) >= statuses.SHIPPED_PROGRESS:
            known = str(order.get("ttn") or "")
            if known in ("", ttn):
                return StatusResult(remote_status=str(current))
            self._refuse(f"Order {external_id} already left with waybill {known} on Rozetka.")
        if target in allowed:
            return StatusResult(remote_status=str(
                self._put_status(external_id, target, ttn, comment, extra)))
        via = statuses.SHIPPED_VIA
        if via not in allowed:
            self._refuse(self._move_text(external_id, current, target))
        # 2 with a TTN: Rozetka shows "handover planned" (61), then 61 -> 3
        now = self._put_status(external_id, via, ttn, comment, extra)
        if target in self.transitions.get(now, ()):
            now = self._put_status(external_id, target, ttn)
        return StatusResult(remote_status=str(now))

    # -- stock and prices out --------------------------------------------------
    def push_stock(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            quantity = update.quantity
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise ValueError(f"{update.key}: quantity {quantity!r} is not a count")
            items.append((update.key, {"stock_quantity": quantity}))
        return self._mass_update(items)

    def push_prices(self, updates):
        self._check_batch(updates)
        items = []
        for update in updates:
            item = {"price": _whole(update.price)}
            if update.clear_old_price:
                item["price_old"] = -1
            elif update.old_price is not None:
                item["price_old"] = _whole(update.old_price)
            items.append((update.key, item))
        return self._mass_update(items)

    def _mass_update(self, keyed_items):
        result = PushResult()
        body = []
        sent = []
        for key, item in keyed_items:
            key = str(key)
            if not key.isdigit():
                result.rejected[key] = (
                    f"{key} is not a Rozetka item id: match the offer with Rozetka first")
                continue
            body.append({"item_rz_id": int(key), **item})
            sent.append(key)
        if not body:
            return result
        # absolute values: sending the batch twice leaves Rozetka as once
        data = self._call("PUT", "/items/mass-update",
                          json={"isIgnoreCheck": 0, "items": body}, check=False).data
        if not isinstance(data, dict) or "success" not in data:
            raise rz_errors.RozetkaPayloadError(
                "/items/mass-update: unexpected answer", details=data)
        if data.get("success") is True:
            result.accepted.extend(sent)
            return result
        typed = rz_errors.error_for(data)
        if typed is not None:
            raise typed
        errors = data.get("errors")
        if not isinstance(errors, dict):
            raise rz_errors.RozetkaPayloadError(
                "/items/mass-update: 'errors' is not an object", details=data)
        for key in sent:
            entry = errors.get(key)
            if entry is None:
                result.accepted.append(key)
                continue
            held, texts = self._reasons(entry)
            text = "; ".join(texts) or "refused by Rozetka"
            if held:
                result.pending[key] = text
            else:
                result.rejected[key] = text
        return result

    def _reasons(self, entry):
        """(held for confirmation, texts) of one item's error entry."""
        reasons = entry.get("reason") if isinstance(entry, dict) else entry
        if not isinstance(reasons, list):
            reasons = [reasons]
        held, texts = True, []
        for reason in reasons:
            if isinstance(reason, dict):
                values = reason.get("value")
                values = values if isinstance(values, list) else [values]
                texts += [str(v) for v in values if v not in (None, "")]
                if reason.get("id") not in self.held_reason_ids:
                    held = False
            else:
                texts.append(str(reason))
                held = False
        return held and bool(reasons), texts

    # -- offers ----------------------------------------------------------------
    def list_offers(self):
        page = 1
        while True:
            content = self._content("GET", "/goods/all",
                                    params={"page": page, "pageSize": MAX_PAGE_SIZE})
            items = content.get("items") if isinstance(content, dict) else None
            if not isinstance(items, list):
                raise rz_errors.RozetkaPayloadError(
                    f"/goods/all page {page}: no 'items' list", details=content)
            for entry in items:
                yield offer_from_item(entry)
            meta = content.get("_meta") if isinstance(content.get("_meta"), dict) else {}
            page_count = meta.get("pageCount")
            if not items or not isinstance(page_count, int) or page >= page_count:
                return
            page += 1

    def lookup_offers(self, keys):
        """``{key: RemoteOffer}`` for seller keys (offer id from the feed, else article)."""
        found = {}
        for key in dict.fromkeys(str(k) for k in keys if k):
            for field in ("price_offer_id", "article"):
                content = self._content("GET", "/goods/all",
                                        params={field: key, "pageSize": 2})
                items = content.get("items") if isinstance(content, dict) else None
                if isinstance(items, list) and len(items) == 1:
                    found[key] = offer_from_item(items[0])
                    break
        return found


def _whole(price):
    """Whole hryvnias, as Rozetka takes prices."""
    return int(Decimal(price).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def offer_from_item(entry):
    if not isinstance(entry, dict) or entry.get("rz_item_id") in (None, ""):
        raise rz_errors.RozetkaPayloadError("an item has no rz_item_id", details=entry)
    key = str(entry["rz_item_id"])
    offer_id = str(entry.get("price_offer_id") or "")
    article = str(entry.get("article") or "")
    price = entry.get("price")
    quantity = entry.get("stock_quantity")
    source = entry.get("sync_source") if isinstance(entry.get("sync_source"), dict) else {}
    alt = (offer_id, article, str(entry.get("item_id") or ""), str(entry.get("barcode") or ""))
    return RemoteOffer(
        key=key,
        sku=offer_id or article or key,
        name=str(entry.get("name_ua") or entry.get("name") or ""),
        quantity=quantity if isinstance(quantity, int) and not isinstance(quantity, bool)
        else None,
        price=to_decimal(price) if price not in (None, "") else None,
        active=entry.get("rz_sell_status") not in (5, 8),
        alt_keys=tuple(k for k in dict.fromkeys(alt) if k and k != key),
        managed_by_feed=source.get("is_virtual_source") == 0
        and source.get("availability") != 4,
    )
