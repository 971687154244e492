from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    omni_money_route_count = fields.Integer(
        "Money Routes", compute="_compute_omni_money_route_count")

    def _compute_omni_money_route_count(self):
        for settings in self:
            settings.omni_money_route_count = self.env["omni.money.route"].search_count(
                [("company_id", "=", settings.company_id.id)])

    def action_omni_money_routes(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "omni_account.omni_money_route_action")

    def action_omni_setup_money_routes(self):
        self.env["omni.money.route"]._omni_check_accountant()
        self.env["omni.money.route"]._omni_setup_defaults(self.company_id)
        return self.action_omni_money_routes()
