"""The whole suite on the simulators: Rozetka, Prom and an own shop as channels,
Nova Poshta as the carrier, Checkbox as the cash register, the books' money routes.

Every remote service is a sandbox simulator on a loopback port, reached over real
HTTP by the addons' own clients; jobs are real ``queue.job`` records, run here one
after the other as the job runner would.
"""

import base64

from lxml import etree

from odoo.tests import tagged

from odoo.addons.omni_channel_base.tests.common import OmniChannelCase

from omni_sandbox.checkbox import CheckboxSimulator
from omni_sandbox.novaposhta import NovaPoshtaSimulator
from omni_sandbox.prom import PromSimulator
from omni_sandbox.rozetka import RozetkaSimulator
from omni_sandbox.shop import ShopSimulator

NP_KEY = "0123456789abcdef0123456789abcdef"
SHOP_SECRET = "shop-webhook-secret-e2e"
ROZETKA, PROM, SHOP = range(3)


@tagged("post_install", "-at_install")
class SuiteCase(OmniChannelCase):
    """``self.rozetka``, ``self.prom`` and ``self.shop`` channels with their simulators."""

    channel_count = 3
    product_count = 2

    @classmethod
    def _omni_make_simulator(cls, index):
        if index == ROZETKA:
            return RozetkaSimulator(password="Pa55-word-rz-7")
        if index == PROM:
            return PromSimulator(token="prom-secret-token-e2e-x9")
        return ShopSimulator(secret=SHOP_SECRET)

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        vals = {
            "warehouse_ids": [(6, 0, cls.warehouse.ids)],
            "pricelist_id": cls.pricelist.id,
            "sync_delay": 1,
            "order_poll_interval": 0,  # the tests import when they choose to
        }
        if index == ROZETKA:
            vals.update(name="Rozetka", channel_type="rozetka", rozetka_api_url=sim.url,
                        rozetka_login=sim.username, rozetka_password=sim.password,
                        # Rozetka does not report its commission per order: the
                        # seller sets the category's rate on the channel
                        commission_percent=12.0)
        elif index == PROM:
            vals.update(name="Prom", channel_type="prom", api_url=f"{sim.url}/api/v1",
                        prom_token=sim.api_key)
        else:
            vals.update(name="Own shop", channel_type="shop",
                        shop_webhook_url=f"{sim.url}/webhook", shop_webhook_secret=SHOP_SECRET)
        return vals

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        if isinstance(sim, RozetkaSimulator):
            sim.add_item(product.default_code, product.name, quantity=0,
                         price=product.list_price)
        elif isinstance(sim, PromSimulator):
            sim.add_product(product.default_code, quantity=0, price="1.00", gtin="")
        # the own shop learns its offers from Odoo

    def shown(self, sim, product):
        if isinstance(sim, ShopSimulator):
            return sim.offers.get(product.default_code, {}).get("quantity")
        return super().shown(sim, product)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rozetka, cls.prom, cls.shop = cls.channels
        cls.rozetka_sim, cls.prom_sim, cls.shop_sim = cls.sims
        cls.products.write({"weight": 1.3, "standard_price": 40.0})
        cls.product = cls.products[0]
        cls.feed = cls.env["omni.shop.feed"].create({"channel_id": cls.shop.id})
        # Nova Poshta: an account with its directory and sender, the shipping method
        cls.np_sim = NovaPoshtaSimulator(api_key=NP_KEY, cities=25, warehouses=300)
        cls.np_sim.start()
        cls.addClassCleanup(cls.np_sim.stop)
        cls.np_account = cls.env["omni.np.account"].create({
            "name": "Shop", "api_key": NP_KEY, "api_url": cls.np_sim.url,
            "print_url": cls.np_sim.url,
        })
        cls.np_account._omni_np_sync_directory()
        cls.np_account.action_load_sender()
        kyiv = cls.env["omni.np.city"].search([("name", "=", "Київ")])
        cls.np_account.sender_warehouse_id = kyiv.warehouse_ids.filtered(
            lambda w: w.number == "1")
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Nova Poshta", "delivery_type": "novaposhta",
            "product_id": cls.env["product.product"].create(
                {"name": "NP delivery", "type": "service"}).id,
            "novaposhta_account_id": cls.np_account.id,
            "novaposhta_cod_mode": "payment_control",
            # free delivery for the buyer: the seller pays the waybill and the
            # cash-on-delivery transfer (2 % + 20 UAH)
            "novaposhta_payer": "sender", "novaposhta_cod_payer": "sender",
            "novaposhta_cod_fee_percent": 2.0, "novaposhta_cod_fee_fixed": 20.0,
        })
        # Checkbox: the company's default cash register
        cls.cbx_sim = CheckboxSimulator(shift_delay=0.01, receipt_delay=0.02)
        cls.cbx_sim.start()
        cls.addClassCleanup(cls.cbx_sim.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("omni_fiscal_checkbox.poll_interval", "0.02")
        params.set_param("omni_fiscal_checkbox.poll_timeout", "2")
        cls.register = cls.env["omni.checkbox.register"].create({
            "name": "Online register", "api_url": cls.cbx_sim.url,
            "license_key": "test-license-key", "cashier_login": "cashier",
            "cashier_password": "secret-pass", "is_vat_payer": False, "is_default": True,
        })
        # the books: where marketplace and cash-on-delivery money goes
        Route = cls.env["omni.money.route"]
        routes = Route.search([("company_id", "=", cls.env.company.id)]) or (
            Route._omni_setup_defaults(cls.env.company))
        cls.cod_route = routes.filtered(lambda r: r.collection == "cod")[:1]
        cls.channel_route = routes.filtered(lambda r: r.collection == "channel")[:1]

    def setUp(self):
        super().setUp()
        self.np_sim.reset()
        self.cbx_sim.reset()

    # ------------------------------------------------------------ helpers
    def run_all_jobs(self, rounds=10):
        """Every waiting job of the suite (channels, Nova Poshta, Checkbox), and the
        jobs they queue, whatever their planned time."""
        ran = 0
        for _round in range(rounds):
            self.flush()  # the precommit hooks flag the stock changes, as a commit would
            records = self.env["queue.job"].search(
                [("identity_key", "=like", "omni%"), ("state", "in", ("pending", "enqueued"))],
                order="priority, id")
            if not records:
                break
            for record in records:
                self.run_job(record)
                ran += 1
        self.env.invalidate_all()
        return ran

    def import_orders(self, channel):
        channel.action_import_orders_now()
        self.run_all_jobs()
        return self.env["omni.external.order"].search(
            [("channel_id", "=", channel.id)], order="id desc", limit=1)

    def feed_quantity(self, product):
        """The quantity the own shop's price-list feed shows for ``product``."""
        self.feed.invalidate_recordset()
        root = etree.fromstring(base64.b64decode(self.feed.data))
        offer = root.find(f"shop/offers/offer[@id='{product.default_code}']")
        return int(offer.findtext("stock_quantity"))

    def ship(self, sale):
        """The storekeeper validates the delivery: Nova Poshta gives the waybill."""
        picking = sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.run_all_jobs()
        return picking

    def track(self, picking, steps, script=None):
        """Nova Poshta moves the parcel on; the tracking job reads it."""
        self.np_sim.advance(picking.carrier_tracking_ref, steps, script=script)
        self.np_account._omni_np_track()
        self.run_all_jobs()

    def pnl(self, order):
        fields = ["revenue", "returns", "net_revenue", "cogs", "commission",
                  "delivery_cost", "cod_fee", "acquiring_fee", "margin"]
        self.env.flush_all()
        rows = self.env["omni.pnl.report"].read_group(
            [("order_id", "=", order.id)], fields, ["channel_id"])
        self.assertEqual(len(rows), 1)
        return rows[0]
