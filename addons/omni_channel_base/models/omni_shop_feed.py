import base64
import hashlib
import hmac
import secrets
import time
from datetime import timezone

from odoo import api, fields, models
from odoo.tools import SQL

from omni_connectors.core.planner import QtyRules
from omni_connectors.shop.feed import FLAVOURS, FeedCategory, FeedOffer, FeedShop, build_feed

#: stands for the build date while the content hash is taken: an unchanged
#: catalogue keeps its bytes, its ETag and its Last-Modified
_DATE_MARK = "0000-00-00 00:00"


class OmniShopFeed(models.Model):
    """A YML price list of one channel at a secret URL, for importers that poll it.

    Built from the channel's active bindings (prices from its pricelist, the
    quantity after its rules), cached as an attachment and rebuilt by a
    coalesced job whenever a change flags the channel's bindings, the same
    flags the push engine reads. Served with ETag and Last-Modified.
    """

    _name = "omni.shop.feed"
    _description = "Price-List Feed"
    _order = "channel_id, id"
    _check_company_auto = True

    name = fields.Char(required=True, default=lambda self: self.env._("Price list"))
    channel_id = fields.Many2one(
        "omni.channel", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    active = fields.Boolean(default=True)
    flavour = fields.Selection(
        [(name, name.capitalize()) for name in FLAVOURS],
        string="Format",
        default="rozetka",
        required=True,
        help="Tag names of the old price and the quantity differ between importers.",
    )
    token = fields.Char(
        copy=False, readonly=True, groups="sales_team.group_sale_manager",
        default=lambda self: secrets.token_urlsafe(24),
    )
    url = fields.Char("Feed URL", compute="_compute_url", groups="sales_team.group_sale_manager")
    data = fields.Binary("Feed", attachment=True, readonly=True, copy=False)
    content_hash = fields.Char(readonly=True, copy=False)
    changed_at = fields.Datetime("Content Changed On", readonly=True, copy=False)
    built_at = fields.Datetime("Built On", readonly=True, copy=False)
    build_seconds = fields.Float("Build Time (s)", readonly=True, digits=(16, 2))
    rebuild_interval = fields.Integer(
        "Rebuild at Most Every (s)",
        default=10,
        help="Changes reach the feed at most this often (and a feed that takes long "
        "to build waits ten times its build time): rebuilding a large catalogue after "
        "each sale would take the server's time from the orders, and importers read "
        "feeds every few minutes at best.",
    )
    offer_count = fields.Integer("Offers", readonly=True)
    size_bytes = fields.Integer("Size (bytes)", readonly=True)

    _sql_constraints = [("token_uniq", "unique(token)", "Feed tokens must be unique.")]

    def _compute_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for feed in self:
            feed.url = (f"{base}{feed.sudo()._omni_path()}" if feed.id else False)

    def _omni_path(self, picture_of=None):
        self.ensure_one()
        base = f"/omni/feed/{self.id}/{self.sudo().token}"
        return f"{base}/picture/{picture_of}" if picture_of else f"{base}/feed.xml"

    def _omni_check_token(self, token):
        return bool(token) and hmac.compare_digest(
            str(self.sudo().token or "").encode(), str(token).encode())

    # ------------------------------------------------------------ queueing
    def _omni_enqueue_build(self, now=False):
        """One coalesced rebuild job per feed (a waiting job with the same key
        absorbs the later changes), at most one per ``rebuild_interval`` and
        never more than a tenth of the time spent building: a feed that takes
        20 s waits at least 200 s between rebuilds. ``now``: asked by a user."""
        for feed in self.filtered("active"):
            channel = feed.channel_id
            eta = channel.sync_delay
            if not now and feed.built_at and feed.rebuild_interval > 0:
                interval = max(feed.rebuild_interval, 10 * feed.build_seconds)
                since = (fields.Datetime.now() - feed.built_at).total_seconds()
                eta = max(eta, int(interval - since))
            key = channel._omni_job_key("feed", f":{feed.id}")
            if now:  # a rebuild waiting for its interval is brought forward
                self.env["queue.job"].sudo().search(
                    [("identity_key", "=", key), ("state", "=", "pending")]
                ).write({"eta": False})
            channel._omni_delay(
                "feed",
                lambda _, f=feed: _("Rebuild price-list feed %(feed)s of %(channel)s",
                                    feed=f.name, channel=f.channel_id.name),
                priority=30,
                eta=eta,
                suffix=f":{feed.id}",
                record=feed,
            )._omni_build()

    @api.model
    def _cron_rebuild(self):
        """Hourly: names, descriptions and pictures change without flagging stock or price."""
        self.search([])._omni_enqueue_build()

    @api.model_create_multi
    def create(self, vals_list):
        feeds = super().create(vals_list)
        feeds._omni_enqueue_build()
        return feeds

    def action_rebuild(self):
        self._omni_enqueue_build(now=True)
        return True

    def action_new_token(self):
        """A new secret URL; the old one stops working at once."""
        for feed in self:
            feed.sudo().token = secrets.token_urlsafe(24)
        return True

    # ------------------------------------------------------------ building
    def _omni_build(self):
        """Job (or first request): build the feed; write only when the content changed."""
        self.ensure_one()
        started = time.perf_counter()
        shop, categories, offers, count = self._omni_collect()
        xml = build_feed(shop, categories, offers, flavour=self.flavour,
                         date=_MarkDate())
        digest = hashlib.sha256(xml).hexdigest()
        now = fields.Datetime.now()
        values = {"built_at": now, "build_seconds": time.perf_counter() - started,
                  "offer_count": count}
        if digest != self.content_hash:
            stamp = now.replace(tzinfo=timezone.utc).strftime("%Y-%m-%d %H:%M")
            head, tail = xml[:200], xml[200:]
            xml = head.replace(_DATE_MARK.encode(), stamp.encode(), 1) + tail
            values.update(data=base64.b64encode(xml), content_hash=digest, changed_at=now,
                          size_bytes=len(xml))
        self.sudo().write(values)
        return f"{count} offers, {'changed' if 'data' in values else 'unchanged'}"

    def _omni_collect(self):
        """(shop, categories, offers, count) of the channel, read in a few batched queries."""
        channel = self.channel_id.with_context(active_test=False)
        company = channel.company_id
        lang = self._omni_lang()
        cr = self.env.cr
        Binding = self.env["omni.product.binding"]
        cr.execute(SQL(
            """
            SELECT b.id, b.product_id, %s, b.override_rules, b.qty_buffer, b.qty_zero_at,
                   b.qty_max, b.qty_percent
              FROM omni_product_binding b
             WHERE b.channel_id = %s AND b.active
             ORDER BY b.id
            """, Binding._omni_key_sql(channel, "b"), channel.id,
        ))
        rows = [row for row in cr.fetchall() if row[2]]
        products = self.env["product.product"].with_context(lang=lang).browse(
            [row[1] for row in rows])
        available = channel._omni_available_to_sell(products)
        prices, list_prices = channel._omni_shop_prices(products)
        pictures = self._omni_pictures(products)
        default = channel._omni_channel_rules()
        currency = channel.currency_id or company.currency_id
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        # records taken from the recordset keep its prefetch set: one query per
        # field for all products, not one per product
        by_id = {product.id: product for product in products}

        def offers():
            for _bid, pid, key, override, buf, zero, mx, pct in rows:
                product = by_id[pid]
                rules = QtyRules(buf, zero, mx, pct) if override else default
                quantity = rules.apply(available[pid]) if product.is_storable else 1
                yield FeedOffer(
                    id=key,
                    name=product.display_name,
                    price=currency.round(prices.get(pid, list_prices.get(pid, 0.0))),
                    old_price=currency.round(list_prices.get(pid, 0.0)),
                    quantity=int(quantity),
                    currency=currency.name,
                    category_id=str(product.categ_id.id) if product.categ_id else None,
                    vendor_code=product.default_code or "",
                    barcode=product.barcode or "",
                    pictures=(f"{base}{self._omni_path(pid)}",) if pid in pictures else (),
                    description=product.description_sale or "",
                    params=tuple(
                        (value.attribute_id.name, value.name)
                        for value in product.product_template_variant_value_ids
                    ),
                )

        categories = products.categ_id
        while categories.parent_id - categories:
            categories |= categories.parent_id
        shop = FeedShop(name=channel.name, company=company.name,
                        url=company.website or base, currency=currency.name)
        feed_categories = [
            FeedCategory(str(c.id), c.name, str(c.parent_id.id) if c.parent_id else None)
            for c in categories.with_context(lang=lang).sorted("id")
        ]
        return shop, feed_categories, offers(), len(rows)

    def _omni_lang(self):
        """Ukrainian when it is installed (the importers want it), else the responsible's."""
        langs = {code for code, _name in self.env["res.lang"].get_installed()}
        if "uk_UA" in langs:
            return "uk_UA"
        return self.channel_id._omni_in_responsible_lang().env.lang or "en_US"

    def _omni_pictures(self, products):
        """Ids of the products that have an image (of the variant or of its template)."""
        if not products:
            return set()
        self.env.cr.execute(
            """
            SELECT p.id FROM product_product p
             WHERE p.id = ANY(%s) AND EXISTS (
                   SELECT 1 FROM ir_attachment a
                    WHERE (a.res_model = 'product.product' AND a.res_id = p.id
                           AND a.res_field = 'image_variant_1920')
                       OR (a.res_model = 'product.template' AND a.res_id = p.product_tmpl_id
                           AND a.res_field = 'image_1920'))
            """,
            [products.ids],
        )
        return {row[0] for row in self.env.cr.fetchall()}


class _MarkDate:
    """A date whose strftime is the mark replaced after hashing."""

    def strftime(self, _fmt):
        return _DATE_MARK
