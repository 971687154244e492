import logging
import time

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import errors as cerr
from omni_connectors.core.planner import DirtyItem, QtyRules, plan_prices, plan_stock

from .. import tools
from .omni_channel import PRIORITY

_logger = logging.getLogger(__name__)

#: postcommit data: push requests to make once the transaction has committed
ENQUEUE_KEY = "omni.enqueue"

#: seconds a push waits for the channel's running push before trying again later
LOCK_WAIT = 5.0
#: least seconds between the starts of two pushes of one channel and kind: under
#: load the changes of that time go in one push (readme, "push at once")
PUSH_MIN_INTERVAL = 0.25


class OmniChannel(models.Model):
    """Stock and prices out: planning, pushing, follow-ups and reconciliation.

    Users' transactions only note changes (``omni.binding.change``); one
    coalesced job per channel and kind reads them, computes what to send
    and pushes it, serialized per channel by an advisory lock.
    """

    _inherit = "omni.channel"

    def _omni_enqueue(self, kind):
        """Ask for one push of ``kind`` per channel, once this transaction has committed.

        Asked before the commit, the request could be absorbed (identity key)
        by a push that is waiting, as the transaction's old snapshot sees it,
        and that then starts, or even ends, before the changes are committed:
        it would not see them, and nothing would send them until the next
        change or the sweeper. Asked after the commit, in a transaction of its
        own, a push it joins has not started yet, so it sees every change.
        A crash between the commit and the request leaves the changes to the
        sweeper. In tests (one transaction) the request is made at once.
        """
        if not self:
            return
        if tools.same_transaction(self.env):
            self._omni_enqueue_now(kind)
            return
        postcommit = self.env.cr.postcommit
        pending = postcommit.data.get(ENQUEUE_KEY)
        if pending is None:
            pending = postcommit.data[ENQUEUE_KEY] = {}
            registry = self.env.registry

            @postcommit.add
            def _omni_enqueue_after_commit():
                requests = postcommit.data.pop(ENQUEUE_KEY, None) or {}
                try:
                    with registry.cursor() as cr:
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        for (kind_, ), ids in sorted(requests.items()):
                            env["omni.channel"].browse(sorted(ids)).exists(
                            )._omni_enqueue_now(kind_)
                except Exception:  # the changes are committed: the sweeper sends them
                    _logger.exception("Pushes could not be queued; the sweeper will")

        pending.setdefault((kind,), set()).update(self.ids)

    def _omni_enqueue_now(self, kind):
        """Queue the push in this transaction; a job not yet started with the same
        key absorbs the request. A push that runs meanwhile is handled by
        :meth:`_omni_push_locked`. Nor is a push queued when one that will see
        this transaction's changes is on its way (:meth:`_omni_push_coming`)."""
        for channel in self - self._omni_push_coming(kind):
            if kind == "stock":
                channel._omni_delay(
                    "stock",
                    lambda _, c=channel: _("Push stock to %(channel)s", channel=c.name),
                    priority=PRIORITY["stock"],
                    eta=channel.sync_delay,
                )._omni_push_stock()
            else:
                channel._omni_delay(
                    "price",
                    lambda _, c=channel: _("Push prices to %(channel)s", channel=c.name),
                    priority=PRIORITY["price"],
                    eta=channel.sync_delay,
                )._omni_push_prices()

    def _omni_push_coming(self, kind):
        """The channels whose next push of ``kind`` begins planning after now.

        One waits for the channel's lock, or holds it and waits for its start
        (:meth:`_omni_push_pause`): it reads in a transaction begun after that,
        so it sends what was committed until now, and another job would only
        end at once (or wait for it). Under load this saves a job per change.
        """
        if not self:
            return self
        self.env.cr.execute(
            """
            SELECT c.id FROM unnest(%(ids)s::int[]) AS c(id)
             WHERE EXISTS (SELECT 1 FROM pg_locks l
                            WHERE l.locktype = 'advisory' AND NOT l.granted
                              AND l.classid = %(key)s AND l.objid = c.id AND l.objsubid = 2)
                OR EXISTS (SELECT 1 FROM omni_channel_status s
                            WHERE s.channel_id = c.id AND s.kind = %(kind)s
                              AND s.last_start > statement_timestamp() AT TIME ZONE 'UTC')
            """,
            {"ids": self.ids, "key": self[:1]._omni_lock_key(kind), "kind": kind},
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

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
            SELECT b.id, b.product_id, %(key)s,
                   ch.seq, b.%(last)s, b.%(date)s IS NULL,
                   b.override_rules, b.qty_buffer, b.qty_zero_at, b.qty_max,
                   b.qty_percent, p.active
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
            key=self.env["omni.product.binding"]._omni_key_sql(self, "b"),
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
        for bid, pid, key, seq, last, never, override, buf, zero, mx, pct, active in rows:
            rules = QtyRules(buf, zero, mx, pct) if override else default
            # an archived product is no longer sold: every channel shows 0
            quantity = available[pid] if active else 0.0
            items.append(DirtyItem(bid, key, seq, None if never else last, quantity, rules))
        return plan_stock(items, batch_limit, default)

    def _omni_plan_prices(self, batch_limit, price_digits=None):
        rows = self._omni_dirty_rows("price")
        products = self.env["product.product"].browse([row[1] for row in rows])
        prices = self._omni_pricelist_prices(products)
        prices = self._omni_gross_prices(products, prices)
        items = [
            DirtyItem(bid, key, seq, None if never else last, prices.get(pid, 0.0))
            for bid, pid, key, seq, last, never, *_rest in rows
        ]
        return plan_prices(
            items, batch_limit, self.currency_id.decimal_places or 2, price_digits=price_digits
        )

    def _omni_pricelist_prices(self, products):
        """The channel's pricelist price of each product, for one unit.

        Odoo's ``_get_products_price(products, 1.0)``, computed for all the
        products at once (``product.pricelist._omni_prices``): a full resync of
        50,000 products took seconds in Odoo's engine, product by product.
        """
        if not products:
            return {}
        return self.pricelist_id._omni_prices(products)

    def _omni_excluded_taxes(self, taxes):
        """The taxes a price does not include yet, if this channel's prices include them."""
        if not self.prices_include_tax:
            return taxes.browse()
        return taxes._filter_taxes_by_company(self.company_id).filtered(
            lambda tax: not tax.price_include
        )

    def _omni_gross_prices(self, products, prices):
        """Pricelist prices with the taxes the buyer pays on top of them.

        ``compute_all`` costs about a quarter of a millisecond: the taxes are
        computed once per group of products with the same taxes and the same
        price, which a catalogue has few of, and without the accounting data
        ``compute_all`` adds (``_omni_total_included_function``). Taxes whose
        result may depend on the product (anything but percent, division,
        fixed amounts and groups of them, e.g. Python code) go through
        ``compute_all`` product by product.
        """
        gross = dict(prices)
        if not self.prices_include_tax:
            return gross  # no tax is ever added on top (_omni_excluded_taxes)
        # ids, not 50,000 records: a record is made only for a group's first product
        wanted = [pid for pid in products.ids if pid in gross]
        if not wanted:
            return gross
        # the products' active taxes in one query, not through 50,000 records
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["account.tax"].flush_model(["active"])
        self.env.cr.execute(
            """
            SELECT p.id, array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL)
              FROM product_product p
              LEFT JOIN product_taxes_rel r ON r.prod_id = p.product_tmpl_id
              LEFT JOIN account_tax t ON t.id = r.tax_id AND t.active
             WHERE p.id = ANY(%s)
             GROUP BY p.id
            """,
            [wanted],
        )
        Tax = self.env["account.tax"]
        total_included = self._omni_total_included_function()
        excluded = {}  # tax ids of the product -> taxes to add
        per_group = {}  # (tax ids to add, price) -> gross price
        for product_id, tax_ids in self.env.cr.fetchall():
            ids = tuple(tax_ids or ())
            if ids not in excluded:
                taxes = self._omni_excluded_taxes(Tax.browse(ids))
                excluded[ids] = (taxes, self._omni_taxes_product_free(taxes),
                                 tuple(taxes.ids))
            taxes, product_free, taxes_key = excluded[ids]
            if not taxes:
                continue
            price = gross[product_id]
            if not product_free:
                product = products.browse(product_id).with_prefetch(products._prefetch_ids)
                gross[product_id] = taxes.compute_all(
                    price, self.currency_id, 1.0, product
                )["total_included"]
                continue
            key = (taxes_key, price)
            if key not in per_group:
                product = products.browse(product_id).with_prefetch(products._prefetch_ids)
                per_group[key] = total_included(taxes, price, product)
            gross[product_id] = per_group[key]
        return gross

    def _omni_total_included_function(self):
        """``total_included(taxes, price, product)``: what ``taxes.compute_all(price,
        currency, 1.0, product)["total_included"]`` gives, for taxes that do not
        depend on the product.

        ``compute_all`` computes the tax amounts (``_add_tax_details_in_base_line``)
        and then the accounting data of an invoice line (repartition lines,
        accounts, tags), which a price does not need and which is about two
        thirds of its cost: only the first part runs here, with the same base
        line, company, mode and rounding as ``compute_all``. When a module
        overrides one of these methods of Odoo's ``account`` module,
        ``compute_all`` itself runs.
        """
        Tax = self.env["account.tax"]
        cls = type(Tax)
        names = ("compute_all", "_prepare_base_line_for_taxes_computation",
                 "_add_tax_details_in_base_line")
        if any(not getattr(cls, name).__module__.startswith("odoo.addons.account.")
               for name in names):
            return lambda taxes, price, product: taxes.compute_all(
                price, self.currency_id, 1.0, product)["total_included"]
        context = Tax.env.context
        if "force_price_include" in context:
            special_mode = "total_included" if context["force_price_include"] else "total_excluded"
        else:
            special_mode = False
        round_base = context.get("round_base", True)
        companies = {}  # as compute_all finds it, once per set of taxes

        def total_included(taxes, price, product):
            if taxes not in companies:
                companies[taxes] = (taxes[0].company_id._accessible_branches()[:1]
                                    or taxes[0].company_id)
            company = companies[taxes]
            currency = self.currency_id or company.currency_id
            base_line = taxes._prepare_base_line_for_taxes_computation(
                None, partner_id=None, currency_id=currency, product_id=product,
                tax_ids=taxes, price_unit=price, quantity=1.0, is_refund=False,
                special_mode=special_mode,
            )
            taxes._add_tax_details_in_base_line(base_line, company, rounding_method=None)
            total = base_line["tax_details"]["raw_total_included_currency"]
            return currency.round(total) if round_base else total

        return total_included

    @api.model
    def _omni_taxes_product_free(self, taxes):
        """Whether these taxes give the same amounts whatever the product."""
        simple = {"percent", "division", "fixed"}
        for tax in taxes:
            if tax.amount_type == "group":
                if not self._omni_taxes_product_free(tax.children_tax_ids):
                    return False
            elif tax.amount_type not in simple:
                return False
        return True

    def _omni_push_stock(self):
        """Job: push changed quantities of this channel (serialized per channel)."""
        self.ensure_one()
        if not (self.active and self.sync_stock):
            return "stock sync is off"
        return self._omni_push_locked("stock")

    def _omni_push_prices(self):
        """Job: push changed prices of this channel (serialized per channel)."""
        self.ensure_one()
        if not (self.active and self.sync_price and self.pricelist_id):
            return "price sync is off"
        return self._omni_push_locked("price")

    def _omni_push_locked(self, kind):
        """One push of ``kind`` at a time per channel; the changes of a busy channel wait.

        A push started while another one of the channel runs waits for it
        (at most the ``lock_wait`` setting), then plans from a transaction
        begun after the wait, so it sends what the other one could not see
        and never an older value than it sent. A push started while another
        one already waits leaves its changes to that one: its transaction
        begins later than this push's changes were committed. So a busy
        channel has one push running and at most one waiting, whatever the
        number of changes, and each push takes everything noted until it
        began: the batch grows with the load.
        """
        wait = float(self.env["ir.config_parameter"].sudo().get_param(
            "omni_channel_base.lock_wait", LOCK_WAIT))
        state = self._omni_lock_wait(kind, wait)
        if state == "queued":
            return f"{kind}: a push of this channel waiting to run takes these changes"
        if state == "busy":
            raise RetryableJobError(
                f"Another {kind} push of channel {self.id} still runs", seconds=1,
                ignore_retry=True,
            )
        if not tools.same_transaction(self.env):
            with self._omni_fresh_env() as channel:
                pause = channel._omni_push_pause(kind)
            if pause > 0:
                # the lock is held meanwhile: the changes of these moments wait
                # for this push rather than start pushes of their own
                time.sleep(pause)
        with self._omni_fresh_env() as channel:
            return channel._omni_push(kind)

    def _omni_push_pause(self, kind):
        """Seconds to wait before this push, and its start noted.

        A push goes at once unless the previous push of this channel and kind
        started less than ``omni_channel_base.push_min_interval`` seconds ago
        (0.25 s): then it starts that much after it. One change at a time is
        sent at once; a stream of changes (orders confirmed many a second) is
        sent in at most four pushes a second per channel, each with all that
        came meanwhile. Called under the channel's lock, in a transaction of
        its own that commits at once.
        """
        interval = float(self.env["ir.config_parameter"].sudo().get_param(
            "omni_channel_base.push_min_interval", PUSH_MIN_INTERVAL) or 0)
        self.env.cr.execute(
            """
            INSERT INTO omni_channel_status AS s (channel_id, company_id, kind, last_start)
            VALUES (%(channel)s, %(company)s, %(kind)s, statement_timestamp() AT TIME ZONE 'UTC')
            ON CONFLICT (channel_id, kind) DO UPDATE
               SET last_start = CASE
                   WHEN s.last_start IS NULL THEN EXCLUDED.last_start
                   ELSE GREATEST(EXCLUDED.last_start,
                                 LEAST(s.last_start, EXCLUDED.last_start)
                                 + make_interval(secs => %(interval)s))
                   END
            RETURNING EXTRACT(EPOCH FROM s.last_start - statement_timestamp() AT TIME ZONE 'UTC')
            """,
            {"channel": self.id, "company": self.company_id.id, "kind": kind,
             "interval": max(interval, 0.0)},
        )
        return max(float(self.env.cr.fetchone()[0] or 0), 0.0)

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
        self._omni_follow_up(kind, success=True)
        return f"{kind}: {sent} sent in {plan.requests} requests, {len(plan.unchanged)} unchanged"

    def _omni_note_success(self, kind, outside=False, empty=None, **values):
        """Stamp the last success of ``kind`` and clear its error.

        ``outside``: in a transaction of its own, for work whose results are
        themselves committed as they go (pushes); otherwise in the job's
        transaction, true only if it commits (order import and its cursor).
        Each kind has its own status row: no two kinds ever write one row.
        """
        def stamp(channel):
            Status = channel.env["omni.channel.status"]
            Status._omni_set(
                channel, kind, last_success=fields.Datetime.now(), last_error=None, **values
            )
            if empty is not None:
                Status._omni_count_empty(channel, kind, empty)

        if outside:
            self._omni_write_outside(self, stamp)
        else:
            stamp(self)

    def _omni_note_failure(self, kind, err):
        """Keep the failure visible although the job's transaction rolls back."""
        channel = self._omni_in_responsible_lang()
        kinds = dict(
            self.env["omni.channel.status"]._fields["kind"]._description_selection(channel.env)
        )
        message = f"{kinds[kind]}: {channel._omni_error_text(err)}"
        self._omni_write_outside(
            self,
            lambda channel: channel.env["omni.channel.status"]._omni_set(
                channel, kind, last_error=message, last_error_date=fields.Datetime.now()
            ),
        )

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

    def _omni_follow_up(self, kind, success=False):
        """Queue the next push for changes this one could not see (``success``: and
        stamp the push's success), in one transaction of its own.

        A transaction that asked for a push just as this job was starting had
        its request absorbed by this job's identity key, yet commits after this
        job took its snapshot: its changes are still waiting. Looked for in a
        fresh transaction, they get a job of their own at once (this one has
        started, so the key no longer absorbs them) instead of waiting for the
        next change or the sweeper.
        """

        def check(channel):
            # like the results: flushed by the job's commit (see _omni_write_results)
            channel.env.cr.execute("SET LOCAL synchronous_commit TO OFF")
            if success:
                channel.env["omni.channel.status"]._omni_set(
                    channel, kind, last_success=fields.Datetime.now(), last_error=None)
            channel._omni_drop_stale_changes(kind)
            channel.env.cr.execute(
                "SELECT 1 FROM omni_binding_change WHERE channel_id = %s AND kind = %s LIMIT 1",
                [channel.id, kind],
            )
            if channel.env.cr.fetchone():
                channel._omni_enqueue(kind)

        self._omni_write_outside(self, check)

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

    def _omni_reconcile(self):
        """Job: read back what the channel shows and repair drift."""
        self.ensure_one()
        self._omni_lock_or_retry("reconcile")
        Binding = self.env["omni.product.binding"]
        with self._omni_session() as adapter:
            if not adapter.can_read_stock:
                return "the channel cannot report its stock"
            try:
                offers = list(adapter.list_offers())
            except cerr.OmniConnectorError as err:
                raise self._omni_translate_error(err, in_job=True) from err
        bindings = Binding.search([("channel_id", "=", self.id), ("active", "=", True),
                                   ("product_id.is_storable", "=", True)])
        remote = Binding._omni_match_offers(self, offers)
        available = self._omni_available_to_sell(bindings.product_id)
        default = self._omni_channel_rules()
        drift, missing = Binding.browse(), Binding.browse()
        shown = {}
        for binding in bindings:
            offer = remote.get(binding.id)
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

        self._omni_write_outside(Binding, record)
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

    @api.model
    def _cron_reconcile(self):
        self.search([("sync_stock", "=", True)]).action_reconcile_now()

    def action_sync_stock_now(self):
        self._omni_check_manager()
        self.env["omni.product.binding"].search(
            [("channel_id", "in", self.ids), ("sync_state", "=", "error")]
        )._omni_mark_dirty(("stock",))
        self._omni_enqueue("stock")
        return self._omni_notify_queued(self.env._("Stock push queued."))

    def action_sync_prices_now(self):
        self._omni_check_manager()
        self.env["omni.product.binding"].search(
            [("channel_id", "in", self.ids), ("sync_state", "=", "error")]
        )._omni_mark_dirty(("price",))
        self._omni_enqueue("price")
        return self._omni_notify_queued(self.env._("Price push queued."))

    def action_full_resync(self):
        """Forget what was last sent and send everything again."""
        self._omni_check_manager()
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

    def action_reconcile_now(self):
        self._omni_check_manager()
        for channel in self:
            channel._omni_delay(
                "reconcile",
                lambda _, c=channel: _("Check stock shown on %(channel)s", channel=c.name),
                priority=PRIORITY["reconcile"],
            )._omni_reconcile()
        return self._omni_notify_queued(self.env._("Stock check queued."))
