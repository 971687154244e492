"""The backend plumbing under real transactions: locks, outside writes, shared limits.

What the job runner does with several workers is played here with real
cursors in threads of their own (not marked as testing), so every write
meant for a transaction of its own really commits beside the job's, and
the data is removed afterwards.
"""

import threading
import time
from contextlib import contextmanager
from decimal import Decimal

from odoo import api, sql_db
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core.models import Customer, Order, OrderLine, OrderState, RemoteOffer

from .common import OmniChannelCase


@tagged("post_install", "-at_install")
class TestBackendInRealTransactions(OmniChannelCase):
    channel_count = 1
    product_count = 1

    @contextmanager
    def committed_channel(self, stock):
        """A channel with one binding per quantity of ``stock``, committed, then removed.

        Yields ``(db, channel_id, [(product_id, binding_id)])``.
        """
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {"tracking_disable": True})
            channel = env["omni.channel"].create({
                "name": "Real transactions",
                "channel_type": "generic",
                "api_url": self.sims[0].url,
                "api_key": self.sims[0].api_key,
                "warehouse_ids": [(6, 0, self.warehouse.ids)],
                "sync_price": False,
                "sync_orders": False,
            })
            rows = []
            for index, quantity in enumerate(stock):
                product = env["product.product"].create(
                    {"name": f"Real {index}", "default_code": f"REAL-{index}",
                     "is_storable": True}
                )
                if quantity:
                    env["stock.quant"]._update_available_quantity(
                        product, env["stock.location"].browse(self.stock_location.id), quantity
                    )
                binding = env["omni.product.binding"].create(
                    {"channel_id": channel.id, "product_id": product.id}
                )
                self.sims[0].add_offer(product.default_code, quantity=0, price="1.00")
                rows.append((product.id, binding.id))
            channel_id = channel.id
        try:
            yield db, channel_id, rows
        finally:
            with db.cursor() as cr:
                product_ids = [row[0] for row in rows]
                cr.execute("DELETE FROM omni_sync_event WHERE backend_model = 'omni.channel'"
                           " AND backend_id = %s", [channel_id])
                cr.execute("DELETE FROM omni_binding_change WHERE channel_id = %s", [channel_id])
                cr.execute("DELETE FROM omni_product_binding WHERE channel_id = %s",
                           [channel_id])
                cr.execute("DELETE FROM omni_channel_status WHERE channel_id = %s", [channel_id])
                cr.execute("DELETE FROM omni_backend_rate WHERE key = %s",
                           [f"omni.channel:{channel_id}"])
                cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s",
                           [f"omni:{channel_id}:%"])
                cr.execute("DELETE FROM mail_message WHERE model = 'omni.channel' AND res_id = %s",
                           [channel_id])
                cr.execute("DELETE FROM omni_channel WHERE id = %s", [channel_id])
                cr.execute("DELETE FROM stock_quant WHERE product_id = ANY(%s)", [product_ids])
                cr.execute("SELECT product_tmpl_id FROM product_product WHERE id = ANY(%s)",
                           [product_ids])
                templates = [row[0] for row in cr.fetchall()]
                cr.execute("DELETE FROM product_product WHERE id = ANY(%s)", [product_ids])
                cr.execute("DELETE FROM product_template WHERE id = ANY(%s)", [templates])

    def stock_pushes(self):
        return [r for r in self.sims[0].requests
                if r["path"] == "/api/stock" and r["method"] == "POST"]

    def test_two_pushes_of_one_channel_never_overlap(self):
        """Two job runners start the same channel's stock push at the same moment."""
        sim = self.sims[0]
        with self.committed_channel([4, 7]) as (db, channel_id, _rows):
            sim.requests.clear()
            # the channel answers slowly: an unlocked second push would overlap it
            sim.faults.add("latency", path="/api/stock", seconds=0.6, times=None)

            def push(env):
                return env["omni.channel"].browse(channel_id)._omni_push_stock()

            results = self.in_threads(db, push, push)
            sim.faults.clear()
            self.assertTrue(all(isinstance(r, str) for r in results), results)
            self.assertEqual(len(self.stock_pushes()), 1, "one push reached the channel: "
                             "the other waited and found everything sent")
            self.assertEqual(sim.offer("REAL-0")["quantity"], 4)
            self.assertEqual(sim.offer("REAL-1")["quantity"], 7)

    @contextmanager
    def in_flight_counter(self, sim):
        """Record the most stock requests the simulator handled at once."""
        state = {"now": 0, "most": 0}
        lock = threading.Lock()
        original = sim._reply_for

        def counting(req, entry, control):
            stock = req.path == "/api/stock"
            if stock:
                with lock:
                    state["now"] += 1
                    state["most"] = max(state["most"], state["now"])
            try:
                return original(req, entry, control)
            finally:
                if stock:
                    with lock:
                        state["now"] -= 1

        sim._reply_for = counting
        try:
            yield state
        finally:
            del sim._reply_for

    def test_change_during_a_push_goes_in_the_next_push_at_once(self):
        """A push started while another runs waits for it, then sends what it missed.

        Its transaction began before the first push ended, so it must not plan
        from what it read then: the channel would get the older quantity last.
        A third push started meanwhile leaves its changes to the waiting one.
        """
        sim = self.sims[0]
        with self.committed_channel([4, 7]) as (db, channel_id, rows):
            (product_0, _b0), (product_1, _b1) = rows
            sim.requests.clear()
            sim.faults.add("latency", path="/api/stock", seconds=0.5, times=1)
            ends = {}

            def change(product_id, quantity):
                with db.cursor() as cr:
                    env = api.Environment(cr, self.env.uid, {})
                    cr.execute("UPDATE stock_quant SET quantity = %s"
                               " WHERE product_id = %s AND location_id = %s",
                               [quantity, product_id, self.stock_location.id])
                    env["omni.product.binding"]._omni_note_changes(
                        "stock", SQL("b.product_id = ANY(%s)", [product_id]))

            def first(env):
                result = env["omni.channel"].browse(channel_id)._omni_push_stock()
                ends["first"] = time.monotonic()
                return result

            def second(env):
                time.sleep(0.15)  # the first push is on the wire
                change(product_0, 9)
                env["omni.product.binding"].search([], limit=1)  # reads: an old snapshot
                result = env["omni.channel"].browse(channel_id)._omni_push_stock()
                ends["second"] = time.monotonic()
                return result

            def third(env):
                time.sleep(0.3)  # the second push waits for the lock
                change(product_1, 2)
                return env["omni.channel"].browse(channel_id)._omni_push_stock()

            with self.in_flight_counter(sim) as flight:
                results = self.in_threads(db, first, second, third)
            sim.faults.clear()
            self.assertTrue(all(isinstance(r, str) for r in results), results)
            self.assertIn("waiting to run", results[2])
            self.assertEqual(flight["most"], 1, "pushes of one channel never overlap")
            pushes = self.stock_pushes()
            self.assertEqual(len(pushes), 2, "the second push took both later changes")
            self.assertEqual(sim.offer("REAL-0")["quantity"], 9)
            self.assertEqual(sim.offer("REAL-1")["quantity"], 2)
            self.assertLess(ends["second"] - ends["first"], 0.5,
                            "the waiting push ran as soon as the first ended")
            with db.cursor() as cr:
                cr.execute("SELECT count(*) FROM omni_binding_change WHERE channel_id = %s",
                           [channel_id])
                self.assertEqual(cr.fetchone()[0], 0, "every change was sent")

    def test_change_committed_after_its_push_ran_still_gets_a_push(self):
        """A push waiting when a user changes stock may run before the user commits.

        Had the user's request been absorbed by it, the change would wait for
        the next change or the sweeper: the request is made after the commit.
        """
        sim = self.sims[0]
        with self.committed_channel([4]) as (db, channel_id, rows):
            ((product_id, _binding_id),) = rows
            key = f"omni:{channel_id}:stock"

            def jobs(state):
                with db.cursor() as cr:
                    cr.execute("SELECT uuid FROM queue_job WHERE identity_key = %s"
                               " AND state = %s", [key, state])
                    return [row[0] for row in cr.fetchall()]

            def user(env):
                env.cr.execute("UPDATE stock_quant SET quantity = 6 WHERE product_id = %s"
                               " AND location_id = %s", [product_id, self.stock_location.id])
                changed = env["omni.product.binding"]._omni_note_changes(
                    "stock", SQL("b.product_id = ANY(%s)", [product_id]))
                env["omni.channel"].browse(changed)._omni_enqueue("stock")
                # the waiting push starts and ends before this transaction commits
                with db.cursor() as job_cr:
                    job_env = api.Environment(job_cr, self.env.uid, {})
                    job_env["omni.channel"].browse(channel_id)._omni_push_stock()
                    job_cr.execute("UPDATE queue_job SET state = 'done' WHERE identity_key = %s",
                                   [key])
                return "committed"

            self.in_threads(db, lambda env: env["omni.channel"].browse(
                channel_id)._omni_enqueue_now("stock"))
            self.assertEqual(len(jobs("pending")), 1)
            (result,) = self.in_threads(db, user)
            self.assertEqual(result, "committed")
            self.assertEqual(sim.offer("REAL-0")["quantity"], 4, "the push did not see it")
            self.assertEqual(len(jobs("pending")), 1, "a push was asked for after the commit")
            (pushed,) = self.in_threads(
                db, lambda env: env["omni.channel"].browse(channel_id)._omni_push_stock())
            self.assertIn("1 sent", pushed)
            self.assertEqual(sim.offer("REAL-0")["quantity"], 6)

    def test_failed_push_keeps_its_log_results_and_error(self):
        """The job fails and rolls back; what happened on the way is kept."""
        sim = self.sims[0]
        with self.committed_channel([0, 5]) as (db, channel_id, rows):
            (_p0, unchanged_id), (_p1, failing_id) = rows
            with db.cursor() as cr:
                # REAL-0 shows 0 already: nothing to send, its change is done
                cr.execute(
                    "UPDATE omni_product_binding SET last_qty = 0, sync_state = 'ok',"
                    " last_stock_date = now() AT TIME ZONE 'UTC' WHERE id = %s",
                    [unchanged_id],
                )
            sim.requests.clear()
            sim.faults.add("status", path="/api/stock", status=500, times=None)

            def push(env):
                return env["omni.channel"].browse(channel_id)._omni_push_stock()

            (result,) = self.in_threads(db, push)
            sim.faults.clear()
            self.assertIsInstance(result, RetryableJobError)
            with db.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                channel = env["omni.channel"].browse(channel_id)
                events = env["omni.sync.event"].search(
                    [("backend_model", "=", "omni.channel"), ("backend_id", "=", channel_id)]
                )
                self.assertEqual(len(events), len(self.stock_pushes()),
                                 "every attempt is in the sync log")
                self.assertTrue(events)
                self.assertEqual(set(events.mapped("state")), {"error"})
                self.assertEqual(events.channel_id.id, channel_id)
                self.assertIn("500", channel.last_error or "", "the failure is on the card")
                cr.execute(
                    "SELECT b.id FROM omni_binding_change ch JOIN omni_product_binding b"
                    " ON b.channel_id = ch.channel_id AND b.product_id = ch.product_id"
                    " WHERE ch.channel_id = %s AND ch.kind = 'stock'",
                    [channel_id],
                )
                waiting = {row[0] for row in cr.fetchall()}
                self.assertEqual(waiting, {failing_id}, "the unsent change waits for a retry; "
                                 "the one found unchanged is done")

    def test_rate_limit_is_shared_by_every_worker(self):
        """Two workers each with a limiter of their own still share one budget."""
        with self.committed_channel([1]) as (db, channel_id, _rows):
            key = f"omni.channel:{channel_id}"

            def reserve_three(env):
                Rate = env["omni.backend.rate"].sudo()
                waits = []
                for _i in range(3):
                    waits.append(Rate._omni_take_slot(key, 10.0, 1))
                return waits

            first, second = self.in_threads(db, reserve_three, reserve_three)
            waits = sorted(first + second)
            # six requests at 10 per second: slots 0.1 s apart whoever asks
            self.assertLess(waits[0], 0.05)
            for earlier, later in zip(waits, waits[1:], strict=False):
                self.assertGreater(later - earlier, 0.07, waits)
            self.assertGreater(waits[-1], 0.45, waits)


@tagged("post_install", "-at_install")
class TestBackend(OmniChannelCase):
    channel_count = 1

    def test_channel_rate_limit_spaces_its_requests(self):
        channel = self.channels
        channel.rate_limit = 20.0
        limiter = channel._omni_rate_limiter()
        waits = [limiter.acquire() for _i in range(4)]
        self.assertLess(waits[0], 0.01)
        self.assertGreater(sum(waits), 0.1, waits)
        channel.rate_limit = 0.0
        self.assertIsNone(channel._omni_rate_limiter(), "no limit, no waiting")

    def test_status_rows_follow_the_company_rules(self):
        channel = self.channels
        channel._omni_note_success("stock")
        other = self.env["res.company"].create({"name": "Other shop"})
        user = self.env["res.users"].create({
            "name": "Other shop seller", "login": "omni_other_shop",
            "company_id": other.id, "company_ids": [(6, 0, other.ids)],
            "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
        })
        Status = self.env["omni.channel.status"]
        self.assertTrue(Status.search([("channel_id", "=", channel.id)]))
        self.assertFalse(Status.with_user(user).search([("channel_id", "=", channel.id)]))
        with self.assertRaises(AccessError):
            Status.with_user(user).browse(
                Status.search([("channel_id", "=", channel.id)]).ids
            ).read(["last_success"])

    def test_binder_finds_an_offer_by_any_of_its_keys(self):
        """Prom and Rozetka know an offer by several ids; any of them finds the binding."""
        channel = self.channels
        Binding = self.env["omni.product.binding"]
        bound = self.binding(channel, self.products[0])
        bound.external_id = "PROM-778899"
        other = self.binding(channel, self.products[1])
        offers = [
            RemoteOffer(key="1234567", sku="", alt_keys=("PROM-778899",), quantity=3),
            RemoteOffer(key="555", sku="SKU-1", quantity=9),
            RemoteOffer(key="999", sku="NOBODY"),
        ]
        matched = Binding._omni_match_offers(channel, offers)
        self.assertEqual(matched, {bound.id: offers[0], other.id: offers[1]})
        self.assertEqual(bound._omni_key(), "PROM-778899", "pushed under the channel's id")
        self.assertEqual(other._omni_key(), "SKU-1")

    def test_order_line_found_by_the_channels_product_id(self):
        """A line naming the offer only by the channel's product id still finds it."""
        channel = self.channels
        self.binding(channel, self.products[2]).external_id = "RZ-31337"
        order = self.env["omni.external.order"].create(
            {"channel_id": channel.id, "external_id": "K-1"}
        )
        line = OrderLine(sku="", name="Товар", quantity=Decimal(2), unit_price=Decimal(10),
                         external_product_id="RZ-31337")
        remote = Order(external_id="K-1", state=OrderState.NEW, lines=[line],
                       customer=Customer(phone="+380501234567"))
        (mapped,) = order._omni_map_lines(remote)
        self.assertEqual(mapped[0], self.products[2])
