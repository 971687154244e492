from odoo import models


class OmniBindingWizard(models.TransientModel):
    _inherit = "omni.binding.wizard"

    def action_run(self):
        res = super().action_run()
        if self.mode == "match" and self.channel_id.channel_type == "rozetka":
            # item ids and price-list flags of what was just bound, read in a job
            self.channel_id.action_rozetka_refresh_offers()
        return res
