import threading
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, sql_db
from odoo.service.model import retrying
from odoo.tests import tagged

from omni_connectors.core.models import Customer, Order, OrderLine, OrderState, RawOrder

from .common import OmniChannelCase

BUYER = {"name": "Оксана Ковальчук", "phone": "+38 (067) 123-45-67", "email": "oksana@example.com"}


@tagged("post_install", "-at_install")
class TestOrderImport(OmniChannelCase):
    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()  # every marketplace now shows 5 of each

    def import_orders(self, channel):
        channel.action_import_orders_now()
        self.run_jobs()
        return self.env["omni.external.order"].search([("channel_id", "=", channel.id)])

    def test_order_becomes_confirmed_sale_and_updates_other_channels(self):
        channel_a = self.channels[0]
        placed = self.sims[0].place_order(
            BUYER, [{"sku": "SKU-0", "quantity": 2}, {"sku": "SKU-1", "quantity": 1}],
            comment="Передзвоніть після 18:00",
        )
        external = self.import_orders(channel_a)
        self.assertEqual(len(external), 1)
        self.assertEqual(external.state, "imported", external.attention_reason)
        sale = external.sale_order_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.omni_channel_id, channel_a)
        self.assertEqual(sale.omni_external_id, placed["id"])
        self.assertEqual(
            sorted((ln.product_id.default_code, ln.product_uom_qty) for ln in sale.order_line),
            [("SKU-0", 2.0), ("SKU-1", 1.0)],
        )
        self.assertEqual(sale.partner_id.phone, "+380671234567")
        self.assertEqual(external.delivery_city, "Київ")
        self.assertEqual(external.delivery_service, "nova_poshta")
        self.assertTrue(external.cash_on_delivery or external.payment_method)
        # the reservation lowered the stock shown everywhere (the job already ran)
        self.assertEqual([self.shown(sim, self.products[0]) for sim in self.sims], [3, 3, 3])
        self.assertEqual(self.shown(self.sims[2], self.products[1]), 4)

    def test_commission_reported_for_the_order_is_shared_by_the_lines(self):
        """An order-level fee alone is split by line totals, to the kopeck; a refund zeroes it."""
        self.sims[0].place_order(
            BUYER, [{"sku": "SKU-0", "quantity": 1}, {"sku": "SKU-1", "quantity": 2}])
        external = self.import_orders(self.channels[0])
        sale = external.sale_order_id
        lines = external._omni_channel_lines(sale)
        self.assertFalse(sale.omni_commission_source, "the generic channel reports no fee")
        order = Order(
            external_id=external.external_id, state=OrderState.NEW,
            customer=Customer(name="x"), commission=Decimal("10.00"),
            lines=[OrderLine(sku=line.product_id.default_code, name="",
                             quantity=Decimal(line.product_uom_qty), unit_price=Decimal(1))
                   for line in lines],
        )
        external._omni_set_commission(sale, order)
        totals = lines.mapped("price_total")
        expected = [round(10.0 * t / sum(totals), 2) for t in totals]
        self.assertEqual(sale.omni_commission, 10.0)
        self.assertEqual(sale.omni_commission_source, "channel")
        self.assertAlmostEqual(sum(lines.mapped("omni_commission")), 10.0, places=6)
        for line, value in zip(lines, expected, strict=True):
            self.assertLessEqual(abs(line.omni_commission - value), 0.01)
        order.commission_refunded = True
        external._omni_set_commission(sale, order)
        self.assertEqual((sale.omni_commission, lines.mapped("omni_commission")), (0.0, [0.0, 0.0]))

    def test_same_buyer_on_two_channels_is_one_customer(self):
        self.sims[0].place_order(BUYER, [{"sku": "SKU-0", "quantity": 1}])
        self.sims[1].place_order(
            {"name": "Ковальчук О.", "phone": "0671234567", "email": ""},
            [{"sku": "SKU-1", "quantity": 1}],
        )
        first = self.import_orders(self.channels[0])
        second = self.import_orders(self.channels[1])
        self.assertEqual(first.partner_id, second.partner_id)
        self.assertEqual(
            self.env["res.partner"].search_count([("omni_phone", "=", "+380671234567")]), 1
        )

    def test_redelivery_never_duplicates(self):
        sim = self.sims[0]
        placed = sim.place_order(BUYER, [{"sku": "SKU-2", "quantity": 1}])
        channel = self.channels[0]
        self.import_orders(channel)
        # the marketplace sends the same order again, and once more from scratch
        sim.faults.add("duplicate", path="/api/orders")
        self.import_orders(channel)
        channel.sudo().order_cursor = False
        external = self.import_orders(channel)
        self.assertEqual(len(external), 1)
        self.assertEqual(
            self.env["sale.order"].search_count([("omni_external_id", "=", placed["id"])]), 1
        )
        self.assertEqual(external.state, "imported")

    def test_cancelled_on_marketplace_cancels_here_and_releases_stock(self):
        sim = self.sims[0]
        placed = sim.place_order(BUYER, [{"sku": "SKU-0", "quantity": 5}])
        external = self.import_orders(self.channels[0])
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 0)
        sim.cancel_order_remote(placed["id"], reason="Покупець передумав")
        external = self.import_orders(self.channels[0])
        self.assertEqual(external.state, "cancelled")
        self.assertEqual(external.sale_order_id.state, "cancel")
        self.assertEqual([self.shown(s, self.products[0]) for s in self.sims], [5, 5, 5])

    def test_unknown_sku_needs_attention_then_retry_works(self):
        sim = self.sims[0]
        new_product = self.env["product.product"].create(
            {"name": "New mug", "default_code": "MUG-NEW", "is_storable": True}
        )
        self.set_stock(new_product, 3)
        sim.add_offer("MUG-NEW", quantity=3, price="230.00")
        sim.place_order(BUYER, [{"sku": "MUG-NEW", "quantity": 1}])
        external = self.import_orders(self.channels[0])
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("MUG-NEW", external.attention_reason)
        # the manager still sees who ordered what and where it goes
        self.assertEqual(external.customer_name, BUYER["name"])
        self.assertEqual(external.delivery_city, "Київ")
        self.assertFalse(external.sale_order_id)
        self.assertTrue(external.activity_ids, "the responsible gets an activity")
        self.assertEqual(external.activity_ids.user_id, self.channels[0].user_id)
        self.assertEqual(self.channels[0].attention_order_count, 1)

        self.env["omni.product.binding"].create(
            {"channel_id": self.channels[0].id, "product_id": new_product.id}
        )
        external.action_retry()
        self.run_jobs()
        self.assertEqual(external.state, "imported")
        self.assertEqual(external.sale_order_id.order_line.product_id, new_product)
        self.assertFalse(external.activity_ids)

    def test_invalid_phone_needs_attention(self):
        self.sims[0].place_order(
            {"name": "Тест", "phone": "12345", "email": ""}, [{"sku": "SKU-0", "quantity": 1}]
        )
        external = self.import_orders(self.channels[0])
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("12345", external.attention_reason)
        self.assertFalse(external.sale_order_id)
        # the manager recognises the buyer, chooses the customer and retries
        buyer = self.env["res.partner"].create({"name": "Тест", "phone": "+380501234567"})
        external.partner_id = buyer
        external.action_retry()
        self.run_jobs()
        self.assertEqual(external.state, "imported", external.attention_reason)
        self.assertEqual(external.sale_order_id.partner_id, buyer)

    def test_malformed_payload_is_kept_raw(self):
        sim = self.sims[0]
        sim.inject_raw_order("{not json at all")
        sim.inject_raw_order({"id": "G-BAD", "status": "new", "lines": "oops"})
        externals = self.import_orders(self.channels[0])
        self.assertEqual(len(externals), 2)
        self.assertEqual(set(externals.mapped("state")), {"needs_attention"})
        unreadable = externals.filtered(lambda o: o.external_id.startswith("unreadable-"))
        self.assertEqual(unreadable.raw_payload, "{not json at all")
        bad = externals - unreadable
        self.assertIn('"oops"', bad.raw_payload)
        # one sentence for the manager, the channel's technical words kept apart
        self.assertIn("cannot be read", bad.attention_reason)
        self.assertIn("G-BAD", bad.attention_detail)

    def test_not_enough_stock_is_flagged_and_stays_quotation(self):
        product = self.products[1]
        # another channel sold units the marketplace still displays
        self.sell(product, 4, channel=self.channels[1])
        self.sims[0].place_order(BUYER, [{"sku": "SKU-1", "quantity": 3}])  # shows 5
        self.channels[0].action_import_orders_now()
        self.flush()
        # import before the stock push reached channel A: 1 left, 3 wanted
        for job in self.pending_jobs("orders"):
            self.run_job(job)
        for job in self.pending_jobs("order"):
            self.run_job(job)
        external = self.env["omni.external.order"].search(
            [("channel_id", "=", self.channels[0].id)]
        )
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("Not enough stock", external.attention_reason)
        self.assertEqual(external.sale_order_id.state, "draft")

    def test_import_polls_again_after_the_interval(self):
        channel = self.channels[0]
        channel.order_poll_interval = 20
        channel.action_import_orders_now()
        self.flush()
        first = self.pending_jobs("orders", channel)
        self.assertEqual(len(first), 1)
        self.run_job(first)
        following = self.pending_jobs("orders", channel)
        self.assertEqual(len(following), 1, "exactly one next poll is waiting")
        self.assertNotEqual(following, first)
        wait = (following.eta - fields.Datetime.now()).total_seconds()
        self.assertTrue(15 <= wait <= 21, wait)
        # the watchdog cron does not start a second loop
        self.env["omni.channel"]._cron_import_orders()
        self.flush()
        self.assertEqual(self.pending_jobs("orders", channel), following)
        self.assertTrue(following.eta, "the watchdog leaves the poll's time alone")
        # "Import orders now" does not wait for the next poll: it brings it forward
        channel.action_import_orders_now()
        self.flush()
        self.assertEqual(self.pending_jobs("orders", channel), following)
        self.assertFalse(following.eta)

    def test_checks_often_while_orders_come_in(self):
        channel = self.channels[0]
        channel.write({"order_poll_interval": 20, "order_poll_busy_interval": 2,
                       "order_poll_busy_minutes": 5})

        def poll_and_wait():
            """Run the waiting poll; seconds until the one it schedules."""
            self.env["queue.job"].search([
                ("identity_key", "=", channel._omni_job_key("orders")),
                ("state", "=", "pending")]).write({"eta": False})
            self.run_job(self.pending_jobs("orders", channel))
            following = self.pending_jobs("orders", channel)
            self.assertEqual(len(following), 1)
            return (following.eta - fields.Datetime.now()).total_seconds()

        channel.action_import_orders_now()
        self.flush()
        self.assertGreater(poll_and_wait(), 15, "quiet: the usual interval")
        self.assertFalse(channel.last_order_arrival)
        self.sims[0].place_order(BUYER, [{"sku": "SKU-0", "quantity": 1}])
        self.assertLess(poll_and_wait(), 5, "a new order: checked again soon")
        self.assertTrue(channel.last_order_arrival)
        self.assertLess(poll_and_wait(), 5, "still soon while orders come in")
        arrived = channel.last_order_arrival
        self.env["omni.channel.status"]._omni_set(
            channel, "orders", last_arrival=arrived - timedelta(minutes=6))
        self.assertGreater(poll_and_wait(), 15, "five minutes without orders: quiet again")

    def test_review_policy_leaves_quotation(self):
        self.channels[0].order_policy = "review"
        self.sims[0].place_order(BUYER, [{"sku": "SKU-0", "quantity": 1}])
        external = self.import_orders(self.channels[0])
        self.assertEqual(external.state, "imported")
        self.assertEqual(external.sale_order_id.state, "draft")


@tagged("post_install", "-at_install")
class TestConcurrentImport(OmniChannelCase):
    """Two imports of the same order in two real transactions give one row."""

    channel_count = 1

    def in_two_transactions(self, *works):
        """Run each ``work(env)`` in its own committed transaction, both started
        before either commits; a serialization failure is replayed, as the job
        runner does. Returns the results in order."""
        db = sql_db.db_connect(self.env.cr.dbname)
        barrier = threading.Barrier(len(works))
        results, errors = [None] * len(works), []

        def run(index, work):
            try:
                with db.cursor() as cr:
                    env = api.Environment(cr, self.env.uid, {})
                    cr.execute("SELECT 1")  # the transaction has its snapshot
                    barrier.wait(timeout=10)
                    results[index] = retrying(lambda: work(env), env)
            except Exception as err:  # reported below
                errors.append(err)

        threads = [threading.Thread(target=run, args=item) for item in enumerate(works)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.assertEqual(errors, [])
        return results

    def test_two_concurrent_imports_store_one_order(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        payload = {"id": "G-77", "status": "new", "seq": 1}
        # the channel must be visible to other transactions: commit one of its own
        with db.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {})
            channel = env["omni.channel"].create(
                {"name": "Concurrency", "channel_type": "generic", "sync_stock": False}
            )
            channel_id = channel.id

        def store(env):
            channel = env["omni.channel"].browse(channel_id)
            raw = RawOrder("G-77", payload, updated_marker="1")
            return len(env["omni.external.order"]._omni_store(channel, [raw]))

        try:
            results = self.in_two_transactions(store, store)
            with db.cursor() as cr:
                cr.execute(
                    "SELECT count(*), max(receive_count) FROM omni_external_order "
                    "WHERE channel_id = %s AND external_id = 'G-77'",
                    [channel_id],
                )
                self.assertEqual(cr.fetchone(), (1, 1))
            # exactly one of the two imports created it; the other saw no change
            self.assertEqual(sorted(results), [0, 1])
        finally:
            with db.cursor() as cr:
                cr.execute("DELETE FROM omni_external_order WHERE channel_id = %s",
                           [channel_id])
                cr.execute("DELETE FROM omni_channel WHERE id = %s", [channel_id])

    def test_same_new_buyer_imported_twice_at_once_is_one_customer(self):
        """Two channels' orders of one new buyer, mapped by two workers at once."""
        phone = "+380979876501"
        db = sql_db.db_connect(self.env.cr.dbname)

        def matcher(customer):
            return lambda env: env["res.partner"]._omni_find_or_create(customer).id

        try:
            partners = self.in_two_transactions(
                matcher(Customer(name="Тарас Мельник", phone="097 987 65 01")),
                matcher(Customer(name="Мельник Т.", phone="+38 097 987-65-01")),
            )
            self.assertTrue(partners[0])
            self.assertEqual(partners[0], partners[1], "one profile for one person")
            with db.cursor() as cr:
                cr.execute("SELECT count(*) FROM res_partner WHERE omni_phone = %s", [phone])
                self.assertEqual(cr.fetchone()[0], 1)
        finally:
            with db.cursor() as cr:
                cr.execute("DELETE FROM res_partner WHERE omni_phone = %s", [phone])
