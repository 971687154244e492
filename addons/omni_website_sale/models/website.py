from odoo import api, fields, models


class Website(models.Model):
    _inherit = "website"

    omni_channel_id = fields.Many2one(
        "omni.channel",
        string="Sales Channel",
        domain="[('channel_type', '=', 'shop'), ('company_id', '=', company_id)]",
        check_company=True,
        ondelete="restrict",
        groups="sales_team.group_sale_salesman",
        help="The own-shop channel this website's orders carry, so that the channel "
        "reports count them. Its stock is Odoo's own: nothing is pushed to it.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        websites = super().create(vals_list)
        websites._omni_ensure_channel()
        return websites

    def _omni_ensure_channel(self):
        """Give each website without one an own-shop channel of its company."""
        Channel = self.env["omni.channel"].sudo()
        for website in self.sudo().filtered(lambda w: not w.omni_channel_id):
            company = website.company_id
            warehouse = self.env["stock.warehouse"].sudo().search(
                [("company_id", "=", company.id)], limit=1)
            website.omni_channel_id = Channel.with_company(company).create({
                "name": website.name,
                "channel_type": "shop",
                "company_id": company.id,
                "warehouse_ids": [(6, 0, warehouse.ids)],
                "sync_stock": False,
                "sync_price": False,
                "sync_orders": False,
                "push_order_status": False,
                "order_poll_interval": 0,
            })
        return True
