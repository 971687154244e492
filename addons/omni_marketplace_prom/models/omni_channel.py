from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get
from odoo.addons.omni_channel_base.models.omni_channel import PRIORITY

from omni_connectors.core import errors as cerr
from omni_connectors.core.models import OrderState

#: Prom's order statuses a seller may set, as two live reports found them
DEFAULT_SETTABLE = "received,delivered,paid,canceled"
#: seconds between two checks for new orders (see readme/CONFIGURE.md for why)
PROM_POLL_INTERVAL = 10
NEUTRAL_STATES = {state.value for state in OrderState}


def _leave_prom(channels):
    """Uninstalling the addon: keep the channels (their orders point at them), switched off."""
    channels.write({"channel_type": "generic", "active": False})


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    @api.model
    def _omni_type_defaults(self, channel_type):
        defaults = super()._omni_type_defaults(channel_type)
        if channel_type == "prom":
            defaults["order_poll_interval"] = PROM_POLL_INTERVAL
        return defaults

    channel_type = fields.Selection(
        selection_add=[("prom", "Prom.ua")], ondelete={"prom": _leave_prom}
    )
    prom_token = fields.Char(
        "Prom API Token",
        groups="base.group_system",
        copy=False,
        help="Created in the Prom cabinet (Settings > API token management) with access "
        "to Orders and Products.",
    )
    prom_language = fields.Selection(
        [("uk", "Ukrainian"), ("ru", "Russian")],
        default="uk",
        help="Sent as X-LANGUAGE: the language of the status names and messages Prom "
        "answers with.",
    )
    prom_batch_limit = fields.Integer(
        "Products per Request",
        default=100,
        help="Most products sent in one stock or price update. Prom documents no limit; "
        "integrations send 100.",
    )
    prom_filter_tz = fields.Selection(
        _tz_get,
        "Time Zone of Prom's Date Filters",
        default="Europe/Kyiv",
        help="Prom's order list filters by a local date-time whose zone it does not "
        "document; Kyiv time is the likely one.",
    )
    prom_poll_overlap = fields.Integer(
        "Look Back (s)",
        default=0,
        help="Also ask Prom for orders modified this many seconds before the last look, "
        "in case its date filter reads another time zone than the one set here (10800 "
        "covers UTC against Kyiv time). Checks stay one cheap request while fewer than "
        "100 orders changed in that time.",
    )
    prom_settable_statuses = fields.Char(
        "Statuses Prom Accepts",
        default=DEFAULT_SETTABLE,
        help="Comma-separated order statuses Prom lets a seller set. Your own "
        "statuses (custom-...) are always accepted.",
    )
    prom_shipped_status = fields.Char(
        "Status When Shipped",
        help="Prom has no 'shipped' status: the waybill is what it shows. To also move "
        "the order to one of your own statuses, enter its code (custom-...).",
    )
    prom_custom_states = fields.Text(
        "Own Statuses Mean",
        help="One per line, 'custom-137639 = confirmed': what each of your own Prom "
        "statuses means here (new, confirmed, shipped, delivered, cancelled, "
        "returned). Unlisted ones count as confirmed.",
    )
    prom_delivery_type = fields.Selection(
        [
            ("nova_poshta", "Nova Poshta"),
            ("ukrposhta", "Ukrposhta"),
            ("meest", "Meest"),
            ("justin", "Justin"),
        ],
        "Default Carrier for Waybills",
        default="nova_poshta",
        help="Sent with a waybill number when neither the delivery's carrier nor the "
        "order names one.",
    )

    _sql_constraints = [
        ("prom_batch_limit_positive", "CHECK(prom_batch_limit IS NULL OR prom_batch_limit > 0)",
         "Products per request must be at least 1."),
    ]

    @api.constrains("prom_shipped_status", "prom_custom_states", "prom_settable_statuses")
    def _check_prom_statuses(self):
        for channel in self.filtered(lambda c: c.channel_type == "prom"):
            shipped = (channel.prom_shipped_status or "").strip()
            if shipped and not channel._omni_prom_settable(shipped):
                raise ValidationError(self.env._(
                    "Prom does not accept the status %(status)s from a seller: use one of "
                    "%(allowed)s or your own status (custom-...).",
                    status=shipped, allowed=channel.prom_settable_statuses or "-"))
            channel._omni_prom_custom_states()

    def _omni_prom_settable(self, status):
        allowed = {s.strip() for s in (self.prom_settable_statuses or "").split(",")}
        return status in allowed or status.startswith("custom-")

    def _omni_prom_custom_states(self):
        """``{"custom-N": neutral state}`` from the setting; a wrong line is refused."""
        states = {}
        for line in (self.prom_custom_states or "").splitlines():
            if not line.strip():
                continue
            code, sep, state = (part.strip() for part in line.partition("="))
            if not sep or not code.startswith("custom-") or state not in NEUTRAL_STATES:
                raise ValidationError(self.env._(
                    "Line %(line)r of 'Own Statuses Mean' should read like "
                    "'custom-137639 = confirmed' (one of %(states)s).",
                    line=line, states=", ".join(sorted(NEUTRAL_STATES))))
            states[code] = state
        return states

    def _omni_prom_cancel_labels(self):
        _ = self.env._
        return {
            "not_available": _("Not available"),
            "price_changed": _("Price changed"),
            "buyers_request": _("At the buyer's request"),
            "not_enough_fields": _("Not enough details to process the order"),
            "duplicate": _("Duplicate order"),
            "invalid_phone_number": _("Invalid phone number"),
            "less_than_minimal_price": _("Below the minimum order amount"),
            "another": _("Another reason"),
        }

    def _omni_adapter_prom(self, on_call):
        from omni_connectors.prom import BASE_URL, PromAdapter

        creds = self.sudo()
        if not creds.prom_token:
            raise UserError(self.env._(
                "Enter the Prom API token of channel %(name)s first (Connection tab).",
                name=self.name))
        status_map = {}
        if (self.prom_shipped_status or "").strip():
            status_map[OrderState.SHIPPED] = self.prom_shipped_status.strip()
        return PromAdapter(
            creds.prom_token,
            base_url=creds.api_url or BASE_URL,
            language=self.prom_language or "uk",
            batch_limit=self.prom_batch_limit or 100,
            import_days=self.order_import_days,
            filter_tz=self.prom_filter_tz or "Europe/Kyiv",
            settable_statuses=tuple(
                s.strip() for s in (self.prom_settable_statuses or "").split(",") if s.strip()
            ),
            status_map=status_map,
            custom_states=self._omni_prom_custom_states(),
            cancel_labels=self._omni_prom_cancel_labels(),
            default_delivery_type=self.prom_delivery_type or "nova_poshta",
            overlap_seconds=max(self.prom_poll_overlap, 0),
            on_call=on_call,
            rate_limiter=self._omni_rate_limiter(),
            **self._omni_http_options(),
        )

    def _omni_offer_key_fields(self):
        # Prom's stock and price calls take the seller's external id, which a
        # binding holds as its SKU; Prom's own product id is kept to find the
        # binding from an order line or the product list
        if self.channel_type == "prom":
            return ("sku", "external_id")
        return super()._omni_offer_key_fields()

    # ------------------------------------------------------ publishing
    def _omni_prom_queue_external_ids(self):
        for channel in self.filtered(lambda c: c.channel_type == "prom"):
            channel._omni_delay(
                "prom_external_ids",
                lambda _, c=channel: _("Give products on %(channel)s their external ids",
                                       channel=c.name),
                priority=PRIORITY["reconcile"],
            )._omni_prom_assign_external_ids()

    def action_prom_assign_external_ids(self):
        self._omni_prom_queue_external_ids()
        return self._omni_notify_queued(self.env._(
            "Products bound here that have no external id on Prom get their SKU as one "
            "shortly."))

    def _omni_prom_assign_external_ids(self):
        """Job: Prom products bound here without an external id get their binding's SKU.

        Stock and prices are sent to Prom by external id, so a product the seller
        listed by hand (no external id) cannot be updated until it has one.
        """
        self.ensure_one()
        self._omni_lock_or_retry("prom_external_ids")
        Binding = self.env["omni.product.binding"]
        with self._omni_session() as adapter:
            try:
                products = list(adapter.list_products())
                taken = {str(p["external_id"]) for p in products if p.get("external_id")}
                bare = [p for p in products if not str(p.get("external_id") or "").strip()]

                def keys(product):
                    return [str(k) for k in (product["id"], product.get("sku"),
                                             product.get("gtin")) if k]

                by_key = Binding._omni_find_by_keys(
                    self, [k for p in bare for k in keys(p)], active_test=False)
                pairs, bindings = [], {}
                for product in bare:
                    binding = next((by_key[k] for k in keys(product) if k in by_key), None)
                    if not binding or not binding.sku or binding.sku in taken:
                        continue
                    taken.add(binding.sku)
                    pairs.append((product["id"], binding.sku))
                    bindings[str(product["id"])] = binding
                result = adapter.set_external_ids(pairs)
            except cerr.OmniConnectorError as err:
                raise self._omni_translate_error(err, in_job=True) from err
        for prom_id in result.accepted:
            # a new key: the binding is marked for a fresh stock and price push
            bindings[str(prom_id)].write({"external_id": str(prom_id)})
        for prom_id, reason in result.rejected.items():
            binding = bindings.get(str(prom_id))
            self.message_post(body=self.env._(
                "Prom refused the external id %(sku)s for its product %(id)s: %(reason)s",
                sku=binding.sku if binding else "?", id=prom_id, reason=reason))
        return f"{len(result.accepted)} external ids set, {len(result.rejected)} refused"
