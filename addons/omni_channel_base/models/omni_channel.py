from odoo import api, fields, models
from odoo.exceptions import UserError

from omni_connectors.core import errors as cerr

#: job priorities (lower first, within a job channel): stock before all; then the
#: order polls and imports, which reserve stock; the statuses sent back after them
PRIORITY = {"stock": 5, "orders": 10, "order": 10, "status": 12, "price": 15,
            "reconcile": 30}


class OmniChannel(models.Model):
    """A sales channel: a marketplace account or the seller's own shop.

    This file holds its configuration and buttons; the stock and price push
    (``omni_channel_sync.py``), the order polling (``omni_channel_orders.py``)
    and the health card (``omni_channel_health.py``) extend the same model.
    Credentials, sessions, the sync log, locks, limits and error texts come
    from ``omni.backend.mixin``.
    """

    _name = "omni.channel"
    _description = "Sales Channel"
    _inherit = ["omni.backend.mixin", "mail.thread", "mail.activity.mixin"]
    _omni_type_field = "channel_type"
    _omni_client_prefix = "_omni_adapter_"
    # identity keys "omni:<channel id>:<kind>", read by the health card
    _omni_job_namespace = "omni"
    _omni_public_system_fields = ("order_cursor", "api_url")
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    channel_type = fields.Selection(
        [("generic", "Generic API (test channel)")],
        string="Type",
        required=True,
        tracking=True,
        help="Which marketplace or shop this channel talks to. Connector addons "
        "add their types.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="pricelist_id.currency_id")
    warehouse_ids = fields.Many2many(
        "stock.warehouse",
        string="Warehouses",
        check_company=True,
        help="The stock of these warehouses is summed and offered on the channel.",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        check_company=True,
        help="Prices sent to the channel come from this pricelist, so a channel "
        "markup is an ordinary pricelist rule.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Gets an activity when an order from this channel needs attention.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    fiscal_position_id = fields.Many2one(
        "account.fiscal.position",
        check_company=True,
        help="Applied to the sale orders of this channel. Mapping the products' taxes "
        "to taxes included in the price makes every order total exactly what the "
        "buyer paid, to the kopeck.",
    )
    environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production")],
        default="sandbox",
        required=True,
        tracking=True,
    )
    # quantity rules, applied after summing the channel's warehouses
    qty_buffer = fields.Float(
        "Safety Buffer", help="Units kept back: subtracted before anything else."
    )
    qty_zero_at = fields.Float(
        "Show Zero At or Below",
        help="When the quantity after the buffer is at or below this, show 0.",
    )
    qty_max = fields.Integer(
        "Maximum Shown", help="Never show more than this (0 = no maximum)."
    )
    qty_percent = fields.Float(
        "Percentage Shown",
        default=100.0,
        help="Show this share of the quantity, rounded down.",
    )
    # sync switches
    sync_stock = fields.Boolean(default=True, tracking=True)
    sync_price = fields.Boolean("Sync Prices", default=True, tracking=True)
    sync_orders = fields.Boolean("Import Orders", default=True, tracking=True)
    sync_delay = fields.Integer(
        "Sync Delay (s)",
        default=0,
        help="0: a change is sent at once; changes made while a push runs go together in "
        "the next one, so batches grow with the load by themselves. A delay makes every "
        "change wait this many seconds to be sent with the others.",
    )
    order_poll_interval = fields.Integer(
        "Check for Orders Every (s)",
        default=1,
        help="Marketplaces do not announce new orders: Odoo asks for them this often. "
        "A sale is known to the other channels only once imported, so this interval "
        "bounds how long they may still show a unit that is gone (the oversell "
        "benchmark is measured at the default). A poll that finds nothing costs one "
        "short request. 0 = only by the scheduled action (every minute).",
    )
    order_poll_busy_interval = fields.Integer(
        "While Orders Come In, Check Every (s)",
        default=1,
        help="After a new order the channel is checked this often, for the time below: "
        "a shop that is selling is where the last unit goes twice. 0, or a value not "
        "below the interval above, keeps the interval above.",
    )
    order_poll_busy_minutes = fields.Integer(
        "Checking Often For (min)",
        default=5,
        help="How long after the last new order the short interval above holds.",
    )
    order_import_days = fields.Integer(
        "First Import Covers (days)",
        default=3,
        help="A new connection imports the orders of this many last days; later polls "
        "take what changed since the previous one.",
    )
    prices_include_tax = fields.Boolean(
        "Channel Prices Include Taxes",
        default=True,
        help="Marketplaces show and charge prices with VAT. Prices sent get the "
        "product's taxes that the price does not include yet; prices of imported "
        "orders are taken as paid, taxes included, so a sale order totals what the "
        "buyer pays. Taxes already included in prices (Odoo's 'tax included' "
        "setting) are left as they are.",
    )
    push_order_status = fields.Boolean(
        "Send Order Statuses",
        default=True,
        tracking=True,
        help="Tell the channel when an order is accepted, shipped (with the waybill) or "
        "cancelled in Odoo.",
    )
    order_policy = fields.Selection(
        [("confirm", "Confirm automatically"), ("review", "Leave as quotation")],
        default="confirm",
        required=True,
        help="Confirmed orders reserve stock at once, which lowers the quantity "
        "shown on every other channel.",
    )
    # connection (the generic channel; connector addons add their own fields)
    api_url = fields.Char("API URL", groups="base.group_system")
    api_key = fields.Char("API Key", groups="base.group_system", copy=False)
    order_cursor = fields.Char(
        compute="_compute_status", inverse="_inverse_order_cursor", groups="base.group_system"
    )
    event_retention_days = fields.Integer("Keep Sync Log (days)", default=30)
    # last success times
    status_ids = fields.One2many("omni.channel.status", "channel_id", readonly=True)
    last_stock_push = fields.Datetime(compute="_compute_status")
    last_price_push = fields.Datetime(compute="_compute_status")
    last_order_import = fields.Datetime(compute="_compute_status")
    last_reconcile = fields.Datetime("Last Stock Check", compute="_compute_status")
    last_order_arrival = fields.Datetime("Last New Order", compute="_compute_status")
    last_error = fields.Text(compute="_compute_status")
    empty_poll_count = fields.Integer(
        "Checks Without New Orders",
        compute="_compute_status",
        help="Order checks in a row that found nothing; they are counted here instead "
        "of filling the sync log.",
    )

    _sql_constraints = [
        ("qty_percent_range", "CHECK(qty_percent >= 0 AND qty_percent <= 100)",
         "The percentage shown must be between 0 and 100."),
        ("sync_delay_positive", "CHECK(sync_delay >= 0)",
         "The sync delay cannot be negative."),
    ]

    # ------------------------------------------------------------------ status
    @api.depends("status_ids.last_success", "status_ids.last_error", "status_ids.cursor",
                 "status_ids.empty_count", "status_ids.last_arrival")
    def _compute_status(self):
        fields_by_kind = {"stock": "last_stock_push", "price": "last_price_push",
                          "orders": "last_order_import", "reconcile": "last_reconcile"}
        for channel in self:
            values = dict.fromkeys(fields_by_kind.values(), False)
            values["empty_poll_count"] = 0
            values["last_order_arrival"] = False
            errors = []
            cursor = False
            for status in channel.sudo().status_ids:
                values[fields_by_kind[status.kind]] = status.last_success
                if status.last_error:
                    errors.append((status.last_error_date or status.last_success,
                                   status.last_error))
                if status.kind == "orders":
                    cursor = status.cursor
                    values["empty_poll_count"] = status.empty_count
                    values["last_order_arrival"] = status.last_arrival
            errors.sort(key=lambda e: e[0] or fields.Datetime.now())
            values["last_error"] = errors[-1][1] if errors else False
            values["order_cursor"] = cursor  # readable by administrators only
            channel.update(values)

    def _inverse_order_cursor(self):
        for channel in self:
            self.env["omni.channel.status"]._omni_set(
                channel, "orders", cursor=channel.order_cursor or None
            )

    def _omni_build_adapter(self, on_call=None):
        """The channel's adapter (``omni_connectors.core.ChannelAdapter``).

        Each channel type's addon defines ``_omni_adapter_<type>(on_call)``.
        """
        return self._omni_build_client(on_call)

    def _omni_adapter_generic(self, on_call):
        from omni_connectors.generic import GenericAdapter

        creds = self.sudo()
        if not creds.api_url:
            raise UserError(
                self.env._("Set the API URL of channel %(name)s first.", name=self.name)
            )
        return GenericAdapter(
            creds.api_url,
            creds.api_key or "",
            on_call=on_call,
            rate_limiter=self._omni_rate_limiter(),
            **self._omni_http_options(),
        )

    def _omni_error_messages(self):
        _ = self.env._
        return [
            (cerr.AuthError, _("The channel %(name)s refused the credentials: %(error)s")),
            (cerr.RateLimitError, _("The channel %(name)s asked to slow down: %(error)s")),
            (cerr.TransportError, _("The channel %(name)s cannot be reached: %(error)s")),
            (cerr.ValidationError, _("The channel %(name)s refused the data: %(error)s")),
            (cerr.PayloadError,
             _("The channel %(name)s answered something unreadable: %(error)s")),
            (Exception, _("The channel %(name)s failed: %(error)s")),
        ]

    def _omni_offer_key_fields(self):
        """Binding fields holding this channel's key of an offer, by preference.

        The channel's own id of the offer when known, else the SKU. A channel
        type whose API takes another key overrides this.
        """
        return ("external_id", "sku")

    # ------------------------------------------------------------ buttons
    def action_test_connection(self):
        self.ensure_one()
        self._omni_check_manager()
        with self._omni_session() as adapter:
            try:
                info = adapter.test_connection()
            except cerr.OmniConnectorError as err:
                raise self._omni_translate_error(err, in_job=False) from err
        if not info.ok:
            raise UserError(
                self.env._("Connection failed: %(message)s", message=info.message)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Connection works"),
                "message": info.account or info.message or self.name,
                "type": "success",
                "sticky": False,
            },
        }

    def _omni_notify_queued(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "info", "sticky": False},
        }

    def _omni_open(self, model, domain, name, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": context or {},
        }

    def action_open_bindings(self):
        return self._omni_open(
            "omni.product.binding", [("channel_id", "in", self.ids)],
            self.env._("Products on channel"), {"default_channel_id": self.id})

    def action_open_pending_bindings(self):
        return self._omni_open(
            "omni.product.binding",
            [("channel_id", "in", self.ids), "|", ("stock_dirty", "=", True),
             ("price_dirty", "=", True)],
            self.env._("Waiting to be sent"))

    def action_open_failed_bindings(self):
        return self._omni_open(
            "omni.product.binding",
            [("channel_id", "in", self.ids), ("sync_state", "=", "error")],
            self.env._("Failed products"))

    def action_open_attention_orders(self):
        return self._omni_open(
            "omni.external.order",
            [("channel_id", "in", self.ids), ("state", "=", "needs_attention")],
            self.env._("Orders needing attention"))

    def action_open_jobs(self):
        keys = [f"omni:{cid}:%" for cid in self.ids]
        domain = ["|"] * (len(keys) - 1) + [("identity_key", "=like", k) for k in keys]
        return self._omni_open(
            "queue.job", domain + [("state", "!=", "done")], self.env._("Sync jobs"))

    def action_open_events(self):
        return self._omni_open(
            "omni.sync.event", [("channel_id", "in", self.ids)], self.env._("Sync log"))

    # -------------------------------------------------------------- defaults
    @api.model
    def _omni_type_defaults(self, channel_type):
        """Values a new channel of ``channel_type`` starts with (its addon's settings).

        A type's addon returns, e.g., its justified polling interval; values the
        user gave win.
        """
        return {}

    @api.onchange("channel_type")
    def _onchange_channel_type_defaults(self):
        for field_name, value in self._omni_type_defaults(self.channel_type).items():
            self[field_name] = value

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            for field_name, value in self._omni_type_defaults(vals.get("channel_type")).items():
                vals.setdefault(field_name, value)
        channels = super().create(vals_list)
        for channel in channels.filtered(lambda c: not c.warehouse_ids):
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", channel.company_id.id)], limit=1
            )
            channel.warehouse_ids = warehouse
        return channels

    def write(self, vals):
        res = super().write(vals)
        rule_fields = {"qty_buffer", "qty_zero_at", "qty_max", "qty_percent",
                       "warehouse_ids", "sync_stock", "active"}
        Binding = self.env["omni.product.binding"]
        if rule_fields & set(vals):
            Binding._omni_all_of_channels(self, ("stock",))
        if {"pricelist_id", "sync_price", "active", "prices_include_tax"} & set(vals):
            Binding._omni_all_of_channels(self, ("price",))
        return res
