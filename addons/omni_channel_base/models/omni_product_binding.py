from odoo import api, fields, models
from odoo.tools import SQL

from omni_connectors.core.planner import QtyRules

from .. import tools

PRECOMMIT_KEY = "omni.changed_products"


def _offer_keys(offer, sku_first=False):
    """Every key a remote offer may be known by, most specific first (or its SKU first)."""
    first = (offer.sku, offer.key) if sku_first else (offer.key, offer.sku)
    keys = [*first, *(offer.alt_keys or ())]
    return [str(key) for key in dict.fromkeys(keys) if key]


class OmniProductBinding(models.Model):
    _name = "omni.product.binding"
    _description = "Product on a Channel"
    _order = "channel_id, id"
    _rec_name = "product_id"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "omni.channel", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    external_id = fields.Char(
        "External ID", index=True, copy=False,
        help="The channel's own id of the offer, when it has one.",
    )
    sku = fields.Char(
        "SKU / Offer ID",
        index=True,
        copy=False,
        help="The key the channel knows the offer by; order lines are matched on it.",
    )
    active = fields.Boolean(default=True)
    # overrides of the channel's quantity rules
    override_rules = fields.Boolean("Own Quantity Rules")
    qty_buffer = fields.Float("Safety Buffer")
    qty_zero_at = fields.Float("Show Zero At or Below")
    qty_max = fields.Integer("Maximum Shown")
    qty_percent = fields.Float("Percentage Shown", default=100.0)
    # what the channel was last sent
    last_qty = fields.Integer("Last Quantity Sent", readonly=True, copy=False)
    last_stock_date = fields.Datetime("Stock Sent On", readonly=True, copy=False)
    last_price = fields.Float(
        "Last Price Sent", digits="Product Price", readonly=True, copy=False
    )
    last_price_date = fields.Datetime("Price Sent On", readonly=True, copy=False)
    # changes waiting to be sent live in omni.binding.change (see there why)
    stock_dirty = fields.Boolean(
        "Stock to Send", compute="_compute_dirty", search="_search_stock_dirty"
    )
    price_dirty = fields.Boolean(
        "Price to Send", compute="_compute_dirty", search="_search_price_dirty"
    )
    sync_state = fields.Selection(
        [("new", "Not sent yet"), ("ok", "In sync"), ("error", "Failed")],
        default="new",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    last_error = fields.Text(readonly=True, copy=False)
    push_blocker = fields.Char(
        "Not Sent Because",
        compute="_compute_push_blocker",
        help="Why this product's stock is never sent to the channel as it is.",
    )
    error_count = fields.Integer(readonly=True, copy=False)

    _sql_constraints = [
        ("channel_product_uniq", "unique(channel_id, product_id)",
         "This product is already on this channel."),
        ("channel_external_uniq", "unique(channel_id, external_id)",
         "Another product of this channel already has this external ID."),
        ("channel_sku_uniq", "unique(channel_id, sku)",
         "Another product of this channel already has this SKU."),
    ]

    @api.depends("product_id", "channel_id")
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = (
                f"{binding.channel_id.name or ''} / {binding.product_id.display_name or ''}"
            )

    @api.depends("product_id.active", "product_id.is_storable", "channel_id.sync_stock")
    def _compute_push_blocker(self):
        for binding in self:
            product = binding.product_id.with_context(active_test=False)
            if not product:
                binding.push_blocker = False
            elif not product.active:
                binding.push_blocker = self.env._(
                    "The product is archived: the channel is shown 0."
                )
            elif not product.is_storable:
                binding.push_blocker = self.env._(
                    "The product does not track inventory: no stock is sent. Set it to "
                    "track inventory to sell it by stock."
                )
            else:
                binding.push_blocker = False

    def _compute_dirty(self):
        pending = {"stock": set(), "price": set()}
        if self.ids:
            self.env.cr.execute(
                """
                SELECT DISTINCT b.id, ch.kind
                  FROM omni_product_binding b
                  JOIN omni_binding_change ch
                    ON ch.channel_id = b.channel_id AND ch.product_id = b.product_id
                 WHERE b.id = ANY(%s)
                """,
                [self.ids],
            )
            for binding_id, kind in self.env.cr.fetchall():
                pending[kind].add(binding_id)
        for binding in self:
            binding.stock_dirty = binding.id in pending["stock"]
            binding.price_dirty = binding.id in pending["price"]

    def _search_dirty(self, kind, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(operator)
        # a subquery in parentheses: the domain writes "id IN <query>" as it is
        query = SQL(
            """
            (SELECT b.id FROM omni_product_binding b
              WHERE EXISTS (SELECT 1 FROM omni_binding_change ch
                             WHERE ch.channel_id = b.channel_id
                               AND ch.product_id = b.product_id AND ch.kind = %s))
            """,
            kind,
        )
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", query)]

    def _search_stock_dirty(self, operator, value):
        return self._search_dirty("stock", operator, value)

    def _search_price_dirty(self, operator, value):
        return self._search_dirty("price", operator, value)

    # ------------------------------------------------------------ the binder
    # The one place that says under which key a channel knows an offer and
    # how a binding is found from any key a channel sends (OCA connector's
    # binder). Pushes, reconciliation, order lines and the match wizard all
    # go through it.
    @api.model
    def _omni_key_fields(self, channel):
        """The binding fields holding the channel's key of an offer, by preference."""
        return channel._omni_offer_key_fields()

    def _omni_key(self):
        """The key this binding's offer is pushed under: the first key field set."""
        self.ensure_one()
        for name in self._omni_key_fields(self.channel_id):
            if self[name]:
                return self[name]
        return ""

    @api.model
    def _omni_key_sql(self, channel, alias="b"):
        """:meth:`_omni_key` as an SQL expression on the binding table aliased ``alias``."""
        return SQL(
            "COALESCE(%s)",
            SQL(", ").join(
                SQL("NULLIF(%s, '')", SQL.identifier(alias, name))
                for name in self._omni_key_fields(channel)
            ),
        )

    @api.model
    def _omni_find_by_keys(self, channel, keys, active_test=True):
        """``{key: binding}`` for each of ``keys`` that a binding of ``channel`` holds.

        A key held by one binding as its first key field and by another as a
        later one finds the first.
        """
        keys = sorted({str(key) for key in keys if key})
        names = self._omni_key_fields(channel)
        if not keys:
            return {}
        domain = [("channel_id", "=", channel.id)]
        domain += ["|"] * (len(names) - 1) + [(name, "in", keys) for name in names]
        found = {}
        bindings = self.with_context(active_test=active_test).search(domain, order="id")
        for name in reversed(names):  # earlier fields win
            for binding in bindings:
                if binding[name] in keys:
                    found[binding[name]] = binding
        return found

    @api.model
    def _omni_match_offers(self, channel, offers, active_test=True):
        """``{binding id: offer}`` for the offers that a binding of ``channel`` holds.

        An offer is found by its key, its SKU or any of its other keys
        (``RemoteOffer.alt_keys``: Prom's id and external id, Rozetka's item
        id and article).
        """
        offers = list(offers)
        by_key = self._omni_find_by_keys(
            channel, [key for offer in offers for key in _offer_keys(offer)], active_test
        )
        matched = {}
        for offer in offers:
            for key in _offer_keys(offer):
                binding = by_key.get(key)
                if binding and binding.id not in matched:
                    matched[binding.id] = offer
                    break
        return matched

    def _omni_rules(self):
        self.ensure_one()
        if not self.override_rules:
            return None
        return QtyRules(self.qty_buffer, self.qty_zero_at, self.qty_max, self.qty_percent)

    # ------------------------------------------------------------- CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("sku") and vals.get("product_id"):
                product = self.env["product.product"].browse(vals["product_id"])
                vals["sku"] = product.default_code or False
        bindings = super().create(vals_list)
        bindings._omni_mark_dirty(("stock", "price"))
        return bindings

    def write(self, vals):
        res = super().write(vals)
        if {"external_id", "sku", "active", "product_id", "override_rules", "qty_buffer",
                "qty_zero_at", "qty_max", "qty_percent"} & set(vals):
            self._omni_mark_dirty(("stock", "price"))
        return res

    # -------------------------------------------------- marking dirty (cheap)
    def _omni_mark_dirty(self, kinds=("stock", "price")):
        """Note a change of these bindings and ask for one coalesced push per channel."""
        if not self:
            return
        for kind in kinds:
            channel_ids = self._omni_note_changes(kind, SQL("b.id = ANY(%s)", self.ids))
            self.env["omni.channel"].browse(channel_ids)._omni_enqueue(kind)

    @api.model
    def _omni_note_changes(self, kind, where):
        """One INSERT for all matching bindings of syncing channels.

        Only inserts: a user's transaction never updates a row a push job
        writes, so it cannot conflict with one. Returns the channel ids.
        """
        if kind == "stock":
            # only products that track inventory have a stock to send
            applies = SQL(
                "c.sync_stock AND EXISTS (SELECT 1 FROM product_product p"
                " JOIN product_template t ON t.id = p.product_tmpl_id"
                " WHERE p.id = b.product_id AND t.is_storable)"
            )
        else:
            applies = SQL("c.sync_price AND c.pricelist_id IS NOT NULL")
        # the query reads these columns: what the ORM holds for them goes first
        # (a channel whose price sync was just switched on, a binding just archived)
        self.env["omni.channel"].flush_model(["active", "sync_stock", "sync_price", "pricelist_id"])
        self.flush_model(["channel_id", "product_id", "active"])
        self.env["product.template"].flush_model(["is_storable"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO omni_binding_change (channel_id, product_id, kind)
                SELECT b.channel_id, b.product_id, %(kind)s
                  FROM omni_product_binding b
                  JOIN omni_channel c ON c.id = b.channel_id
                 WHERE %(where)s AND b.active AND c.active AND %(applies)s
                RETURNING channel_id
                """,
                kind=kind,
                where=where,
                applies=applies,
            )
        )
        channel_ids = sorted({row[0] for row in self.env.cr.fetchall()})
        self.invalidate_model(["stock_dirty", "price_dirty"])
        return channel_ids

    @api.model
    def _omni_products_changed(self, products, kinds=("stock",)):
        """Note that these products changed; flagged once at the end of the transaction.

        Called from stock moves, quants, prices...: however many calls a
        transaction makes, the bindings get one UPDATE per kind and each
        channel one job request, just before commit.
        """
        product_ids = products.ids if hasattr(products, "ids") else list(products)
        if not product_ids:
            return
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PRECOMMIT_KEY)
        if pending is None:
            pending = precommit.data[PRECOMMIT_KEY] = {"stock": set(), "price": set()}
            env = self.sudo().env

            @precommit.add
            def _omni_flush_changes():
                data = precommit.data.pop(PRECOMMIT_KEY, None) or {}
                env["omni.product.binding"]._omni_flush_products(data)

        for kind in kinds:
            pending[kind].update(product_ids)

    @api.model
    def _omni_flush_products(self, data):
        for kind in ("stock", "price"):
            product_ids = sorted(data.get(kind) or ())
            if not product_ids:
                continue
            channel_ids = self._omni_note_changes(
                kind, SQL("b.product_id = ANY(%s)", product_ids)
            )
            self.env["omni.channel"].browse(channel_ids)._omni_enqueue(kind)
        self.env.flush_all()

    @api.model
    def _omni_all_of_channels(self, channels, kinds):
        for kind in kinds:
            channel_ids = self._omni_note_changes(
                kind, SQL("b.channel_id = ANY(%s)", channels.ids)
            )
            self.env["omni.channel"].browse(channel_ids)._omni_enqueue(kind)

    # ------------------------------------------- recording results (the job)
    def _omni_apply_results(self, kind, rows):
        """Write what was sent and drop the changes it covered.

        ``rows`` are (binding id, highest change id read, value sent or None,
        error or None[, note]). Only changes up to the id read are dropped: one
        that arrived during the push stays and is sent by the next job. A note
        (the channel holds the value for a person) is shown like an error on a
        binding that is in sync.
        """
        if not rows:
            return
        last, date = ("last_qty", "last_stock_date") if kind == "stock" else (
            "last_price", "last_price_date")
        rows = [tuple(row) + (None,) * (5 - len(row)) for row in rows]
        ids, seqs, values, errors, notes = (list(col) for col in zip(*rows, strict=True))
        values_sql = SQL(
            """
            SELECT unnest(%s::int[]) AS id, unnest(%s::bigint[]) AS seq,
                   unnest(%s::numeric[]) AS val, unnest(%s::text[]) AS err,
                   unnest(%s::text[]) AS note
            """,
            ids, seqs, values, errors, notes,
        )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM omni_binding_change ch
                 USING omni_product_binding b, (%(values)s) v
                 WHERE b.id = v.id AND ch.channel_id = b.channel_id
                   AND ch.product_id = b.product_id AND ch.kind = %(kind)s
                   AND ch.id <= v.seq
                """,
                values=values_sql,
                kind=kind,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE omni_product_binding b
                   SET %(last)s = CASE WHEN v.err IS NULL THEN COALESCE(v.val, b.%(last)s)
                                       ELSE b.%(last)s END,
                       %(date)s = CASE WHEN v.err IS NULL AND v.val IS NOT NULL
                                       THEN now() AT TIME ZONE 'UTC' ELSE b.%(date)s END,
                       sync_state = CASE WHEN v.err IS NULL THEN 'ok' ELSE 'error' END,
                       last_error = COALESCE(v.err, v.note),
                       error_count = CASE WHEN v.err IS NULL THEN 0
                                          ELSE b.error_count + 1 END
                  FROM (%(values)s) v
                 WHERE b.id = v.id
                   AND (v.val IS NOT NULL OR v.err IS NOT NULL OR b.sync_state != 'ok'
                        OR b.%(date)s IS NULL OR b.last_error IS NOT NULL)
                """,
                last=SQL.identifier(last),
                date=SQL.identifier(date),
                values=values_sql,
            )
        )
        self.invalidate_model()

    @api.model
    def _omni_write_results(self, kind, rows):
        """Results of a push, in a transaction of their own that does not wait for the disk.

        Asynchronous commit: visible to everyone at once, and flushed to
        disk at the latest by the job's own commit a moment later. Lost only
        if the server crashes before that, when the job is run again and
        sends the same absolute values once more.
        """
        def write(model):
            model.env.cr.execute("SET LOCAL synchronous_commit TO OFF")
            model._omni_apply_results(kind, rows)

        if rows:
            tools.write_outside(self, write)

    @api.model
    def _omni_record_unchanged(self, kind, items):
        self._omni_write_results(kind, [(item.binding_id, item.seq, None, None) for item in items])

    @api.model
    def _omni_record_pushed(self, kind, batch, result):
        # "unchanged": the channel already shows the value, as good as applied
        accepted = {str(key) for key in (*result.accepted, *result.unchanged)}
        pending = {str(key): reason for key, reason in result.pending.items()}
        rows = []
        for item, update in batch:
            value = update.quantity if kind == "stock" else update.price
            key = str(update.key)
            if key in result.rejected:
                rows.append((item.binding_id, item.seq, None, str(result.rejected[key])))
            elif key in pending:
                # sent, held by the channel for a person: resending would only queue it again
                note = self.env._(
                    "The channel holds this change until it is confirmed there: %(reason)s",
                    reason=pending[key],
                )
                rows.append((item.binding_id, item.seq, value, None, note))
            elif key in accepted:
                rows.append((item.binding_id, item.seq, value, None))
            else:
                rows.append((item.binding_id, item.seq, None,
                             self.env._("The channel did not confirm this update.")))
        self._omni_write_results(kind, rows)

    # ------------------------------------------------------------ buttons
    def action_retry(self):
        self.write({"sync_state": "new", "last_error": False})
        self._omni_mark_dirty(("stock", "price"))
        return True
