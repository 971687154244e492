from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _load(self, template_code, company, install_demo, force_create=True):
        """A company given its chart gets its money routes (Ukrainian defaults for the
        Ukrainian chart), as one installed before the addon does at installation."""
        res = super()._load(template_code, company, install_demo, force_create=force_create)
        if not isinstance(company, models.BaseModel):
            company = self.env["res.company"].browse(company or self.env.company.id)
        company = company or self.env.company
        if company.chart_template:
            self.env["omni.money.route"]._omni_setup_defaults(company)
        return res
