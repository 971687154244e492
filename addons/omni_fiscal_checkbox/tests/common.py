"""A Checkbox cash register wired to the sandbox simulator over real HTTP."""

import json

from odoo import fields
from odoo.tests import tagged

from odoo.addons.omni_channel_base.tests.common import OmniChannelCase

from omni_sandbox.checkbox import CheckboxSimulator


@tagged("post_install", "-at_install")
class CheckboxCase(OmniChannelCase):
    channel_count = 1
    product_count = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cbx = CheckboxSimulator(shift_delay=0.01, receipt_delay=0.02)
        cls.cbx.start()
        cls.addClassCleanup(cls.cbx.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("omni_fiscal_checkbox.poll_interval", "0.02")
        params.set_param("omni_fiscal_checkbox.poll_timeout", "2")
        cls.vat20 = cls.env["account.tax"].create({
            "name": "ПДВ 20% (incl.)", "amount": 20, "amount_type": "percent",
            "type_tax_use": "sale", "price_include_override": "tax_included",
        })
        cls.register = cls.env["omni.checkbox.register"].create({
            "name": "Online register",
            "api_url": cls.cbx.url,
            "license_key": "test-license-key",
            "cashier_login": "cashier",
            "cashier_password": "secret-pass",
            "is_vat_payer": True,
            "is_default": True,
            "tax_map_ids": [(0, 0, {"tax_id": cls.vat20.id, "code": "1"})],
        })
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Покупець", "email": "buyer@example.com", "mobile": "+380671234567"}
        )
        cls.products.write({"taxes_id": [(6, 0, cls.vat20.ids)]})

    def setUp(self):
        super().setUp()
        self.cbx.reset()

    # ------------------------------------------------------------ helpers
    def order(self, lines=None, channel=None):
        """A confirmed order: 2 x 199.99 with 10 % off and 1 x 101.00 (VAT included)."""
        lines = lines or [(self.products[0], 2, 199.99, 10.0), (self.products[1], 1, 101.0, 0)]
        order = self.env["sale.order"].create({
            "partner_id": self.buyer.id,
            "warehouse_id": self.warehouse.id,
            "omni_channel_id": channel.id if channel else False,
            "order_line": [
                (0, 0, {"product_id": p.id, "product_uom_qty": q, "price_unit": price,
                        "discount": disc, "tax_id": [(6, 0, self.vat20.ids)]})
                for p, q, price, disc in lines
            ],
        })
        order.action_confirm()
        return order

    def fiscal_jobs(self):
        return self.env["queue.job"].search(
            [("identity_key", "=like", "omni_fiscal:%"), ("state", "in", ("pending", "enqueued"))],
            order="id",
        )

    def run_fiscal_jobs(self, rounds=5, include_later=False):
        self.flush()
        ran = 0
        for _round in range(rounds):
            jobs = self.fiscal_jobs()
            if not include_later:
                now = fields.Datetime.now()
                jobs = jobs.filtered(lambda j, now=now: not j.eta or j.eta <= now)
            if not jobs:
                break
            for job in jobs:
                self.run_job(job)
                ran += 1
        return ran

    def sells(self, status=201):
        """Bodies of the receipts Checkbox accepted (``status=None``: every attempt)."""
        return [json.loads(r["body"]) for r in self.cbx.requests
                if r["path"] == "/api/v1/receipts/sell" and r["method"] == "POST"
                and (status is None or r["status"] == status)]
