import contextlib
import math

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from .common import OmniChannelCase


@tagged("post_install", "-at_install")
class TestStockSync(OmniChannelCase):
    def test_last_unit_sold_on_one_channel_shows_zero_everywhere(self):
        product = self.products[0]
        self.set_stock(product, 1)
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [1, 1, 1])

        order = self.sell(product, 1, channel=self.channels[0])
        self.flush()
        # one coalesced stock job per channel, none run yet
        self.assertEqual(len(self.pending_jobs("stock")), 3)
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [0, 0, 0])

        order._action_cancel()
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [1, 1, 1])

    def test_inventory_adjustment_and_receipt_propagate(self):
        product = self.products[1]
        self.set_stock(product, 4)
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[1], product), 4)

        receipt = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.in_type_id.id,
            "location_id": self.supplier_location.id,
            "location_dest_id": self.stock_location.id,
            "move_ids": [(0, 0, {
                "name": product.name,
                "product_id": product.id,
                "product_uom_qty": 6,
                "product_uom": product.uom_id.id,
                "location_id": self.supplier_location.id,
                "location_dest_id": self.stock_location.id,
            })],
        })
        receipt.action_confirm()
        self.run_jobs()
        # incoming goods are not sellable until received
        self.assertEqual(self.shown(self.sims[1], product), 4)
        receipt.move_ids.quantity = 6
        receipt.button_validate()
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [10, 10, 10])

    def test_quantity_rules_per_channel_and_binding(self):
        product = self.products[2]
        a, b, c = self.channels
        a.write({"qty_buffer": 2})  # 10 - 2 = 8
        b.write({"qty_percent": 50, "qty_max": 3})  # 50% of 10 = 5, capped at 3
        self.binding(c, product).write({
            "override_rules": True, "qty_zero_at": 10, "qty_percent": 100,
        })  # 10 <= 10: shows 0
        self.set_stock(product, 10)
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [8, 3, 0])

        self.set_stock(product, 11)
        self.run_jobs()
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [9, 3, 11])

        self.set_stock(product, 1)
        self.run_jobs()
        # the buffer never takes the shown quantity below zero
        self.assertEqual([self.shown(sim, product) for sim in self.sims], [0, 0, 0])

    def test_unconfirmed_demand_counts_as_reserved(self):
        """A sale confirmed without stock still holds back what arrives later."""
        product = self.products[0]
        self.sell(product, 2, channel=self.channels[0])
        self.set_stock(product, 5)
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[2], product), 3)

    def test_two_warehouses_are_summed(self):
        product = self.products[1]
        second = self.env["stock.warehouse"].create({"name": "Second", "code": "WH2"})
        self.channels[0].warehouse_ids = [(4, second.id)]
        self.set_stock(product, 2)
        self.set_stock(product, 5, location=second.lot_stock_id)
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], product), 7)
        self.assertEqual(self.shown(self.sims[1], product), 2)

    def test_only_changes_are_sent(self):
        self.set_stock(self.products[0], 3)
        self.run_jobs()
        self.sims[0].requests.clear()
        # the products moved but their sellable quantity did not
        self.set_stock(self.products[0], 3)
        self.binding(self.channels[0], self.products[1])._omni_mark_dirty(("stock",))
        self.run_jobs()
        stock_calls = [r for r in self.sims[0].requests if r["path"] == "/api/stock"]
        self.assertEqual(stock_calls, [])
        binding = self.binding(self.channels[0], self.products[1])
        self.assertFalse(binding.stock_dirty)
        self.assertEqual(binding.sync_state, "ok")

    def run_job_with_change_during_push(self, job, channel, change):
        """Run ``job``; ``change()`` happens right after its push reached the channel."""
        adapter_cls = type(channel._omni_build_adapter())
        real_push = adapter_cls.push_stock

        def push_then_change(adapter, updates):
            result = real_push(adapter, updates)
            change()
            return result

        adapter_cls.push_stock = push_then_change
        try:
            self.run_job(job)
        finally:
            adapter_cls.push_stock = real_push

    def test_change_during_push_is_sent_by_next_job(self):
        """Compare-and-set: a change that lands while a push runs is not lost."""
        product = self.products[0]
        channel = self.channels[0]
        self.set_stock(product, 5)
        self.flush()
        job = self.pending_jobs("stock", channel)
        self.assertEqual(len(job), 1)

        def sell_one():
            # another transaction sells one unit and commits meanwhile
            self.set_stock(product, 4)
            self.flush()

        self.run_job_with_change_during_push(job, channel, sell_one)
        self.assertEqual(self.shown(self.sims[0], product), 5)
        binding = self.binding(channel, product)
        self.assertTrue(binding.stock_dirty, "the newer change must stay flagged")
        self.assertEqual(binding.last_qty, 5)
        self.assertEqual(len(self.pending_jobs("stock", channel)), 1)
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], product), 4)
        self.assertFalse(self.binding(channel, product).stock_dirty)

    def test_change_absorbed_by_a_starting_push_gets_a_job_at_once(self):
        """A sale that asked for a push just as the job started, committed after
        the job's snapshot: its request was absorbed, its change must not wait."""
        product = self.products[0]
        channel = self.channels[0]
        self.set_stock(product, 5)
        self.flush()
        job = self.pending_jobs("stock", channel)

        def sell_two_absorbed():
            self.set_stock(product, 3)
            self.flush()
            # its push request found this job still waiting and was merged into it
            self.pending_jobs("stock", channel).unlink()

        self.run_job_with_change_during_push(job, channel, sell_two_absorbed)
        self.assertEqual(len(self.pending_jobs("stock", channel)), 1, "queued at once")
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], product), 3)


@tagged("post_install", "-at_install")
class TestStockCoalescing(OmniChannelCase):
    channel_count = 2
    product_count = 500

    def test_500_line_picking_gives_one_job_and_batched_requests(self):
        quants = self.env["stock.quant"]
        for product in self.products:
            quants._update_available_quantity(product, self.stock_location, 10)
        self.run_jobs()
        for sim in self.sims:
            sim.requests.clear()
        self.env["queue.job"].search([]).unlink()

        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id,
            "location_id": self.stock_location.id,
            "location_dest_id": self.customer_location.id,
            "move_ids": [(0, 0, {
                "name": p.name,
                "product_id": p.id,
                "product_uom_qty": 1,
                "product_uom": p.uom_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id,
            }) for p in self.products],
        })
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.flush()
        for channel in self.channels:
            self.assertEqual(len(self.pending_jobs("stock", channel)), 1)
        self.run_jobs()
        limit = self.channels[0]._omni_build_adapter().batch_limit
        for sim in self.sims:
            calls = [r for r in sim.requests if r["path"] == "/api/stock"]
            self.assertEqual(len(calls), math.ceil(500 / limit))
            self.assertEqual({o["quantity"] for o in sim.dump_state()["offers"]}, {9})


    def test_pushes_of_a_channel_start_at_least_the_interval_apart(self):
        """A stream of changes gives a few pushes a second, each with what came
        meanwhile; a change after a quiet moment goes at once."""
        channel = self.channels[0]
        self.assertEqual(channel._omni_push_pause("stock"), 0.0, "a first push: at once")
        second = channel._omni_push_pause("stock")
        self.assertGreater(second, 0.15)
        self.assertLessEqual(second, 0.25)
        self.assertLessEqual(channel._omni_push_pause("stock"), 0.25, "never longer")
        # a push waiting for its start reads what is committed until then: a change
        # now queues no job of its own
        self.assertEqual(self.channels._omni_push_coming("stock"), channel)
        jobs_before = self.pending_jobs("stock", channel)
        channel._omni_enqueue_now("stock")
        self.flush()
        self.assertEqual(self.pending_jobs("stock", channel), jobs_before)
        self.channels[1]._omni_enqueue_now("stock")
        self.flush()
        self.assertTrue(self.pending_jobs("stock", self.channels[1]))
        self.assertEqual(self.channels[1]._omni_push_pause("stock"), 0.0,
                         "another channel does not wait")
        self.assertEqual(channel._omni_push_pause("price"), 0.0, "nor another kind")
        self.env["ir.config_parameter"].sudo().set_param(
            "omni_channel_base.push_min_interval", "0")
        self.assertEqual(channel._omni_push_pause("stock"), 0.0, "0: never wait")


@tagged("post_install", "-at_install")
class TestStockFaults(OmniChannelCase):
    channel_count = 1

    def test_429_500_timeout_then_success_loses_nothing_sends_nothing_twice(self):
        sim = self.sims[0]
        seen = len(sim.dump_state()["applied"])
        last_event = self.env["omni.sync.event"].search([], limit=1).id
        for product, qty in zip(self.products, (3, 4, 5), strict=True):
            self.set_stock(product, qty)
        self.flush()
        sim.faults.add("status", path="/api/stock", status=429, retry_after=0)
        sim.faults.add("status", path="/api/stock", status=500)
        sim.faults.add("timeout", path="/api/stock", seconds=2)
        self.run_jobs()
        applied = [a for a in sim.dump_state()["applied"][seen:] if a[0] == "stock"]
        self.assertEqual(sorted((a[1], a[2]) for a in applied),
                         [("SKU-0", 3), ("SKU-1", 4), ("SKU-2", 5)])
        self.assertEqual([self.shown(sim, p) for p in self.products], [3, 4, 5])
        events = self.env["omni.sync.event"].search(
            [("channel_id", "=", self.channels.id), ("endpoint", "=", "/api/stock"),
             ("id", ">", last_event)]
        )
        self.assertEqual(sorted(events.mapped("state")), ["error"] * 3 + ["ok"])
        # every attempt leads to the job that made it
        self.assertEqual(len(set(events.mapped("job_uuid"))), 1)
        job = self.env["queue.job"].browse(events[0].action_open_job()["res_id"])
        self.assertEqual(job.method_name, "_omni_push_stock")

    def test_failed_push_keeps_flags_and_retries(self):
        sim = self.sims[0]
        product = self.products[0]
        self.set_stock(product, 7)
        self.flush()
        sim.faults.add("status", path="/api/stock", status=503, times=10)
        job = self.pending_jobs("stock", self.channels)
        # not assertRaises: Odoo's rolls back a savepoint, while the sync notes
        # its failure in a transaction of its own that survives the job's
        raised = None
        try:
            Job.load(self.env, job.uuid).perform()
        except RetryableJobError as err:
            raised = err
        self.assertIsNotNone(raised, "an exhausted push must ask queue_job to retry")
        binding = self.binding(self.channels, product)
        self.assertTrue(binding.stock_dirty)
        self.assertIn("503", self.channels.last_error)
        sim.faults.clear()
        self.run_jobs()
        self.assertEqual(self.shown(sim, product), 7)
        self.assertFalse(self.binding(self.channels, product).stock_dirty)

    def test_rejected_binding_is_marked_and_does_not_block_others(self):
        sim = self.sims[0]
        bad, good = self.products[0], self.products[1]
        with sim.lock:
            del sim.offers[bad.default_code]  # the channel no longer knows this SKU
        self.set_stock(bad, 2)
        self.set_stock(good, 2)
        self.run_jobs()
        self.assertEqual(self.shown(sim, good), 2)
        failed = self.binding(self.channels, bad)
        self.assertEqual(failed.sync_state, "error")
        self.assertIn("unknown sku", failed.last_error)
        self.assertEqual(self.channels.failed_binding_count, 1)
        self.assertEqual(self.binding(self.channels, good).sync_state, "ok")


    def test_failure_is_reported_in_the_responsibles_language(self):
        """The scheduler queues most jobs; the manager still reads Ukrainian."""
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"]._load_module_terms(["omni_channel_base"], ["uk_UA"])
        manager = self.env["res.users"].create({
            "name": "Менеджер", "login": "omni-manager-uk", "lang": "uk_UA",
            "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_manager").ids)],
        })
        channel = self.channels[0]
        channel.user_id = manager
        self.set_stock(self.products[0], 3)
        self.flush()
        self.sims[0].faults.add("status", path="/api/stock", status=503, times=10)
        job = self.pending_jobs("stock", channel)
        self.assertTrue(job.name.startswith("Вивантаження залишків"), job.name)
        with contextlib.suppress(RetryableJobError):
            Job.load(self.env, job.uuid).perform()  # queued in English
        # "Stock: Error on the side of channel Channel A: ... HTTP 503"
        self.assertTrue(channel.last_error.startswith("Залишки: "), channel.last_error)
        self.assertIn(f"каналу {channel.name}", channel.last_error)
        self.assertIn("503", channel.last_error)
