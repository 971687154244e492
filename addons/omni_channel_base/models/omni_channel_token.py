from odoo import fields, models


class OmniChannelToken(models.Model):
    """A session token a remote service issued (Rozetka, Checkbox), kept between jobs.

    Connectors that log in for a token (``omni_connectors.core.auth.TokenAuth``)
    read and store it through :meth:`omni.backend.mixin._omni_token_cache`, so
    that every job and every worker reuses one session instead of logging in
    each time. The service is any backend record (channel, carrier account,
    cash register). Readable by system administrators only, like the
    credentials.
    """

    _name = "omni.channel.token"
    _description = "Service Session Token"
    _log_access = False

    backend_model = fields.Char("Service Model", required=True, readonly=True, index=True)
    backend_id = fields.Many2oneReference(
        "Service Record", model_field="backend_model", required=True, readonly=True, index=True
    )
    name = fields.Char(
        required=True, readonly=True, help="Which login the token belongs to (session, cashier...)."
    )
    token = fields.Char(required=True, readonly=True)
    date = fields.Datetime("Obtained On", readonly=True)

    _sql_constraints = [
        ("backend_name_uniq", "unique(backend_model, backend_id, name)",
         "One token per service and login."),
    ]
