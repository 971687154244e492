import dataclasses
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from omni_connectors.core import errors as cerr
from omni_connectors.rozetka import DEFAULT_URL, statuses

#: the shipped order check interval of a Rozetka channel, in seconds (readme:
#: 5 s is 720 one-row searches an hour, 17,280 a day, plus a full check every
#: 5 minutes: 288 more)
ROZETKA_POLL_INTERVAL = 5
#: above this many offers to look up, one listing of every offer is cheaper
LOOKUP_ONE_BY_ONE = 20


def _cancel_reason_selection(self):
    lang = "uk" if (self.env.lang or self.env.user.lang or "").startswith("uk") else "en"
    return [(str(code), statuses.status_name(code, lang)) for code in statuses.CANCEL_REASONS]


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    channel_type = fields.Selection(
        selection_add=[("rozetka", "Rozetka")], ondelete={"rozetka": "cascade"}
    )
    rozetka_auth = fields.Selection(
        [("password", "Login and password"), ("token", "API token from the seller cabinet")],
        string="Rozetka Sign-in",
        default="password",
        groups="base.group_system",
        help="Login and password: Odoo signs in and renews the session itself. API token: "
        "issued in the seller cabinet (Settings > API security) for a staff role; it is "
        "used as it is and replaced by hand when Rozetka stops accepting it.",
    )
    rozetka_login = fields.Char(
        groups="base.group_system", help="The seller cabinet login (e-mail)."
    )
    rozetka_password = fields.Char(groups="base.group_system", copy=False)
    rozetka_api_token = fields.Char("Rozetka API Token", groups="base.group_system",
                                    copy=False)
    rozetka_api_url = fields.Char(
        "Rozetka API URL", groups="base.group_system", default=DEFAULT_URL,
        help="Change only to talk to a test server.",
    )
    rozetka_full_check_every = fields.Integer(
        "Full Order Check Every (s)",
        default=300,
        help="Between full checks, each order check is one cheap request that sees whether "
        "the most recently changed order is still the one last seen. Two changes within "
        "one second can hide each other; the full check catches them.",
    )
    rozetka_batch_limit = fields.Integer(
        "Items per Update",
        default=100,
        help="Stock and price changes are sent to Rozetka in updates of at most this many "
        "items. Rozetka documents no limit; clients use 100 to 500.",
    )
    rozetka_old_pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Crossed-out Price From",
        check_company=True,
        help="When set, Rozetka shows this pricelist's price crossed out beside the "
        "channel's price, if it is higher; otherwise the crossed-out price is removed.",
    )
    rozetka_cancel_reason = fields.Selection(
        selection=_cancel_reason_selection,
        string="Default Cancellation Reason",
        help="Sent when an order is cancelled in Odoo without choosing Rozetka's reason "
        "(the Cancel button instead of Cancel on channel). Empty: such a cancellation is "
        "not sent and the order shows why.",
    )

    @api.model
    def _omni_public_fields(self):
        """The login and the URL are administrator-only settings, not secrets."""
        return super()._omni_public_fields() | {"rozetka_login", "rozetka_api_url"}

    # ------------------------------------------------------------- defaults
    @api.model
    def _omni_type_defaults(self, channel_type):
        defaults = super()._omni_type_defaults(channel_type)
        if channel_type == "rozetka":
            defaults["order_poll_interval"] = ROZETKA_POLL_INTERVAL
        return defaults

    # ---------------------------------------------------------------- client
    def _omni_adapter_rozetka(self, on_call):
        from omni_connectors.rozetka import RozetkaAdapter

        creds = self.sudo()
        lang = self.env.lang or self.env.user.lang or ""
        language = "uk" if lang.startswith("uk") else "en"
        options = {
            "on_call": on_call,
            "language": language,
            "first_import_days": self.order_import_days,
            "full_check_every": self.rozetka_full_check_every,
            "batch_limit": max(1, self.rozetka_batch_limit or 100),
            "default_cancel_reason": int(self.rozetka_cancel_reason)
            if self.rozetka_cancel_reason else None,
            "rate_limiter": self._omni_rate_limiter(),
            **self._omni_http_options(),
        }
        url = creds.rozetka_api_url or DEFAULT_URL
        if creds.rozetka_auth == "token":
            if not creds.rozetka_api_token:
                raise UserError(self.env._(
                    "Set the Rozetka API token of channel %(name)s first.", name=self.name))
            return RozetkaAdapter(url, api_token=creds.rozetka_api_token,
                                  on_secret=self._omni_on_secret, **options)
        if not (creds.rozetka_login and creds.rozetka_password):
            raise UserError(self.env._(
                "Set the Rozetka login and password of channel %(name)s first.",
                name=self.name))
        return RozetkaAdapter(
            url,
            username=creds.rozetka_login,
            password=creds.rozetka_password,
            token_cache=self._omni_token_cache("rozetka"),
            on_secret=self._omni_on_secret,
            **options,
        )

    # -------------------------------------------------------- offers and keys
    def _omni_push(self, kind, in_job=True):
        """Rozetka updates items by its own id: find it for bindings that lack it first."""
        if self.channel_type == "rozetka":
            self._rozetka_resolve_items(in_job)
        return super()._omni_push(kind, in_job)

    def _rozetka_resolve_items(self, in_job):
        # bindings with changes to send and no Rozetka id yet (one query)
        self.env.cr.execute(SQL(
            """
            SELECT b.id FROM omni_product_binding b
             WHERE b.channel_id = %s AND b.active
               AND COALESCE(b.external_id, '') = '' AND COALESCE(b.sku, '') != ''
               AND EXISTS (SELECT 1 FROM omni_binding_change ch
                            WHERE ch.channel_id = b.channel_id
                              AND ch.product_id = b.product_id)
            """,
            self.id,
        ))
        bindings = self.env["omni.product.binding"].browse(
            [row[0] for row in self.env.cr.fetchall()])
        if not bindings:
            return
        skus = bindings.mapped("sku")
        try:
            with self._omni_session() as adapter:
                if len(skus) > LOOKUP_ONE_BY_ONE:
                    found = {}
                    for offer in adapter.list_offers():
                        for key in (offer.sku, *offer.alt_keys):
                            found.setdefault(key, offer)
                else:
                    found = adapter.lookup_offers(skus)
        except cerr.OmniConnectorError as err:
            self._omni_note_failure("stock", err)
            raise self._omni_translate_error(err, in_job) from err
        self._rozetka_write_offers(
            [(binding.id, found[binding.sku]) for binding in bindings if binding.sku in found]
        )

    def _rozetka_write_offers(self, pairs):
        """Store Rozetka's item id and feed flag on bindings, without marking them dirty.

        Written in a transaction of its own, committed at once: the push that follows
        records its results on the same binding rows outside the job's transaction
        (``_omni_record_pushed``), which would otherwise wait for this job forever.
        Rozetka's ids are facts worth keeping even if the push then fails.
        """
        if not pairs:
            return
        self._omni_write_outside(self, lambda channel: channel._rozetka_write_offers_sql(pairs))
        self.env["omni.product.binding"].invalidate_model(
            ["external_id", "rozetka_managed_by_feed"])

    def _rozetka_write_offers_sql(self, pairs):
        self.env.cr.execute(SQL(
            """
            UPDATE omni_product_binding b
               SET external_id = COALESCE(NULLIF(b.external_id, ''), v.key),
                   rozetka_managed_by_feed = v.feed
              FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::text[]) AS key,
                           unnest(%s::bool[]) AS feed) v
             WHERE b.id = v.id
            """,
            [pid for pid, _offer in pairs],
            [offer.key for _pid, offer in pairs],
            [bool(offer.managed_by_feed) for _pid, offer in pairs],
        ))

    def _rozetka_refresh_offers(self):
        """Job: read every Rozetka offer; note item ids and which ones a price list manages."""
        self.ensure_one()
        if self.channel_type != "rozetka":
            return "not a Rozetka channel"
        try:
            with self._omni_session() as adapter:
                offers = list(adapter.list_offers())
        except cerr.OmniConnectorError as err:
            raise self._omni_translate_error(err, in_job=True) from err
        Binding = self.env["omni.product.binding"]
        matched = Binding._omni_match_offers(self, offers, active_test=False)
        self._rozetka_write_offers(list(matched.items()))
        feed = sum(1 for offer in matched.values() if offer.managed_by_feed)
        return f"{len(offers)} offers, {len(matched)} bound, {feed} managed by a price list"

    def action_rozetka_refresh_offers(self):
        for channel in self.filtered(lambda c: c.channel_type == "rozetka"):
            channel._omni_delay(
                "rozetka_offers",
                lambda _, c=channel: _("Read the offers of %(channel)s", channel=c.name),
                priority=30,
            )._rozetka_refresh_offers()
        return self._omni_notify_queued(self.env._("Reading the offers from Rozetka."))

    # -------------------------------------------------------------- prices
    def _omni_plan_prices(self, batch_limit, price_digits=None):
        """Rozetka's crossed-out price (``price_old``) from a second pricelist."""
        plan = super()._omni_plan_prices(batch_limit, price_digits)
        if self.channel_type != "rozetka" or not self.rozetka_old_pricelist_id or not plan.to_push:
            return plan
        bindings = self.env["omni.product.binding"].browse(
            [item.binding_id for batch in plan.to_push for item, _update in batch])
        products = bindings.product_id
        old = self.rozetka_old_pricelist_id._get_products_price(products, 1.0)
        old = self._omni_gross_prices(products, old)
        product_of = {binding.id: binding.product_id.id for binding in bindings}
        for batch in plan.to_push:
            for index, (item, update) in enumerate(batch):
                crossed = round(old.get(product_of[item.binding_id], 0.0))
                if crossed > update.price:
                    update = dataclasses.replace(update, old_price=Decimal(crossed))
                else:
                    update = dataclasses.replace(update, clear_old_price=True)
                batch[index] = (item, update)
        return plan
