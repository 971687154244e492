"""When a receipt is due: one editable row per payment method (and channel).

The defaults follow the practice table of the Checkbox fact sheet: card or
marketplace payment service -> sell receipt when the payment is confirmed;
cash on delivery or Nova Poshta payment control -> sell receipt when the
carrier reports the money collected; bank transfer -> none; refusal or
return after a sell receipt -> return receipt.
"""

from odoo import api, fields, models

METHODS = [
    ("online", "Card online or marketplace payment service"),
    ("cod", "Cash on delivery or payment control"),
    ("bank", "Bank transfer to the seller's account"),
    ("cash", "Cash at the counter"),
]


class OmniFiscalPolicy(models.Model):
    _name = "omni.fiscal.policy"
    _description = "Fiscal Receipt Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    channel_id = fields.Many2one(
        "omni.channel", "Sales Channel", check_company=True, ondelete="cascade",
        help="Only orders of this channel; empty: every order. A row for a channel wins "
        "over the general row of the same payment method.",
    )
    payment_method = fields.Selection(METHODS, required=True)
    method_codes = fields.Char(
        "Channel Payment Codes",
        help="Comma-separated payment method codes of the channels that mean this method "
        "(e.g. card, evopay, rozetka_pay, cod). Cash on delivery flagged by the channel "
        "always counts as cash on delivery.",
    )
    journal_ids = fields.Many2many(
        "account.journal", string="Odoo Payment Journals", check_company=True,
        help="Odoo payments in these journals count as this method.",
    )
    issue_on = fields.Selection(
        [("paid", "When the payment is confirmed"),
         ("cod", "When the carrier reports the money collected"),
         ("never", "No receipt")],
        "Sell Receipt", required=True, default="paid",
        help="'When the payment is confirmed': the channel reports the order paid (Prom "
        "Payment, Rozetka's paid status) or a payment is registered in Odoo. 'When the "
        "carrier reports the money collected': Nova Poshta's cash-on-delivery payout.",
    )
    payment_type = fields.Selection(
        [("cash", "Cash"), ("cashless", "Cashless")], "Paid As", required=True,
        default="cashless",
    )
    payment_label = fields.Char(
        "Payment Name",
        help="Name printed for the payment, from the official list; empty: the register's "
        "name for cash or cashless payments.",
    )
    issue_return = fields.Boolean(
        "Return Receipt", default=True,
        help="When the parcel is refused or comes back, or the refund is paid, after a "
        "sell receipt: a return receipt linked to it.",
    )

    def _omni_codes(self):
        self.ensure_one()
        return {code.strip().lower() for code in (self.method_codes or "").split(",")
                if code.strip()}

    @api.model
    def _omni_policies(self, order):
        """The rows that apply to ``order`` (a sales order or an invoice), the channel's first."""
        channel = order.omni_channel_id if order._name == "sale.order" else order.browse()
        rows = self.search([
            ("company_id", "=", order.company_id.id),
            ("channel_id", "in", [channel.id or False, False]),
        ])
        return rows.sorted(lambda p: (not p.channel_id, p.sequence, p.id))

    @api.model
    def _omni_method(self, order, source, payment=None):
        """How the buyer of ``order`` (a sales order or an invoice) paid, for the event
        ``source`` (and Odoo ``payment``)."""
        if source == "cod":
            return "cod"
        external = (order._omni_channel_order() if order._name == "sale.order"
                    else self.env["omni.external.order"])
        if external.cash_on_delivery:
            return "cod"
        policies = self._omni_policies(order)
        if payment:
            for policy in policies:
                if payment.journal_id in policy.journal_ids:
                    return policy.payment_method
            if payment.payment_transaction_id:
                return "online"
            return "cash" if payment.journal_id.type == "cash" else "bank"
        code = (external.payment_method or "").strip().lower()
        for policy in policies:
            if code and code in policy._omni_codes():
                return policy.payment_method
        return "online" if source == "channel" else "bank"

    @api.model
    def _omni_for(self, order, method):
        """The row for ``order`` paid by ``method``, the channel's own first."""
        return self._omni_policies(order).filtered(lambda p: p.payment_method == method)[:1]

    def _omni_issues_on(self, source):
        """Whether the event ``source`` (channel, cod, payment, manual) is due a sell receipt."""
        self.ensure_one()
        if source == "manual":
            return True
        if self.issue_on == "paid":
            return source in ("channel", "payment")
        if self.issue_on == "cod":
            return source == "cod"
        return False

    # ------------------------------------------------------------ defaults
    @api.model
    def _omni_default_refs(self):
        """The shipped rows (XML ids of this module), the model of every company's rows."""
        return [f"omni_fiscal_checkbox.omni_fiscal_policy_{method}" for method, _l in METHODS]

    @api.model
    def _omni_ensure_defaults(self, companies=None):
        """Give every company in ``companies`` (default: all) that has no rows at all a copy
        of the shipped rows (settings as shipped, no journals, no channel)."""
        companies = companies if companies is not None else self.env["res.company"].search([])
        Policy = self.sudo().with_context(active_test=False)
        have = set(Policy.search([("company_id", "in", companies.ids)]).company_id.ids)
        created = self.browse()
        templates = [self.env.ref(xmlid, raise_if_not_found=False)
                     for xmlid in self._omni_default_refs()]
        templates = [t.sudo() for t in templates if t]
        for company in companies.filtered(lambda c: c.id not in have):
            for template in templates:
                created |= template.copy({
                    "company_id": company.id,
                    "channel_id": False,
                    "journal_ids": [(5, 0, 0)],
                    "active": True,
                    "sequence": template.sequence,
                })
        return created
