from . import models
from . import wizards


def post_init_hook(env):
    """Money routes with their clearing journals for every company with a chart."""
    for company in env["res.company"].search([("chart_template", "!=", False)]):
        env["omni.money.route"]._omni_setup_defaults(company)
