"""The own shop's JSON API and the price-list feeds, served by Odoo.

Contract: ``static/openapi/omni_shop.json`` (also at
``/omni/shop/<channel>/openapi.json``). Every call but the contract needs
the header ``X-Api-Key`` with an active key of that channel; anything else
answers 401 and no data. Errors are ``{"error": {"code", "message"}}``.
The work runs as the superuser within the channel's company, bounded to
the channel the key belongs to.
"""

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from odoo import http
from odoo.http import request

from ..models.omni_shop_channel import OmniShopApiError

_logger = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "static" / "openapi" / "omni_shop.json"
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
#: largest order body accepted (bytes)
MAX_ORDER_BODY = 1024 * 1024
ROUTE = "/omni/shop/<int:channel_id>"


def _error(status, code, message):
    return request.make_json_response(
        {"error": {"code": code, "message": message}}, status=status
    )


def _since(value):
    """An ISO 8601 moment as Odoo's naive UTC, or raise a 400."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise OmniShopApiError(400, "invalid_parameter",
                               "changed_since must be an ISO 8601 date and time") from None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _int_param(name, default, low, high):
    value = request.httprequest.args.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise OmniShopApiError(400, "invalid_parameter",
                               f"{name} must be a whole number from {low} to {high}")
    return number


class OmniShopController(http.Controller):
    def _call(self, channel_id, work):
        """Authenticate the key, run ``work(channel)``, answer JSON; nothing half-applied."""
        Channel = request.env["omni.channel"]
        channel = Channel._omni_shop_channel(channel_id)
        key = request.httprequest.headers.get("X-Api-Key", "")
        if not channel or not request.env["omni.shop.key"].sudo()._omni_authenticate(
            channel.id, key
        ):
            return _error(401, "unauthorized", "unknown or revoked API key")
        try:
            with request.env.cr.savepoint():
                status, body = work(channel)
        except OmniShopApiError as err:
            return _error(err.status, err.code, err.message)
        return request.make_json_response(body, status=status)

    @http.route(f"{ROUTE}/openapi.json", type="http", auth="public", methods=["GET"],
                csrf=False, save_session=False)
    def openapi(self, channel_id):
        spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
        base = request.httprequest.host_url.rstrip("/")
        spec["servers"] = [{"url": f"{base}/omni/shop/{channel_id}"}]
        return request.make_json_response(spec)

    @http.route(f"{ROUTE}/offers", type="http", auth="public", methods=["GET"],
                csrf=False, save_session=False)
    def offers(self, channel_id, **_params):
        def work(channel):
            page = _int_param("page", 1, 1, 10**6)
            per_page = _int_param("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
            since = request.httprequest.args.get("changed_since")
            return 200, channel._omni_shop_offer_page(
                page, per_page, _since(since) if since else None)

        return self._call(channel_id, work)

    @http.route(f"{ROUTE}/offers/<path:sku>", type="http", auth="public", methods=["GET"],
                csrf=False, save_session=False)
    def offer(self, channel_id, sku, **_params):
        return self._call(channel_id, lambda channel: (200, channel._omni_shop_offer(sku)))

    @http.route(f"{ROUTE}/orders", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def post_order(self, channel_id, **_params):
        def work(channel):
            body = request.httprequest.get_data(cache=False)
            if len(body) > MAX_ORDER_BODY:
                raise OmniShopApiError(413, "too_large",
                                       f"an order body is at most {MAX_ORDER_BODY} bytes")
            return channel._omni_shop_receive_order(body)

        return self._call_keeping_refusals(channel_id, work)

    def _call_keeping_refusals(self, channel_id, work):
        """Like :meth:`_call`, but a refused order stays stored (in needs-attention)."""
        Channel = request.env["omni.channel"]
        channel = Channel._omni_shop_channel(channel_id)
        key = request.httprequest.headers.get("X-Api-Key", "")
        if not channel or not request.env["omni.shop.key"].sudo()._omni_authenticate(
            channel.id, key
        ):
            return _error(401, "unauthorized", "unknown or revoked API key")
        try:
            status, body = work(channel)
        except OmniShopApiError as err:
            return _error(err.status, err.code, err.message)
        return request.make_json_response(body, status=status)

    @http.route(f"{ROUTE}/orders/<string:order_id>", type="http", auth="public",
                methods=["GET"], csrf=False, save_session=False)
    def order(self, channel_id, order_id, **_params):
        return self._call(channel_id, lambda channel: (
            200, channel._omni_shop_order_dict(channel._omni_shop_find_order(order_id))))

    @http.route(f"{ROUTE}/orders/<string:order_id>/status", type="http", auth="public",
                methods=["POST"], csrf=False, save_session=False)
    def order_status(self, channel_id, order_id, **_params):
        def work(channel):
            try:
                data = json.loads(request.httprequest.get_data(cache=False) or b"{}")
            except (ValueError, RecursionError):
                raise OmniShopApiError(400, "invalid_json", "the body is not JSON") from None
            return 200, channel._omni_shop_change_status(order_id, data)

        return self._call(channel_id, work)

    # ---------------------------------------------------------------- feeds
    def _feed(self, feed_id, token):
        feed = request.env["omni.shop.feed"].sudo().browse(feed_id).exists()
        if not feed or not feed.active or not feed._omni_check_token(token):
            return None
        return feed

    @http.route("/omni/feed/<int:feed_id>/<string:token>/feed.xml", type="http",
                auth="public", methods=["GET", "HEAD"], csrf=False, save_session=False)
    def feed(self, feed_id, token, **_params):
        feed = self._feed(feed_id, token)
        if feed is None:
            return request.not_found()
        if not feed.content_hash:
            feed._omni_build()  # first request before the first build
        stream = request.env["ir.binary"]._record_to_stream(feed, "data")
        stream.mimetype = "application/xml; charset=utf-8"
        stream.download_name = "feed.xml"
        stream.etag = feed.content_hash
        stream.last_modified = feed.changed_at
        stream.max_age = 0  # revalidate each time: cheap (304) when nothing changed
        return stream.get_response(as_attachment=False, immutable=False)

    @http.route("/omni/feed/<int:feed_id>/<string:token>/picture/<int:product_id>",
                type="http", auth="public", methods=["GET"], csrf=False, save_session=False)
    def feed_picture(self, feed_id, token, product_id, **_params):
        feed = self._feed(feed_id, token)
        binding = feed and request.env["omni.product.binding"].sudo().search([
            ("channel_id", "=", feed.channel_id.id), ("product_id", "=", product_id)], limit=1)
        if not binding:
            return request.not_found()
        stream = request.env["ir.binary"]._get_image_stream_from(
            binding.product_id, "image_1920")
        stream.max_age = 3600
        return stream.get_response()
