"""Shared set-up for the Odoo-tier tests: channels wired to sandbox simulators.

Every channel talks over real HTTP to a :class:`GenericChannelSimulator` on a
loopback port; jobs are stored as real ``queue.job`` records (so identity
keys coalesce as in production) and run by :meth:`OmniChannelCase.run_jobs`.
"""

import threading
from urllib.parse import urlsplit

from odoo import api
from odoo.modules import module as odoo_module
from odoo.tests import TransactionCase, tagged
from odoo.tests.common import BlockedRequest, _super_send

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.addons.queue_job.job import Job

from omni_sandbox.generic import GenericChannelSimulator


@tagged("post_install", "-at_install")
class OmniLoopbackCase(TransactionCase):
    """Remote services played by simulators on loopback, as every omni test needs.

    Marks the test thread as testing (sync results, logs and tokens are then
    written in the test transaction), disables mail, shortens the HTTP
    timeouts and backoff, and lets requests reach loopback only.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own test runner marks the thread as testing; pytest-odoo does not
        # on 18.0. Sync results are then written in the test transaction.
        if not odoo_module.current_test:
            odoo_module.current_test = True
            cls.addClassCleanup(setattr, odoo_module, "current_test", False)
        thread = threading.current_thread()
        if not getattr(thread, "testing", False):
            thread.testing = True
            cls.addClassCleanup(setattr, thread, "testing", False)
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        params = cls.env["ir.config_parameter"].sudo()
        # short timeouts and backoff keep fault tests fast; behaviour is the same
        params.set_param("omni_channel_base.read_timeout", "1")
        params.set_param("omni_channel_base.backoff_base", "0.01")

    @classmethod
    def _request_handler(cls, session, request, /, **kw):
        """Loopback only, as Odoo's own handler, but keep the client's timeouts.

        Odoo raises every timeout below 10 s during tests; the fault tests need
        the connectors' real (short) timeouts to hit the simulator's hangs.
        """
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
            return _super_send(session, request, **kw)
        raise BlockedRequest(f"External requests verboten (was {request.method} {request.url})")


@tagged("post_install", "-at_install")
class OmniChannelCase(OmniLoopbackCase):
    """Channels wired to simulators, with helpers to change stock and run jobs.

    A connector addon reuses it for its own channel type by setting
    ``channel_type`` and ``simulator_class`` and overriding the hooks
    :meth:`_omni_make_simulator`, :meth:`_omni_channel_vals` and
    :meth:`_omni_sim_add_offer` (and :meth:`shown` when its simulator keeps
    offers another way).
    """

    #: how many channels (and simulators) each test class gets
    channel_count = 3
    product_count = 3
    #: the channel type under test and the simulator that plays its API
    channel_type = "generic"
    simulator_class = GenericChannelSimulator

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customer_location = cls.env.ref("stock.stock_location_customers")
        cls.supplier_location = cls.env.ref("stock.stock_location_suppliers")
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Channel prices", "currency_id": cls.env.company.currency_id.id}
        )
        cls.products = cls.env["product.product"].create([
            {
                "name": f"Product {i}",
                "default_code": f"SKU-{i}",
                "is_storable": True,
                "list_price": 100.0 + i,
                "taxes_id": [(6, 0, [])],  # tests of taxes add their own
            }
            for i in range(cls.product_count)
        ])
        cls.sims = []
        channels = cls.env["omni.channel"]
        for index in range(cls.channel_count):
            sim = cls._omni_make_simulator(index)
            sim.start()
            cls.addClassCleanup(sim.stop)
            cls.sims.append(sim)
            for product in cls.products:
                cls._omni_sim_add_offer(sim, product)
            channels |= cls.env["omni.channel"].create(cls._omni_channel_vals(index, sim))
        cls.channels = channels
        cls.env["omni.product.binding"].create([
            {"channel_id": channel.id, "product_id": product.id}
            for channel in channels
            for product in cls.products
        ])

    # ------------------------------------------------------ hooks for connectors
    @classmethod
    def _omni_make_simulator(cls, index):
        """A new (not yet started) simulator for the channel number ``index``."""
        return cls.simulator_class(api_key=f"secret-key-{index}-x9")

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        """Values of the channel number ``index``, talking to ``sim``."""
        return {
            "name": f"Channel {chr(65 + index)}",
            "channel_type": cls.channel_type,
            "api_url": sim.url,
            "api_key": sim.api_key,
            "warehouse_ids": [(6, 0, cls.warehouse.ids)],
            "pricelist_id": cls.pricelist.id,
            "sync_delay": 1,
            "order_poll_interval": 0,  # tests import when they choose to
        }

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        """List ``product`` on ``sim`` as the channel shows it before any push."""
        sim.add_offer(product.default_code, quantity=0, price="1.00")

    def setUp(self):
        super().setUp()
        for sim in self.sims:
            sim.reset()
            for product in self.products:
                self._omni_sim_add_offer(sim, product)
        # start each test from a synchronised state
        self.run_jobs()
        for sim in self.sims:
            sim.requests.clear()

    # ------------------------------------------------------------ helpers
    def flush(self):
        """What a commit does before it commits: the precommit hooks."""
        self.env.cr.flush()

    def pending_jobs(self, kind=None, channel=None):
        key = "omni:%"
        if channel is not None:
            key = f"omni:{channel.id}:{kind or ''}%"
        elif kind:
            key = f"omni:%:{kind}%"
        return self.env["queue.job"].search(
            [("identity_key", "=like", key), ("state", "in", ("pending", "enqueued"))],
            order="priority, id",
        )

    def run_job(self, record):
        job = Job.load(self.env, record.uuid)
        job.set_started()
        job.store()
        result = job.perform()
        job.set_done(result=result)
        job.store()
        self.flush()
        return result

    def run_jobs(self, rounds=10):
        """Run every waiting omni job, and the jobs those jobs queue."""
        self.flush()
        ran = 0
        for _round in range(rounds):
            records = self.pending_jobs()
            if not records:
                return ran
            for record in records:
                self.run_job(record)
                ran += 1
        return ran

    def in_threads(self, db, *works):
        """Run each ``work(env)`` in a thread and a real transaction of its own,
        all started together (as several job runners would); a work's exception
        is its result. Commits what did not fail. The threads are not marked as
        testing, so writes meant for a transaction of their own really commit."""
        barrier = threading.Barrier(len(works))
        results = [None] * len(works)

        def run(index, work):
            try:
                with db.cursor() as cr:
                    env = api.Environment(cr, self.env.uid, {})
                    cr.execute("SELECT 1")
                    barrier.wait(timeout=10)
                    results[index] = work(env)
            except Exception as err:  # noqa: BLE001 - the caller asserts on it
                results[index] = err

        threads = [threading.Thread(target=run, args=item) for item in enumerate(works)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results

    def set_stock(self, product, quantity, location=None):
        """An inventory adjustment, as a stock user applies it."""
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id,
            "location_id": (location or self.stock_location).id,
            "inventory_quantity": quantity,
        })
        quant.action_apply_inventory()

    def shown(self, sim, product):
        return sim.offer(product.default_code)["quantity"]

    def sell(self, product, qty, channel=None, confirm=True):
        partner = self.env["res.partner"].create({"name": "Buyer"})
        order = self.env["sale.order"].create({
            "partner_id": partner.id,
            "warehouse_id": self.warehouse.id,
            "omni_channel_id": channel.id if channel else False,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": qty})],
        })
        if confirm:
            order.action_confirm()
        return order

    def binding(self, channel, product):
        return self.env["omni.product.binding"].search(
            [("channel_id", "=", channel.id), ("product_id", "=", product.id)]
        )
