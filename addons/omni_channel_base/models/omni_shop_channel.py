"""Channel type ``shop``: the seller's own site.

The site reads offers and posts orders through the JSON API of
``controllers/omni_shop.py`` (keys: ``omni.shop.key``); when it wants push
instead of pull, the ordinary push engine sends stock, prices and order
statuses to its webhook URL, signed (``omni_connectors.shop``). Every
channel, of any type, may also publish YML price-list feeds
(``omni.shop.feed``), rebuilt when its bindings change.
"""

import json
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import errors as cerr
from omni_connectors.core.models import RawOrder
from omni_connectors.core.planner import QtyRules

#: statuses a shop may post for one of its orders
SHOP_STATUS_CHANGES = ("cancelled", "paid")


class OmniShopApiError(Exception):
    """A request the shop API refuses: HTTP status, code and message for the JSON error."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    channel_type = fields.Selection(
        selection_add=[("shop", "Own web shop")], ondelete={"shop": "cascade"}
    )
    shop_webhook_url = fields.Char(
        "Webhook URL",
        help="Optional. Stock, price and order-status changes are POSTed here, signed. "
        "Leave empty when the site reads them through the API.",
    )
    shop_webhook_secret = fields.Char(
        "Webhook Signing Secret", groups="base.group_system", copy=False,
        help="Webhooks carry an HMAC-SHA256 signature made with this secret.",
    )
    shop_key_ids = fields.One2many("omni.shop.key", "channel_id", "API Keys",
                                   context={"active_test": False})
    shop_feed_ids = fields.One2many("omni.shop.feed", "channel_id", "Price-List Feeds")
    shop_api_url = fields.Char("Shop API URL", compute="_compute_shop_api_url")

    def _compute_shop_api_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for channel in self:
            channel.shop_api_url = f"{base}/omni/shop/{channel.id}" if channel.id else False

    # ----------------------------------------------------------- adapter
    def _omni_adapter_shop(self, on_call):
        from omni_connectors.shop import ShopAdapter

        creds = self.sudo()
        if creds.shop_webhook_url and not creds.shop_webhook_secret:
            raise UserError(self.env._(
                "Generate the webhook signing secret of %(name)s first.", name=self.name))
        return ShopAdapter(
            creds.shop_webhook_url or "",
            creds.shop_webhook_secret or "",
            channel=self.name,
            on_call=on_call,
            rate_limiter=self._omni_rate_limiter(),
            **self._omni_http_options(),
        )

    def _omni_offer_key_fields(self):
        if self.channel_type == "shop":
            return ("sku", "external_id")  # the site knows its products by SKU
        return super()._omni_offer_key_fields()

    # ------------------------------------------------- feeds follow changes
    def _omni_enqueue(self, kind):
        """A change that queues a push also queues the rebuild of the channel's feeds."""
        res = super()._omni_enqueue(kind)
        self.env["omni.shop.feed"].sudo().search(
            [("channel_id", "in", self.ids)]
        )._omni_enqueue_build()
        return res

    # ------------------------------------------------------------ buttons
    def action_shop_new_secret(self):
        """A new webhook secret; the site must be given it (shown to administrators)."""
        for channel in self:
            channel.sudo().shop_webhook_secret = "whsec_" + secrets.token_urlsafe(32)
            channel.message_post(body=self.env._("A new webhook signing secret was generated."))
        return True

    def action_shop_new_key(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New API key"),
            "res_model": "omni.shop.key.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_id": self.id},
        }

    # ------------------------------------------------------------ the API
    def _omni_shop_offer_dicts(self, bindings):
        """Offers as the API shows them: live quantity after the channel's rules,
        price from the channel's pricelist, as the marketplaces get them.

        The bindings' own columns are read in one query (as the feed does);
        quantities and prices for the whole page at once.
        """
        self.ensure_one()
        if not bindings:
            return []
        self.env["omni.product.binding"].flush_model()
        self.env.cr.execute(SQL(
            """
            SELECT b.id, b.product_id, %s, b.override_rules, b.qty_buffer, b.qty_zero_at,
                   b.qty_max, b.qty_percent,
                   GREATEST(b.last_stock_date, b.last_price_date, b.write_date)
              FROM omni_product_binding b
             WHERE b.id = ANY(%s)
            """, self.env["omni.product.binding"]._omni_key_sql(self, "b"), list(bindings.ids),
        ))
        rows = {row[0]: row for row in self.env.cr.fetchall()}
        products = self.env["product.product"].browse(
            dict.fromkeys(rows[bid][1] for bid in bindings.ids))
        available = self._omni_available_to_sell(products)
        default = self._omni_channel_rules()
        prices, list_prices = self._omni_shop_prices(products)
        currency = self.currency_id or self.company_id.currency_id
        # records taken from the recordset keep its prefetch set
        by_id = {product.id: product for product in products}
        result = []
        for binding_id in bindings.ids:
            _bid, pid, key, override, buf, zero, mx, pct, changed = rows[binding_id]
            product = by_id[pid]
            rules = QtyRules(buf or 0.0, zero or 0.0, mx or 0,
                             100.0 if pct is None else pct) if override else default
            quantity = rules.apply(available[pid]) if product.is_storable else None
            price = currency.round(prices.get(pid, list_prices.get(pid, 0.0)))
            old = currency.round(list_prices.get(pid, 0.0))
            result.append({
                "sku": key or "",
                "name": product.display_name,
                "quantity": quantity,
                "available": quantity is None or quantity > 0,
                "price": f"{price:.2f}",
                "old_price": f"{old:.2f}" if old > price else None,
                "currency": currency.name,
                "barcode": product.barcode or None,
                "changed_at": fields.Datetime.to_string(changed) + "Z",
            })
        return result

    def _omni_shop_prices(self, products):
        """``(prices, list prices)`` of ``products`` as buyers pay them, taxes on top
        where the channel's prices include them; ``{}`` for prices without a pricelist.

        Read in batch: the pricelist's prices of all the products at once
        (``product.pricelist._omni_prices``, equal to Odoo's engine), the
        sales prices with the variants' extras in one query.
        """
        self.ensure_one()
        if not products:
            return {}, {}
        list_prices, _currencies = self._omni_shop_list_prices(products)
        prices = {}
        if self.pricelist_id:
            prices = self._omni_gross_prices(products, self.pricelist_id._omni_prices(products))
        return prices, self._omni_gross_prices(products, list_prices)

    def _omni_shop_list_prices(self, products):
        """``({product id: lst_price}, {product id: currency id})`` in one query.

        What ``lst_price`` and the product's ``currency_id`` compute record by
        record: the template's sales price plus the variant's attribute extras
        (no unit of measure asked), in the currency of the product's company or
        else of the main company.
        """
        for model in ("product.template", "product.product",
                      "product.template.attribute.value"):
            self.env[model].flush_model()
        main_currency = self.env["res.company"]._get_main_company().currency_id.id
        self.env.cr.execute(
            """
            SELECT p.id, COALESCE(t.list_price, 0) + COALESCE((
                       SELECT SUM(v.price_extra)
                         FROM product_variant_combination c
                         JOIN product_template_attribute_value v
                           ON v.id = c.product_template_attribute_value_id
                        WHERE c.product_product_id = p.id), 0),
                   rc.currency_id
              FROM product_product p
              JOIN product_template t ON t.id = p.product_tmpl_id
              LEFT JOIN res_company rc ON rc.id = t.company_id
             WHERE p.id = ANY(%s)
            """,
            [list(products.ids)],
        )
        list_prices, currencies = {}, {}
        for pid, price, currency_id in self.env.cr.fetchall():
            list_prices[pid] = price
            currencies[pid] = currency_id or main_currency
        return list_prices, currencies

    def _omni_shop_offer_page(self, page, per_page, changed_since=None):
        self.ensure_one()
        domain = [("channel_id", "=", self.id), ("active", "=", True)]
        if changed_since:
            domain += ["|", "|", ("last_stock_date", ">", changed_since),
                       ("last_price_date", ">", changed_since),
                       ("write_date", ">", changed_since)]
        Binding = self.env["omni.product.binding"]
        bindings = Binding.search(domain, order="id", offset=(page - 1) * per_page,
                                  limit=per_page + 1)
        more = len(bindings) > per_page
        return {
            "offers": self._omni_shop_offer_dicts(bindings[:per_page]),
            "page": page,
            "per_page": per_page,
            "next_page": page + 1 if more else None,
        }

    def _omni_shop_offer(self, sku):
        self.ensure_one()
        binding = self.env["omni.product.binding"]._omni_find_by_keys(self, [sku]).get(sku)
        if not binding:
            raise OmniShopApiError(404, "unknown_offer",
                                   f"no offer with SKU {sku!r} on this channel")
        return self._omni_shop_offer_dicts(binding)[0]

    def _omni_shop_receive_order(self, body):
        """A posted order: stored raw once per shop order id, then mapped at once.

        Returns (HTTP status, answer). A body that is not a valid order is
        stored all the same, in needs-attention with the reason, and refused
        with 400; no sale order is made from it.
        """
        self.ensure_one()
        text = body.decode("utf-8", errors="replace").replace("\x00", "\\u0000")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            payload = None
        raw = RawOrder("", None, body=text)
        if isinstance(payload, dict):
            external_id = str(payload.get("id") or "").strip()[:200]
            try:
                json.dumps(payload, ensure_ascii=False).encode("utf-8")
                raw = RawOrder(external_id, payload, updated_marker=str(
                    payload.get("updated_at") or ""))
            except (UnicodeEncodeError, ValueError, RecursionError):
                raw = RawOrder(external_id, None, body=json.dumps(payload, ensure_ascii=True))
        error = None
        try:
            self._omni_build_adapter().parse_order(raw)
        except cerr.OmniConnectorError as err:
            error = str(err)
        ExternalOrder = self.env["omni.external.order"]
        changed = ExternalOrder._omni_store(self, [raw])
        record = changed or self._omni_shop_find_order(raw.external_id)
        if error:
            if changed:
                changed._omni_needs_attention(
                    self.env._("The shop posted an invalid order: %(error)s", error=error))
            raise OmniShopApiError(400, "invalid_order", error)
        if changed:
            self._omni_shop_process(changed)
        return (201 if changed and changed.receive_count == 1 else 200,
                self._omni_shop_order_dict(record, duplicate=not changed))

    def _omni_shop_process(self, order):
        """Map now, so the answer tells the shop the result; a busy order goes to a job."""
        try:
            with self.env.cr.savepoint():
                order._omni_process_here()
        except RetryableJobError:
            order._omni_enqueue_processing()

    def _omni_shop_find_order(self, external_id):
        order = self.env["omni.external.order"].search(
            [("channel_id", "=", self.id), ("external_id", "=", external_id or "")], limit=1)
        if not order:
            raise OmniShopApiError(404, "unknown_order", f"no order {external_id!r}")
        return order

    def _omni_shop_change_status(self, external_id, data):
        """The shop cancels an order or reports it paid: the stored payload changes
        and goes through the pipeline again, like a marketplace's update."""
        self.ensure_one()
        if not isinstance(data, dict) or data.get("status") not in SHOP_STATUS_CHANGES:
            raise OmniShopApiError(400, "invalid_status", "status must be one of: "
                                   + ", ".join(SHOP_STATUS_CHANGES))
        reason = data.get("reason") or ""
        if not isinstance(reason, str):
            raise OmniShopApiError(400, "invalid_status", "reason must be text")
        order = self._omni_shop_find_order(external_id)
        payload = order._omni_payload()
        if payload is None:
            raise OmniShopApiError(409, "order_unreadable",
                                   "the stored order is not readable; a manager must fix it")
        if data["status"] == "cancelled":
            payload.update(status="cancelled", cancel_reason=reason)
        else:
            payment = payload.get("payment") if isinstance(payload.get("payment"), dict) else {}
            payload["payment"] = dict(payment, paid=True)
        changed = self.env["omni.external.order"]._omni_store(
            self, [RawOrder(order.external_id, payload, updated_marker=order.updated_marker)])
        if changed:
            self._omni_shop_process(changed)
        return self._omni_shop_order_dict(order)

    def _omni_shop_order_dict(self, order, duplicate=False):
        order.invalidate_recordset()
        sale = order.sale_order_id
        pickings = sale.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.carrier_tracking_ref
        ) if sale else sale
        picking = pickings[:1]
        return {
            "id": order.external_id,
            "state": order.state,
            "status": order.remote_status or None,
            "attention_reason": order.attention_reason or None,
            "sale_order": sale.name or None,
            "sale_state": sale.state or None,
            "ttn": picking.carrier_tracking_ref or order.ttn or None,
            "carrier": picking.carrier_id._omni_carrier_code() or None if picking else None,
            "duplicate": duplicate,
        }

    @api.model
    def _omni_shop_channel(self, channel_id):
        channel = self.sudo().browse(channel_id).exists()
        if not channel or channel.channel_type != "shop" or not channel.active:
            return self.browse()
        return channel.with_company(channel.company_id)
