from odoo import api, models


class ResCurrencyRate(models.Model):
    _inherit = "res.currency.rate"

    def _omni_touch_channels(self):
        """Prices converted from another currency move with its rate."""
        channels = self.env["omni.channel"].sudo().search([("pricelist_id", "!=", False)])
        channels = channels.filtered(
            lambda c: c.pricelist_id.currency_id != c.company_id.currency_id
            and self.currency_id & (c.pricelist_id.currency_id | c.company_id.currency_id)
        )
        if channels:
            self.env["omni.product.binding"]._omni_all_of_channels(channels, ("price",))

    @api.model_create_multi
    def create(self, vals_list):
        rates = super().create(vals_list)
        rates._omni_touch_channels()
        return rates

    def write(self, vals):
        res = super().write(vals)
        self._omni_touch_channels()
        return res
