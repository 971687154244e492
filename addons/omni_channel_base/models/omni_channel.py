import logging
from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import errors as cerr
from omni_connectors.core.planner import DirtyItem, QtyRules, plan_prices, plan_stock

from .. import log_redaction

_logger = logging.getLogger(__name__)

#: advisory lock namespace ("omni" in ASCII) used with the channel id
LOCK_NAMESPACE = 0x6F6D6E69
LOCK_KINDS = {"stock": 1, "price": 2, "orders": 3, "reconcile": 4}
#: job priorities: stock first, then prices, then catalogue and order work
PRIORITY = {"stock": 5, "price": 15, "orders": 10, "reconcile": 30}


class OmniChannel(models.Model):
    _name = "omni.channel"
    _description = "Sales Channel"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        default=1,
        help="Changes made within this many seconds are sent together.",
    )
    order_poll_interval = fields.Integer(
        "Check for Orders Every (s)",
        default=10,
        help="Marketplaces do not announce new orders: Odoo asks for them this often. "
        "A sale is known to the other channels only once imported, so this interval "
        "bounds how long they may still show a unit that is gone. 0 = only by the "
        "scheduled action (every minute).",
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
    last_error = fields.Text(compute="_compute_status")
    # health
    binding_count = fields.Integer(compute="_compute_health")
    pending_binding_count = fields.Integer("Waiting to Be Sent", compute="_compute_health")
    failed_binding_count = fields.Integer("Failed Products", compute="_compute_health")
    attention_order_count = fields.Integer(
        "Orders Needing Attention", compute="_compute_health"
    )
    queue_depth = fields.Integer("Jobs Waiting", compute="_compute_health")
    failed_job_count = fields.Integer("Failed Jobs", compute="_compute_health")
    oldest_job_age = fields.Integer(
        "Oldest Waiting Job (min)",
        compute="_compute_health",
        help="A job waiting for long means the job runner is not running or is "
        "overloaded.",
    )
    health = fields.Selection(
        [("ok", "Healthy"), ("warning", "Lagging"), ("error", "Failing")],
        compute="_compute_health",
    )

    _sql_constraints = [
        ("qty_percent_range", "CHECK(qty_percent >= 0 AND qty_percent <= 100)",
         "The percentage shown must be between 0 and 100."),
        ("sync_delay_positive", "CHECK(sync_delay >= 0)",
         "The sync delay cannot be negative."),
    ]

    # ------------------------------------------------------------------ status
    @api.depends("status_ids.last_success", "status_ids.last_error", "status_ids.cursor")
    def _compute_status(self):
        fields_by_kind = {"stock": "last_stock_push", "price": "last_price_push",
                          "orders": "last_order_import", "reconcile": "last_reconcile"}
        for channel in self:
            values = dict.fromkeys(fields_by_kind.values(), False)
            errors = []
            cursor = False
            for status in channel.sudo().status_ids:
                values[fields_by_kind[status.kind]] = status.last_success
                if status.last_error:
                    errors.append((status.last_error_date or status.last_success,
                                   status.last_error))
                if status.kind == "orders":
                    cursor = status.cursor
            errors.sort(key=lambda e: e[0] or fields.Datetime.now())
            values["last_error"] = errors[-1][1] if errors else False
            values["order_cursor"] = cursor  # readable by administrators only
            channel.update(values)

    def _inverse_order_cursor(self):
        for channel in self:
            self.env["omni.channel.status"]._omni_set(
                channel, "orders", cursor=channel.order_cursor or None
            )

    # ------------------------------------------------------------------ health
    def _job_key(self, kind, suffix=""):
        self.ensure_one()
        return f"omni:{self.id}:{kind}{suffix}"

    def _compute_health(self):
        if not self.ids:
            for channel in self:
                channel.update({
                    "binding_count": 0, "pending_binding_count": 0,
                    "failed_binding_count": 0, "attention_order_count": 0,
                    "queue_depth": 0, "failed_job_count": 0, "oldest_job_age": 0,
                    "health": "ok",
                })
            return
        cr = self.env.cr
        cr.execute(
            """
            SELECT b.channel_id, count(*), count(*) FILTER (WHERE b.sync_state = 'error')
              FROM omni_product_binding b
             WHERE b.channel_id = ANY(%s) AND b.active
             GROUP BY b.channel_id
            """,
            [self.ids],
        )
        bindings = {row[0]: row[1:] for row in cr.fetchall()}
        cr.execute(
            """
            SELECT channel_id, count(DISTINCT product_id) FROM omni_binding_change
             WHERE channel_id = ANY(%s) GROUP BY channel_id
            """,
            [self.ids],
        )
        waiting = dict(cr.fetchall())
        attention = dict(
            self.env["omni.external.order"]._read_group(
                [("channel_id", "in", self.ids), ("state", "=", "needs_attention")],
                ["channel_id"],
                ["__count"],
            )
        )
        cr.execute(
            """
            SELECT split_part(identity_key, ':', 2)::int,
                   count(*) FILTER (WHERE state IN ('pending', 'enqueued', 'started',
                                                    'wait_dependencies')),
                   count(*) FILTER (WHERE state = 'failed'),
                   min(date_created) FILTER (WHERE state IN ('pending', 'enqueued'))
              FROM queue_job
             WHERE identity_key LIKE 'omni:%%'
               AND split_part(identity_key, ':', 2) = ANY(%s)
               AND state != 'done'
             GROUP BY 1
            """,
            [[str(i) for i in self.ids]],
        )
        jobs = {row[0]: row[1:] for row in cr.fetchall()}
        now = fields.Datetime.now()
        for channel in self:
            total, failed = bindings.get(channel.id, (0, 0))
            pending = waiting.get(channel.id, 0)
            depth, failed_jobs, oldest = jobs.get(channel.id, (0, 0, None))
            age = int((now - oldest).total_seconds() // 60) if oldest else 0
            attention_count = attention.get(channel, 0)
            if failed_jobs or (oldest and age >= 15):
                health = "error"
            elif failed or attention_count or (oldest and age >= 2):
                health = "warning"
            else:
                health = "ok"
            channel.update({
                "binding_count": total,
                "pending_binding_count": pending,
                "failed_binding_count": failed,
                "attention_order_count": attention_count,
                "queue_depth": depth,
                "failed_job_count": failed_jobs,
                "oldest_job_age": age,
                "health": health,
            })

    # ------------------------------------------------------------- adapters
    def _omni_build_adapter(self, on_call=None):
        """Return the channel's adapter (``omni_connectors.core.ChannelAdapter``).

        Each channel type's addon defines ``_omni_adapter_<type>(on_call)``;
        the base never imports a connector other than the generic test one.
        """
        self.ensure_one()
        log_redaction.remember_secrets(self._omni_secrets())
        method = getattr(self, f"_omni_adapter_{self.channel_type}", None)
        if method is None:
            raise UserError(
                self.env._(
                    "No connector is installed for channel type %(type)s.",
                    type=dict(
                        self._fields["channel_type"]._description_selection(self.env)
                    ).get(self.channel_type, self.channel_type),
                )
            )
        return method(on_call)

    def _omni_adapter_generic(self, on_call):
        from omni_connectors.generic import GenericAdapter

        creds = self.sudo()
        if not creds.api_url:
            raise UserError(
                self.env._("Set the API URL of channel %(name)s first.", name=self.name)
            )
        return GenericAdapter(
            creds.api_url, creds.api_key or "", on_call=on_call, **self._omni_http_options()
        )

    def _omni_http_options(self):
        """Timeouts and retries for every adapter, tunable without code (system parameters)."""
        params = self.env["ir.config_parameter"].sudo()
        return {
            "timeout": (
                float(params.get_param("omni_channel_base.connect_timeout", 5)),
                float(params.get_param("omni_channel_base.read_timeout", 30)),
            ),
            "max_retries": int(params.get_param("omni_channel_base.max_retries", 4)),
            "backoff_base": float(params.get_param("omni_channel_base.backoff_base", 0.5)),
        }

    @api.model
    def _omni_secret_fields(self):
        """Credential fields: the administrator-only text fields, whatever the connector."""
        return [
            name
            for name, field in self._fields.items()
            if field.type == "char"
            and field.groups == "base.group_system"
            and name not in ("order_cursor", "api_url")
        ]

    def _omni_secrets(self):
        """Literal secrets to mask in the sync log and the server log."""
        self.ensure_one()
        creds = self.sudo()
        tokens = self.env["omni.channel.token"].sudo().search([("channel_id", "=", self.id)])
        return [creds[name] for name in self._omni_secret_fields() if creds[name]] + [
            token for token in tokens.mapped("token") if token
        ]

    def _omni_token_cache(self, name="session"):
        """``(get, set)`` for a connector's ``TokenAuth(token_cache=...)``.

        The token is kept in the database, so every job and worker reuses one
        session; a new one is stored in a transaction of its own (a job that
        fails later keeps it) and masked in the server log at once.
        """
        self.ensure_one()
        channel_id = self.id

        def get():
            self.env.cr.execute(
                "SELECT token FROM omni_channel_token WHERE channel_id = %s AND name = %s",
                [channel_id, name],
            )
            row = self.env.cr.fetchone()
            if row:
                log_redaction.remember_secrets([row[0]])
            return row[0] if row else None

        def store(model, token):
            model.env.cr.execute(
                """
                INSERT INTO omni_channel_token (channel_id, name, token, date)
                VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC')
                ON CONFLICT (channel_id, name)
                DO UPDATE SET token = EXCLUDED.token, date = EXCLUDED.date
                """,
                [channel_id, name, token],
            )

        def set_(token):
            log_redaction.remember_secrets([token])
            self.env["omni.sync.event"]._omni_write_outside(
                self.env["omni.channel.token"].sudo(), lambda model: store(model, token)
            )

        return get, set_

    @staticmethod
    def _omni_on_secret(secret):
        """For ``TokenAuth(on_secret=...)``: mask a secret obtained at run time in logs."""
        log_redaction.remember_secrets([secret])

    @contextmanager
    def _omni_session(self, record=None):
        """Yield an adapter whose every HTTP call is written to the sync log.

        The log is written even when the work fails, in its own transaction,
        so a rolled-back job still leaves its trace.
        """
        self.ensure_one()
        calls = []
        adapter = self._omni_build_adapter(on_call=calls.append)
        try:
            yield adapter
        finally:
            if calls:
                self.env["omni.sync.event"]._omni_log_calls(self, calls, record=record)

    def _omni_error_text(self, err):
        """A connector error in the user's language, with the channel's own words kept."""
        detail = str(err)
        if isinstance(err, cerr.AuthError):
            text = self.env._("The channel %(name)s refused the credentials: %(error)s")
        elif isinstance(err, cerr.RateLimitError):
            text = self.env._("The channel %(name)s asked to slow down: %(error)s")
        elif isinstance(err, cerr.TransportError):
            text = self.env._("The channel %(name)s cannot be reached: %(error)s")
        elif isinstance(err, cerr.ValidationError):
            text = self.env._("The channel %(name)s refused the data: %(error)s")
        elif isinstance(err, cerr.PayloadError):
            text = self.env._("The channel %(name)s answered something unreadable: %(error)s")
        else:
            text = self.env._("The channel %(name)s failed: %(error)s")
        return text % {"name": self.name, "error": detail}

    def _omni_translate_error(self, err, in_job):
        """Turn a connector error into Odoo's: retry in jobs, a message on buttons."""
        message = self._omni_error_text(err)
        if in_job and getattr(err, "retryable", False):
            seconds = getattr(err, "retry_after", None)
            return RetryableJobError(message, seconds=int(seconds) if seconds else None)
        return UserError(message)

    # ----------------------------------------------------------------- locks
    def _omni_try_lock(self, kind):
        """Serialize one kind of work per channel across every process.

        A transaction-level advisory lock: released at commit or rollback,
        never blocks users editing the channel.
        """
        self.ensure_one()
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)",
            [LOCK_NAMESPACE + LOCK_KINDS[kind], self.id],
        )
        return self.env.cr.fetchone()[0]

    def _omni_lock_or_retry(self, kind):
        if not self._omni_try_lock(kind):
            raise RetryableJobError(
                f"Another {kind} sync of channel {self.id} is running",
                seconds=1,
                ignore_retry=True,
            )

    # ------------------------------------------------------------- enqueueing
    def _omni_enqueue(self, kind):
        """Ask for one coalesced push; a waiting job with the same key absorbs it."""
        method = {"stock": "_omni_push_stock", "price": "_omni_push_prices"}[kind]
        for channel in self:
            # the job list is read by the channel's responsible
            _ = channel._omni_in_responsible_lang().env._
            label = {
                "stock": _("Push stock to %(channel)s", channel=channel.name),
                "price": _("Push prices to %(channel)s", channel=channel.name),
            }[kind]
            delayable = channel.with_delay(
                priority=PRIORITY[kind],
                eta=channel.sync_delay or None,
                identity_key=channel._job_key(kind),
                description=label,
            )
            getattr(delayable, method)()

    # ------------------------------------------------------- stock: the truth
    def _omni_available_to_sell(self, products):
        """On hand in the channel's warehouses minus outgoing demand, per product.

        Outgoing demand is every move not yet done that leaves those
        warehouses, reserved or not. Two grouped queries for the whole batch.
        Quantities are in the product's unit of measure, before quantity rules.
        """
        self.ensure_one()
        product_ids = list(products.ids if hasattr(products, "ids") else products)
        result = dict.fromkeys(product_ids, 0.0)
        paths = [f"{w.view_location_id.parent_path}%" for w in self.warehouse_ids]
        if not product_ids or not paths:
            return result
        cr = self.env.cr
        cr.execute(
            """
            SELECT q.product_id, SUM(q.quantity)
              FROM stock_quant q
              JOIN stock_location l ON l.id = q.location_id
             WHERE q.product_id = ANY(%s)
               AND l.usage = 'internal'
               AND l.parent_path LIKE ANY(%s)
             GROUP BY q.product_id
            """,
            [product_ids, paths],
        )
        for product_id, qty in cr.fetchall():
            result[product_id] += qty or 0.0
        cr.execute(
            """
            SELECT m.product_id, SUM(m.product_qty)
              FROM stock_move m
              JOIN stock_location s ON s.id = m.location_id
              JOIN stock_location d ON d.id = m.location_dest_id
             WHERE m.product_id = ANY(%s)
               AND m.state IN ('waiting', 'confirmed', 'partially_available', 'assigned')
               AND s.parent_path LIKE ANY(%s)
               AND NOT (d.parent_path LIKE ANY(%s))
             GROUP BY m.product_id
            """,
            [product_ids, paths, paths],
        )
        for product_id, qty in cr.fetchall():
            result[product_id] -= qty or 0.0
        return result

    def _omni_channel_rules(self):
        self.ensure_one()
        return QtyRules(
            buffer=self.qty_buffer,
            zero_at=self.qty_zero_at,
            maximum=self.qty_max,
            percent=self.qty_percent,
        )

    def _omni_dirty_rows(self, kind):
        """Bindings of this channel with changes to send, as plain rows (no ORM cache).

        The fourth column is the highest change id read: results clear
        changes up to it only (compare-and-set).
        """
        self.ensure_one()
        last, date = ("last_qty", "last_stock_date") if kind == "stock" else (
            "last_price", "last_price_date")
        query = SQL(
            """
            SELECT b.id, b.product_id, COALESCE(NULLIF(b.external_id, ''), b.sku),
                   ch.seq, b.%(last)s, b.%(date)s IS NULL,
                   b.override_rules, b.qty_buffer, b.qty_zero_at, b.qty_max,
                   b.qty_percent
              FROM (SELECT product_id, max(id) AS seq FROM omni_binding_change
                     WHERE channel_id = %(channel)s AND kind = %(kind)s
                     GROUP BY product_id) ch
              JOIN omni_product_binding b
                ON b.channel_id = %(channel)s AND b.product_id = ch.product_id AND b.active
              JOIN product_product p ON p.id = b.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE %(storable)s
             ORDER BY b.id
            """,
            last=SQL.identifier(last),
            date=SQL.identifier(date),
            channel=self.id,
            kind=kind,
            storable=SQL("t.is_storable") if kind == "stock" else SQL("TRUE"),
        )
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    def _omni_plan_stock(self, batch_limit):
        rows = self._omni_dirty_rows("stock")
        available = self._omni_available_to_sell([row[1] for row in rows])
        default = self._omni_channel_rules()
        items = []
        for bid, pid, key, seq, last, never, override, buf, zero, mx, pct in rows:
            rules = QtyRules(buf, zero, mx, pct) if override else default
            items.append(
                DirtyItem(bid, key, seq, None if never else last, available[pid], rules)
            )
        return plan_stock(items, batch_limit, default)

    def _omni_plan_prices(self, batch_limit, price_digits=None):
        rows = self._omni_dirty_rows("price")
        products = self.env["product.product"].browse([row[1] for row in rows])
        prices = self.pricelist_id._get_products_price(products, 1.0) if products else {}
        prices = self._omni_gross_prices(products, prices)
        items = [
            DirtyItem(bid, key, seq, None if never else last, prices.get(pid, 0.0))
            for bid, pid, key, seq, last, never, *_rest in rows
        ]
        return plan_prices(
            items, batch_limit, self.currency_id.decimal_places or 2, price_digits=price_digits
        )

    def _omni_excluded_taxes(self, taxes):
        """The taxes a price does not include yet, if this channel's prices include them."""
        if not self.prices_include_tax:
            return taxes.browse()
        return taxes._filter_taxes_by_company(self.company_id).filtered(
            lambda tax: not tax.price_include
        )

    def _omni_gross_prices(self, products, prices):
        """Pricelist prices with the taxes the buyer pays on top of them."""
        gross = dict(prices)
        for product in products:
            taxes = self._omni_excluded_taxes(product.taxes_id)
            if taxes and product.id in gross:
                gross[product.id] = taxes.compute_all(
                    gross[product.id], self.currency_id, 1.0, product
                )["total_included"]
        return gross

    def _omni_net_price(self, line, paid):
        """A sale order line's unit price for the price the buyer paid, taxes included."""
        taxes = self._omni_excluded_taxes(line.tax_id)
        if not taxes:
            return paid
        return taxes.with_context(force_price_include=True).compute_all(
            paid, line.currency_id, 1.0, line.product_id, line.order_id.partner_id
        )["total_excluded"]

    # --------------------------------------------------------------- pushing
    def _omni_push_stock(self):
        """Job: push changed quantities of this channel (serialized per channel)."""
        self.ensure_one()
        if not (self.active and self.sync_stock):
            return "stock sync is off"
        self._omni_lock_or_retry("stock")
        return self._omni_push("stock")

    def _omni_push_prices(self):
        """Job: push changed prices of this channel (serialized per channel)."""
        self.ensure_one()
        if not (self.active and self.sync_price and self.pricelist_id):
            return "price sync is off"
        self._omni_lock_or_retry("price")
        return self._omni_push("price")

    def _omni_push(self, kind, in_job=True):
        Binding = self.env["omni.product.binding"]
        sent = 0
        with self._omni_session() as adapter:
            if kind == "stock":
                plan = self._omni_plan_stock(adapter.batch_limit)
                push = adapter.push_stock
            else:
                plan = self._omni_plan_prices(adapter.batch_limit, adapter.price_digits)
                push = adapter.push_prices
            Binding._omni_record_unchanged(kind, plan.unchanged)
            for batch in plan.to_push:
                try:
                    result = push([update for _item, update in batch])
                except cerr.OmniConnectorError as err:
                    self._omni_note_failure(kind, err)
                    raise self._omni_translate_error(err, in_job) from err
                Binding._omni_record_pushed(kind, batch, result)
                sent += len(batch)
        self._omni_note_success(kind, outside=True)
        self._omni_follow_up(kind)
        return f"{kind}: {sent} sent in {plan.requests} requests, {len(plan.unchanged)} unchanged"

    def _omni_note_success(self, kind, outside=False, **values):
        """Stamp the last success of ``kind`` and clear its error.

        ``outside``: in a transaction of its own, for work whose results are
        themselves committed as they go (pushes); otherwise in the job's
        transaction, true only if it commits (order import and its cursor).
        Each kind has its own status row: no two kinds ever write one row.
        """
        def stamp(channel):
            channel.env["omni.channel.status"]._omni_set(
                channel, kind, last_success=fields.Datetime.now(), last_error=None, **values
            )

        if outside:
            self.env["omni.sync.event"]._omni_write_outside(self, stamp)
        else:
            stamp(self)

    def _omni_in_responsible_lang(self):
        """The channel in the language of its responsible, who reads its messages.

        Jobs run as whoever queued them (often the scheduler, in English).
        """
        self.ensure_one()
        lang = self.user_id.lang or self.env.user.lang
        return self.with_context(lang=lang) if lang else self

    def _omni_note_failure(self, kind, err):
        """Keep the failure visible although the job's transaction rolls back."""
        channel = self._omni_in_responsible_lang()
        kinds = dict(
            self.env["omni.channel.status"]._fields["kind"]._description_selection(channel.env)
        )
        message = f"{kinds[kind]}: {channel._omni_error_text(err)}"
        self.env["omni.sync.event"]._omni_write_outside(
            self,
            lambda channel: channel.env["omni.channel.status"]._omni_set(
                channel, kind, last_error=message, last_error_date=fields.Datetime.now()
            ),
        )

    # ------------------------------------------------------------ buttons
    def action_test_connection(self):
        self.ensure_one()
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

    def action_sync_stock_now(self):
        self.env["omni.product.binding"].search(
            [("channel_id", "in", self.ids), ("sync_state", "=", "error")]
        )._omni_mark_dirty(("stock",))
        self._omni_enqueue("stock")
        return self._omni_notify_queued(self.env._("Stock push queued."))

    def action_sync_prices_now(self):
        self.env["omni.product.binding"].search(
            [("channel_id", "in", self.ids), ("sync_state", "=", "error")]
        )._omni_mark_dirty(("price",))
        self._omni_enqueue("price")
        return self._omni_notify_queued(self.env._("Price push queued."))

    def action_full_resync(self):
        """Forget what was last sent and send everything again."""
        Binding = self.env["omni.product.binding"]
        bindings = Binding.search([("channel_id", "in", self.ids)])
        bindings.write({"last_stock_date": False, "last_price_date": False})
        Binding._omni_all_of_channels(self, ("stock", "price"))
        for channel in self:
            channel.message_post(
                body=self.env._(
                    "Full resync requested for %(count)s products.",
                    count=len(bindings.filtered(lambda b, c=channel: b.channel_id == c)),
                )
            )
        return self._omni_notify_queued(self.env._("Full resync queued."))

    def _omni_enqueue_import(self, eta=None, hurry=False):
        """One waiting import per channel: its identity key absorbs the others.

        ``hurry``: if the next poll waits for later, it runs now instead.
        """
        if hurry:
            self.env["queue.job"].sudo().search([
                ("identity_key", "in", [channel._job_key("orders") for channel in self]),
                ("state", "=", "pending"),
                ("eta", ">", fields.Datetime.now()),
            ]).write({"eta": False})
        for channel in self:
            channel.with_delay(
                priority=PRIORITY["orders"],
                eta=eta,
                identity_key=channel._job_key("orders"),
                description=channel._omni_in_responsible_lang().env._(
                    "Import orders from %(channel)s", channel=channel.name
                ),
            )._omni_import_orders()

    def action_import_orders_now(self):
        self._omni_enqueue_import(hurry=True)
        return self._omni_notify_queued(self.env._("Order import queued."))

    def action_reconcile_now(self):
        for channel in self:
            channel.with_delay(
                priority=PRIORITY["reconcile"],
                identity_key=channel._job_key("reconcile"),
                description=channel._omni_in_responsible_lang().env._(
                    "Check stock shown on %(channel)s", channel=channel.name
                ),
            )._omni_reconcile()
        return self._omni_notify_queued(self.env._("Stock check queued."))

    # ---------------------------------------------------------- list actions
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

    # ----------------------------------------------------------- crons
    def _omni_drop_stale_changes(self, kind=None):
        """Forget changes nobody will send: binding removed or archived, product
        no longer tracking inventory, channel without a pricelist. Of these
        channels and kind, or of all when called on no channel."""
        scope = (
            SQL("ch.channel_id = ANY(%s) AND ch.kind = %s", self.ids, kind)
            if self else SQL("TRUE")
        )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM omni_binding_change ch
                 WHERE %s AND NOT EXISTS (
                       SELECT 1 FROM omni_product_binding b
                         JOIN omni_channel c ON c.id = b.channel_id
                         JOIN product_product p ON p.id = b.product_id
                         JOIN product_template t ON t.id = p.product_tmpl_id
                        WHERE b.channel_id = ch.channel_id AND b.product_id = ch.product_id
                          AND b.active AND c.active
                          AND (CASE WHEN ch.kind = 'stock' THEN c.sync_stock AND t.is_storable
                                    ELSE c.sync_price AND c.pricelist_id IS NOT NULL END))
                """,
                scope,
            )
        )

    def _omni_follow_up(self, kind):
        """Queue the next push for changes this one could not see.

        A transaction that asked for a push just as this job was starting had
        its request absorbed by this job's identity key, yet commits after this
        job took its snapshot: its changes are still waiting. Looked for in a
        fresh transaction, they get a job of their own at once (this one has
        started, so the key no longer absorbs them) instead of waiting for the
        next change or the sweeper.
        """

        def check(channel):
            channel._omni_drop_stale_changes(kind)
            channel.env.cr.execute(
                "SELECT 1 FROM omni_binding_change WHERE channel_id = %s AND kind = %s LIMIT 1",
                [channel.id, kind],
            )
            if channel.env.cr.fetchone():
                channel._omni_enqueue(kind)

        self.env["omni.sync.event"]._omni_write_outside(self, check)

    @api.model
    def _cron_sweep(self):
        """Safety net: a channel with dirty bindings and no waiting job gets one.

        Covers a change committed at the very moment a job started, and jobs
        lost with a database restore.
        """
        self.browse()._omni_drop_stale_changes()
        for kind in ("stock", "price"):
            self.env.cr.execute(
                """
                SELECT DISTINCT ch.channel_id FROM omni_binding_change ch
                  JOIN omni_channel c ON c.id = ch.channel_id
                 WHERE ch.kind = %s AND c.active
                   AND NOT EXISTS (
                       SELECT 1 FROM queue_job j
                        WHERE j.identity_key = 'omni:' || c.id || ':' || %s
                          AND j.state IN ('pending', 'enqueued', 'started'))
                """,
                [kind, kind],
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if ids:
                self.browse(ids)._omni_enqueue(kind)

    @api.model
    def _cron_import_orders(self):
        """Every minute: import, and restart a polling loop that stopped."""
        self.search([("sync_orders", "=", True)])._omni_enqueue_import()

    @api.model
    def _cron_reconcile(self):
        self.search([("sync_stock", "=", True)]).action_reconcile_now()

    # ------------------------------------------------------------ orders in
    def _omni_import_orders(self):
        """Job: fetch new and changed orders, store them raw, map each in its own job."""
        self.ensure_one()
        if not (self.active and self.sync_orders):
            return "order import is off"
        self._omni_lock_or_retry("orders")
        ExternalOrder = self.env["omni.external.order"]
        received = changed = 0
        partial = ""
        cursor = self.sudo().order_cursor or None
        with self._omni_session() as adapter:
            for page in range(100):  # bounded: 100 pages per run, the next run goes on
                try:
                    batch = adapter.fetch_orders(cursor)
                except cerr.OmniConnectorError as err:
                    if page == 0:
                        self._omni_note_failure("orders", err)
                        raise self._omni_translate_error(err, in_job=True) from err
                    # keep the pages already stored; the next run continues
                    partial = f"; stopped early: {err}"
                    break
                records = ExternalOrder._omni_store(self, batch.orders)
                received += len(batch.orders)
                changed += len(records)
                records._omni_enqueue_processing()
                cursor = batch.cursor or cursor
                if not batch.has_more:
                    break
        # the cursor moves in the same transaction as the orders it covers
        self._omni_note_success("orders", cursor=cursor)
        if self.order_poll_interval > 0:
            # the next poll; this job has started, so its key does not absorb it
            self._omni_enqueue_import(eta=self.order_poll_interval)
        return f"{received} received, {changed} new or changed{partial}"

    # -------------------------------------------------------- reconciliation
    def _omni_reconcile(self):
        """Job: read back what the channel shows and repair drift."""
        self.ensure_one()
        self._omni_lock_or_retry("reconcile")
        Binding = self.env["omni.product.binding"]
        with self._omni_session() as adapter:
            if not adapter.can_read_stock:
                return "the channel cannot report its stock"
            try:
                remote = {offer.key: offer for offer in adapter.list_offers()}
            except cerr.OmniConnectorError as err:
                raise self._omni_translate_error(err, in_job=True) from err
        bindings = Binding.search([("channel_id", "=", self.id), ("active", "=", True),
                                   ("product_id.is_storable", "=", True)])
        available = self._omni_available_to_sell(bindings.product_id)
        default = self._omni_channel_rules()
        drift, missing = Binding.browse(), Binding.browse()
        shown = {}
        for binding in bindings:
            offer = remote.get(binding.external_id or binding.sku)
            if offer is None:
                missing |= binding
                continue
            rules = binding._omni_rules() or default
            expected = rules.apply(available[binding.product_id.id])
            if offer.quantity is not None and int(offer.quantity) != expected:
                drift |= binding
                shown[binding.id] = int(offer.quantity)
        not_shown = self.env._("The channel does not show this offer.")

        def record(model):
            # like push results, in a transaction of its own: binding rows are
            # written by sync jobs only outside their main transaction
            for binding in model.browse(list(shown)):
                binding.write({"last_qty": shown[binding.id]})
            model.browse(missing.ids).write({"sync_state": "error", "last_error": not_shown})

        self.env["omni.sync.event"]._omni_write_outside(Binding, record)
        if drift:
            drift._omni_mark_dirty(("stock",))
        self.message_post(
            body=self.env._(
                "Stock check: %(checked)s products compared, %(drift)s differed and "
                "were queued for correction, %(missing)s not found on the channel.",
                checked=len(bindings), drift=len(drift), missing=len(missing),
            )
        )
        self._omni_note_success("reconcile")
        return f"{len(bindings)} checked, {len(drift)} drifted, {len(missing)} missing"

    # -------------------------------------------------------------- defaults
    def _register_hook(self):
        """Know every channel's secrets from the start, to mask them in logs."""
        res = super()._register_hook()
        self.env.cr.execute("SELECT 1 FROM pg_tables WHERE tablename = 'omni_channel'")
        if self.env.cr.fetchone():
            for channel in self.with_context(active_test=False).sudo().search([]):
                log_redaction.remember_secrets(channel._omni_secrets())
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            log_redaction.remember_secrets(
                str(vals[name]) for name in self._omni_secret_fields() if vals.get(name)
            )
        channels = super().create(vals_list)
        for channel in channels.filtered(lambda c: not c.warehouse_ids):
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", channel.company_id.id)], limit=1
            )
            channel.warehouse_ids = warehouse
        return channels

    def write(self, vals):
        log_redaction.remember_secrets(
            str(vals[name]) for name in self._omni_secret_fields() if vals.get(name)
        )
        res = super().write(vals)
        rule_fields = {"qty_buffer", "qty_zero_at", "qty_max", "qty_percent",
                       "warehouse_ids", "sync_stock", "active"}
        Binding = self.env["omni.product.binding"]
        if rule_fields & set(vals):
            Binding._omni_all_of_channels(self, ("stock",))
        if {"pricelist_id", "sync_price", "active", "prices_include_tax"} & set(vals):
            Binding._omni_all_of_channels(self, ("price",))
        return res
