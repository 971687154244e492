from odoo import fields, models


class OmniChannelToken(models.Model):
    """A session token a channel's API issued (Rozetka, Checkbox), kept between jobs.

    Connectors that log in for a token (``omni_connectors.core.auth.TokenAuth``)
    read and store it through :meth:`omni.channel._omni_token_cache`, so that
    every job and every worker reuses one session instead of logging in each
    time. Readable by system administrators only, like the credentials.
    """

    _name = "omni.channel.token"
    _description = "Channel Session Token"
    _log_access = False

    channel_id = fields.Many2one(
        "omni.channel", required=True, ondelete="cascade", index=True, readonly=True
    )
    name = fields.Char(
        required=True, readonly=True, help="Which login the token belongs to (session, cashier...)."
    )
    token = fields.Char(required=True, readonly=True)
    date = fields.Datetime("Obtained On", readonly=True)

    _sql_constraints = [
        ("channel_name_uniq", "unique(channel_id, name)", "One token per channel and login."),
    ]
