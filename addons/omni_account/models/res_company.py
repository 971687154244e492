from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    omni_money_route_ids = fields.One2many("omni.money.route", "company_id", "Money Routes")
