from odoo import models


class OmniBindingWizard(models.TransientModel):
    _inherit = "omni.binding.wizard"

    def action_run(self):
        res = super().action_run()
        # products matched or published here and listed on Prom without an
        # external id get one, so that stock and prices can reach them
        self.channel_id._omni_prom_queue_external_ids()
        return res
