from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    omni_sale_order_id = fields.Many2one(
        "sale.order", "Channel Order", index="btree_not_null", readonly=True, copy=False,
        help="The sales order whose collected money this payment books.",
    )
    omni_money_route_id = fields.Many2one(
        "omni.money.route", "Money Route", readonly=True, copy=False, index="btree_not_null",
    )
