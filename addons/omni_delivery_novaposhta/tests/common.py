"""A Nova Poshta account wired to the Nova Poshta simulator over loopback HTTP."""

from odoo.tests import tagged

from odoo.addons.omni_channel_base.tests.common import OmniLoopbackCase
from odoo.addons.queue_job.job import Job

from omni_sandbox.novaposhta import NovaPoshtaSimulator

KEY = "0123456789abcdef0123456789abcdef"


@tagged("post_install", "-at_install")
class NovaPoshtaCase(OmniLoopbackCase):
    """An account with its directory and sender loaded, a shipping method, products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = NovaPoshtaSimulator(api_key=KEY, cities=25, warehouses=300)
        cls.sim.start()
        cls.addClassCleanup(cls.sim.stop)
        cls.account = cls.env["omni.np.account"].create({
            "name": "Shop", "api_key": KEY, "api_url": cls.sim.url, "print_url": cls.sim.url,
        })
        cls.account._omni_np_sync_directory()
        cls.account.action_load_sender()
        City = cls.env["omni.np.city"]
        cls.kyiv = City.search([("name", "=", "Київ")])
        cls.lviv = City.search([("name", "=", "Львів")])
        cls.account.sender_warehouse_id = cls.kyiv.warehouse_ids.filtered(
            lambda w: w.number == "1")
        cls.branch = cls.lviv.warehouse_ids.filtered(lambda w: w.kind == "branch")[:1]
        cls.locker = cls.lviv.warehouse_ids.filtered(lambda w: w.kind == "postomat")[:1]
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Nova Poshta", "delivery_type": "novaposhta",
            "product_id": cls.env["product.product"].create(
                {"name": "NP delivery", "type": "service"}).id,
            "novaposhta_account_id": cls.account.id,
            "novaposhta_cod_mode": "payment_control",
        })
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1)
        cls.product = cls.env["product.product"].create({
            "name": "Куртка", "is_storable": True, "list_price": 1200.0, "weight": 1.3,
            "taxes_id": [(6, 0, [])],
        })
        cls.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": cls.product.id, "location_id": cls.warehouse.lot_stock_id.id,
            "inventory_quantity": 1000,
        }).action_apply_inventory()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Петренко Іван", "email": "ivan@example.com"})

    def setUp(self):
        super().setUp()
        self.sim.reset()

    # ------------------------------------------------------------------ helpers
    def make_order(self, qty=1, phone="+380671234567", warehouse=None, **vals):
        values = {
            "partner_id": self.partner.id,
            "warehouse_id": self.warehouse.id,
            "carrier_id": self.carrier.id,
            "np_city_id": self.lviv.id,
            "np_warehouse_id": (warehouse or self.branch).id,
            "np_last_name": "Петренко", "np_first_name": "Іван",
            "np_phone": phone,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": qty})],
        }
        values.update(vals)
        order = self.env["sale.order"].create(values)
        order.action_confirm()
        return order

    def make_picking(self, **kw):
        picking = self.make_order(**kw).picking_ids
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        return picking

    def run_np_jobs(self):
        self.env.flush_all()
        jobs = self.env["queue.job"].search(
            [("identity_key", "=like", "omni_np:%"), ("state", "in", ("pending", "enqueued"))])
        for record in jobs:
            job = Job.load(self.env, record.uuid)
            job.set_started()
            job.store()
            job.set_done(result=job.perform())
            job.store()
        self.env.flush_all()
        return len(jobs)
