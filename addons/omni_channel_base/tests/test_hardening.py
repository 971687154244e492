"""Bad input, money and dates, rights and an honest health card."""

import contextlib
import itertools
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from omni_connectors.core.models import RawOrder

from .common import OmniChannelCase

BUYER = {"name": "Марко Вовчок", "phone": "+380501112233", "email": "marko@example.com"}


def payload(order_id, lines, total=None, **extra):
    body = {
        "id": order_id, "status": "new", "seq": 1,
        "created_at": "2025-01-31T10:00:00+00:00",
        "customer": dict(BUYER),
        "delivery": {"service": "nova_poshta", "city": "Полтава", "warehouse": "№3"},
        "payment": {"method": "cod", "paid": False},
        "lines": [{"sku": sku, "name": sku, "quantity": q, "price": p} for sku, q, p in lines],
    }
    if total is not None:
        body["total"] = total
    body.update(extra)
    return body


@tagged("post_install", "-at_install")
class TestBadInput(OmniChannelCase):
    channel_count = 1

    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 50)
        self.run_jobs()
        self.channel, self.sim = self.channels, self.sims[0]

    def import_all(self):
        self.channel.action_import_orders_now()
        self.run_jobs()
        return self.env["omni.external.order"].search([("channel_id", "=", self.channel.id)])

    def test_hostile_orders_are_put_aside_and_the_next_order_imports(self):
        expected = {
            "lone_surrogate": "cannot be stored",
            "nul": "cannot be stored",
            "raw_nul": "cannot be stored",
            "huge_price": "not a real price",
            # infinity is no number at all: the channel's data cannot be read
            "overflow_price": "cannot be read",
            "huge_quantity": "not a real quantity",
        }
        for kind in expected:
            self.sim.inject_hostile_order(kind, order_id=f"H-{kind}")
        good = self.sim.place_order(BUYER, [{"sku": "SKU-0", "quantity": 1}])
        orders = self.import_all()
        self.assertEqual(
            orders.filtered(lambda o: o.external_id == good["id"]).state, "imported",
            "the order behind the hostile ones imports",
        )
        for kind, words in expected.items():
            with self.subTest(kind=kind):
                order = orders.filtered(lambda o, k=kind: o.external_id == f"H-{k}")
                self.assertEqual(order.state, "needs_attention")
                self.assertIn(words, order.attention_reason)
                self.assertTrue(order.raw_payload, "the raw body is kept")
                self.assertEqual(order.customer_phone, "+380671234567",
                                 "what can be read is shown")
        # the poll's cursor moved past them: the next poll finds nothing new
        self.assertEqual(len(self.import_all()), len(orders))

    def test_lines_that_do_not_add_up_are_flagged(self):
        self.sim.inject_raw_order(payload("S-1", [("SKU-0", 2, "100.00")], total="150.00"))
        (order,) = self.import_all()
        self.assertEqual(order.state, "needs_attention")
        self.assertIn("do not add up", order.attention_reason)
        self.assertFalse(order.sale_order_id, "nothing confirmed")

    def test_fraction_of_a_unit_product_is_flagged(self):
        self.sim.inject_raw_order(payload("F-1", [("SKU-1", "1.5", "100.00")], total="150.00"))
        (order,) = self.import_all()
        self.assertEqual(order.state, "needs_attention")
        self.assertIn("line 1 (SKU-1)", order.attention_reason)
        self.assertIn("whole units", order.attention_reason)

    def test_unreadable_order_still_shows_the_buyer(self):
        self.sim.inject_raw_order({"id": "P-1", "status": "new", "lines": "oops",
                                   "customer": {"name": "Олена Коваль", "phone": "0501234567"}})
        (order,) = self.import_all()
        self.assertEqual(order.state, "needs_attention")
        self.assertEqual(order.customer_name, "Олена Коваль")
        self.assertEqual(order.customer_phone, "0501234567")
        self.assertNotIn("\n", order.attention_reason.strip(), "one sentence")
        self.assertIn("P-1", order.attention_detail, "the technical detail kept apart")

    def test_order_is_priced_in_the_channels_pricelist_and_dated_as_on_the_channel(self):
        partner = self.env["res.partner"].create({"name": "Марко", "phone": BUYER["phone"]})
        partner.property_product_pricelist = self.env["product.pricelist"].create(
            {"name": "Wholesale", "currency_id": self.env.company.currency_id.id}
        )
        self.sim.inject_raw_order(payload("D-1", [("SKU-2", 1, "102.00")], total="102.00"))
        (order,) = self.import_all()
        self.assertEqual(order.state, "imported", order.attention_reason)
        sale = order.sale_order_id
        self.assertEqual(sale.partner_id, partner)
        self.assertEqual(sale.pricelist_id, self.channel.pricelist_id)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.date_order, datetime(2025, 1, 31, 10, 0))
        self.assertGreater(sale.omni_import_date, sale.date_order, "import time kept apart")

    @given(
        name=st.text(max_size=30),
        quantity=st.one_of(st.integers(-5, 10**25), st.floats(allow_nan=True),
                           st.text(max_size=8), st.none()),
        price=st.one_of(st.integers(-5, 10**25), st.floats(allow_nan=True),
                        st.text(max_size=12), st.none()),
        total=st.one_of(st.none(), st.floats(), st.text(max_size=12), st.integers()),
        junk=st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3),
    )
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    def test_any_payload_ends_imported_or_in_needs_attention(self, name, quantity, price,
                                                             total, junk):
        number = next(self._numbers)
        body = payload(f"Y-{number}", [("SKU-0", quantity, price)], total=total,
                       comment=name, **junk)
        body["customer"]["name"] = name
        Order = self.env["omni.external.order"]
        (stored,) = Order._omni_store(self.channel, [RawOrder(f"Y-{number}", body)])
        stored._omni_process()  # the job ends: nothing raised
        self.assertIn(stored.state, ("imported", "needs_attention"))
        if stored.state == "needs_attention":
            self.assertTrue(stored.raw_payload and stored.attention_reason)
        else:
            self.assertEqual(stored.sale_order_id.order_line.product_id, self.products[0])
        # and the next, ordinary order still imports
        (ordinary,) = Order._omni_store(self.channel, [RawOrder(
            f"N-{number}", payload(f"N-{number}", [("SKU-1", 1, "101.00")], total="101.00"))])
        ordinary._omni_process()
        self.assertEqual(ordinary.state, "imported", ordinary.attention_reason)

    _numbers = itertools.count(1)


@tagged("post_install", "-at_install")
class TestRights(OmniChannelCase):
    channel_count = 1

    def user(self, login, *groups, email=True):
        return self.env["res.users"].create({
            "name": login, "login": login, "email": f"{login}@example.com" if email else False,
            "groups_id": [(6, 0, [self.env.ref(g).id for g in groups])],
        })

    def test_salesperson_reads_but_cannot_change_what_the_channel_sent(self):
        self.sims[0].inject_raw_order(payload("R-1", [("SKU-9", 1, "10.00")], total="10.00"))
        self.channels.action_import_orders_now()
        self.run_jobs()
        order = self.env["omni.external.order"].search([("external_id", "=", "R-1")])
        seller = self.user("omni_seller_r", "sales_team.group_sale_salesman")
        self.assertEqual(order.with_user(seller).customer_name, BUYER["name"])
        with self.assertRaises(AccessError):
            order.with_user(seller).write({"raw_payload": "{}"})
        with self.assertRaises(AccessError):
            order.with_user(seller).write({"state": "imported"})
        with self.assertRaises(AccessError):
            order.with_user(seller).action_retry()

    def test_changed_raw_payload_is_kept_in_the_chatter(self):
        first = payload("R-2", [("SKU-0", 1, "100.00")], total="100.00", comment="перше")
        Order = self.env["omni.external.order"]
        (order,) = Order._omni_store(self.channels, [RawOrder("R-2", first)])
        changed = dict(first, comment="змінено")
        Order._omni_store(self.channels, [RawOrder("R-2", changed)])
        self.assertIn("The data before", order.message_ids[0].body)
        self.assertIn("перше", order.message_ids[0].body)
        self.assertIn("змінено", order.raw_payload)
        manager = self.user("omni_manager_r", "sales_team.group_sale_manager")
        order.with_user(manager).with_context(
            tracking_disable=False, mail_notrack=False).raw_payload = "{}"
        self.flush()
        tracked = order.message_ids[0].tracking_value_ids
        self.assertIn("raw_payload", tracked.field_id.mapped("name"))

    def test_channel_actions_are_checked_on_the_server(self):
        seller = self.user("omni_seller_a", "sales_team.group_sale_salesman")
        channel = self.channels.with_user(seller)
        for action in ("action_sync_stock_now", "action_sync_prices_now", "action_full_resync",
                       "action_import_orders_now", "action_reconcile_now",
                       "action_test_connection"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(channel, action)()

    def test_jobs_queued_by_a_user_without_email_still_work(self):
        """A manager without an e-mail address imports: the job signs as the system."""
        manager = self.user("omni_manager_ne", "sales_team.group_sale_manager",
                            "stock.group_stock_user", email=False)
        self.set_stock(self.products[0], 5)
        self.run_jobs()
        self.sims[0].place_order(BUYER, [{"sku": "SKU-0", "quantity": 1}])
        self.channels.with_user(manager).action_import_orders_now()
        self.run_jobs()
        order = self.env["omni.external.order"].search([("channel_id", "=", self.channels.id)])
        self.assertEqual(order.state, "imported", order.attention_reason)
        self.assertEqual(order.sale_order_id.state, "sale")
        self.assertEqual(self.channels.health, "ok")


@tagged("post_install", "-at_install")
class TestHonestHealth(OmniChannelCase):
    channel_count = 1

    def test_retry_after_is_honoured_as_sent(self):
        sim = self.sims[0]
        self.set_stock(self.products[0], 3)
        self.flush()
        sim.requests.clear()
        sim.faults.add("status", path="/api/stock", status=429, retry_after=120, times=5)
        job = self.pending_jobs("stock", self.channels)
        with self.assertRaises(RetryableJobError) as caught:
            Job.load(self.env, job.uuid).perform()
        self.assertEqual(caught.exception.seconds, 120)
        self.assertEqual(len([r for r in sim.requests if r["path"] == "/api/stock"]), 1,
                         "one request, then the job waits as asked")

    def fail_job(self, record):
        job = Job.load(self.env, record.uuid)
        job.set_started()
        with contextlib.suppress(Exception):
            job.perform()
        job.set_failed(exc_info="unreadable answer", exc_name="PayloadError",
                       exc_message="The channel answered something unreadable")
        job.store()
        self.flush()

    def test_one_unreadable_answer_is_resolved_by_the_next_success(self):
        channel, sim = self.channels, self.sims[0]
        sim.faults.add("malformed", path="/api/stock")
        self.set_stock(self.products[0], 4)
        self.flush()
        self.fail_job(self.pending_jobs("stock", channel))
        channel.invalidate_recordset()
        self.assertEqual(channel.health, "error")
        self.assertIn("unreadable", channel.health_reason)
        self.set_stock(self.products[0], 5)
        self.run_jobs()
        self.assertEqual(self.shown(sim, self.products[0]), 5)
        channel.invalidate_recordset()
        self.assertEqual(channel.health, "ok", channel.health_reason)

    def test_next_scheduled_poll_is_not_waiting_work(self):
        channel = self.channels
        channel.order_poll_interval = 30
        channel.action_import_orders_now()
        self.run_jobs(rounds=1)
        self.assertTrue(self.pending_jobs("orders", channel), "the next poll is scheduled")
        channel.invalidate_recordset()
        self.assertEqual((channel.queue_depth, channel.oldest_job_age, channel.health),
                         (0, 0, "ok"))

    def test_empty_polls_are_counted_not_logged(self):
        channel, sim = self.channels, self.sims[0]
        Event = self.env["omni.sync.event"]
        before = Event.search_count([("channel_id", "=", channel.id)])
        for _i in range(3):
            channel.action_import_orders_now()
            self.run_jobs()
        self.assertEqual(Event.search_count([("channel_id", "=", channel.id)]), before,
                         Event.search([("channel_id", "=", channel.id)]).mapped("endpoint"))
        channel.invalidate_recordset()
        self.assertEqual(channel.empty_poll_count, 3)
        sim.faults.add("status", path="/api/orders", status=500, times=10)
        channel.action_import_orders_now()
        with contextlib.suppress(RetryableJobError):
            self.run_jobs()
        self.assertGreater(Event.search_count([("channel_id", "=", channel.id)]), before,
                           "a failing poll is logged")

    def test_binding_that_is_never_sent_says_so_and_archiving_shows_zero(self):
        channel = self.channels
        service = self.env["product.product"].create(
            {"name": "Гравіювання", "default_code": "SRV-9", "type": "service"}
        )
        binding = self.env["omni.product.binding"].create(
            {"channel_id": channel.id, "product_id": service.id}
        )
        self.assertIn("does not track inventory", binding.push_blocker)
        channel.invalidate_recordset()
        self.assertEqual(channel.blocked_binding_count, 1)
        self.set_stock(self.products[0], 7)
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], self.products[0]), 7)
        self.products[0].active = False
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], self.products[0]), 0)
        self.assertIn("archived", self.binding(channel, self.products[0]).with_context(
            active_test=False).push_blocker or "")
