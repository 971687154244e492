from odoo import api, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        """A website's cart carries the website's own-shop channel."""
        website_ids = {vals["website_id"] for vals in vals_list
                       if vals.get("website_id") and not vals.get("omni_channel_id")}
        if website_ids:
            websites = self.env["website"].sudo().browse(website_ids)
            websites._omni_ensure_channel()
            channels = {w.id: w.omni_channel_id.id for w in websites}
            for vals in vals_list:
                if vals.get("website_id") and not vals.get("omni_channel_id"):
                    vals["omni_channel_id"] = channels[vals["website_id"]]
        return super().create(vals_list)
