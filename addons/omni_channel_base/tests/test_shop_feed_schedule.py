"""When a price-list feed is rebuilt after changes: soon, but not after every sale."""

from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestFeedSchedule(TransactionCase):
    def test_changes_wait_for_the_interval_and_a_user_rebuild_does_not(self):
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1)
        channel = self.env["omni.channel"].create({
            "name": "Feed schedule", "channel_type": "shop", "sync_delay": 1,
            "warehouse_ids": [(6, 0, warehouse.ids)], "order_poll_interval": 0})
        feed = self.env["omni.shop.feed"].create(
            {"channel_id": channel.id, "rebuild_interval": 60})
        key = channel._omni_job_key("feed", f":{feed.id}")
        Job = self.env["queue.job"]

        def job_wait():
            job = Job.search([("identity_key", "=", key), ("state", "=", "pending")])
            self.assertEqual(len(job), 1)
            return ((job.eta or fields.Datetime.now()) - fields.Datetime.now()).total_seconds()

        self.assertLessEqual(job_wait(), 2, "a new feed is built at once")
        Job.search([("identity_key", "=", key)]).unlink()
        # built 10 s ago in 30 s (a large catalogue): a sale waits 300 s from then
        feed.write({"built_at": fields.Datetime.now() - timedelta(seconds=10),
                    "build_seconds": 30.0})
        channel._omni_enqueue("stock")
        self.assertAlmostEqual(job_wait(), 290, delta=5)
        channel._omni_enqueue("price")  # absorbed by the waiting rebuild
        self.assertAlmostEqual(job_wait(), 290, delta=5)
        # a quick feed waits its interval only
        Job.search([("identity_key", "=", key)]).unlink()
        feed.build_seconds = 0.5
        channel._omni_enqueue("stock")
        self.assertAlmostEqual(job_wait(), 50, delta=5)
        # the manager's Rebuild brings the waiting rebuild forward
        feed.action_rebuild()
        self.assertLessEqual(job_wait(), 2)
