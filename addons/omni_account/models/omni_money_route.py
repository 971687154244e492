from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError

# Ukrainian chart (l10n_ua, template ua_psbo): sub-accounts of 377 "Settlements
# with other debtors" hold what each payer owes; fees are sales expenses (93)
UA_CLEARING = {
    "cod": ("377101", "Розрахунки з перевізником за післяплатою"),
    "channel": ("377102", "Розрахунки з маркетплейсом за оплатами покупців"),
}
UA_FEE_ACCOUNT = "ua_psbp_93"
GENERIC_CLEARING = {
    "cod": ("OMNICOD", "Cash on delivery clearing"),
    "channel": ("OMNIPAY", "Marketplace payments clearing"),
}
# route, journal and payer names where the Ukrainian chart is in use
UA_NAMES = {
    "cod": ("Післяплата (Нова пошта)", "Післяплата Нова пошта: розрахунки", "Нова пошта"),
    "channel": ("Платіжний сервіс маркетплейсу", "Оплати маркетплейсу: розрахунки",
                "Платіжний сервіс маркетплейсу"),
}
DEFAULT_ROUTES = {
    "cod": {"name": "Cash on delivery (Nova Poshta)", "code": "NPCOD", "payer": "Nova Poshta",
            "policy": "delivery"},
    "channel": {"name": "Marketplace payment service", "code": "MKPAY",
                "payer": "Marketplace payment service", "policy": "payment"},
}


class OmniMoneyRoute(models.Model):
    """How the buyer's money reaches the seller for a kind of order.

    A route is the policy of one payment method (cash on delivery, the
    marketplace's payment service...) on some channels: when the customer
    invoice is made, the clearing journal the collected money is paid into, the
    accounts its fees go to, and how its payouts are matched in the bank.
    """

    _name = "omni.money.route"
    _description = "Money Route"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    collection = fields.Selection(
        [("channel", "Paid on the channel"), ("cod", "Cash on delivery")],
        required=True, default="channel",
        help="Which event brings the money: the channel reporting the order paid "
        "(card, marketplace payment service) or the carrier reporting the cash "
        "on delivery collected.",
    )
    channel_ids = fields.Many2many(
        "omni.channel", string="Channels", check_company=True,
        help="The channels this route applies to; empty: every channel of the company. "
        "A route naming the channel wins over a route for every channel.",
    )
    invoice_policy = fields.Selection(
        [
            ("delivery", "When the delivery is validated"),
            ("payment", "When the money is collected"),
            ("none", "Never (the documents live elsewhere)"),
        ],
        required=True, default="payment",
        help="When the customer invoice of an order of this route is created and posted. "
        "Never: no invoice and no payment are booked by Odoo for these orders.",
    )
    journal_id = fields.Many2one(
        "account.journal", "Clearing Journal", required=True, check_company=True,
        domain="[('type', '=', 'bank')]",
        help="The journal the collected money is paid into; its payments and the fees "
        "go to the clearing account.",
    )
    clearing_account_id = fields.Many2one(
        "account.account", required=True, check_company=True,
        help="What the payer still owes the seller: payments in, fees and payouts out.",
    )
    partner_id = fields.Many2one(
        "res.partner", "Payer", required=True, check_company=True,
        help="Who pays the money out to the seller (the carrier, the marketplace).",
    )
    commission_account_id = fields.Many2one(
        "account.account", required=True, check_company=True
    )
    cod_fee_account_id = fields.Many2one(
        "account.account", "Cash-on-Delivery Fee Account", required=True, check_company=True
    )
    acquiring_fee_account_id = fields.Many2one(
        "account.account", required=True, check_company=True
    )
    payout_journal_id = fields.Many2one(
        "account.journal", "Payout Bank Journal", check_company=True,
        domain="[('type', '=', 'bank')]",
        help="The bank journal where the payer's payouts arrive.",
    )
    payout_tolerance = fields.Monetary(
        default=1.0, currency_field="currency_id",
        help="A payout matches its orders when the amounts differ by at most this much; "
        "the difference is booked to the tolerance account.",
    )
    tolerance_account_id = fields.Many2one(
        "account.account", "Difference Account", check_company=True,
        help="Where a difference within the tolerance goes (default: the commission account).",
    )
    registry_mapping_id = fields.Many2one(
        "account.statement.import.sheet.mapping", "Payout Registry Columns",
        help="How to read the payer's payout registry (CSV or XLSX): order reference "
        "column, amount column, date column.",
    )
    reconcile_model_id = fields.Many2one(
        "account.reconcile.model", "Reconciliation Model", readonly=True, copy=False,
        check_company=True,
        help="Proposes the clearing lines of this route for the payer's bank lines in "
        "the reconciliation widget; kept in step with the route.",
    )

    @api.constrains("clearing_account_id")
    def _check_clearing_account(self):
        for route in self:
            if not route.clearing_account_id.reconcile:
                raise ValidationError(self.env._(
                    "The clearing account %(account)s must allow reconciliation.",
                    account=route.clearing_account_id.display_name))

    # ------------------------------------------------------------ rights
    @api.model
    def _omni_check_accountant(self):
        """Money actions are for accountants (Billing Administrator, Accountant)."""
        user = self.env.user
        if self.env.su or user.has_group("account.group_account_manager") or user.has_group(
                "account.group_account_user"):
            return True
        raise AccessError(self.env._("Only accountants may do this."))

    # ------------------------------------------------------------ lookup
    @api.model
    def _omni_for(self, order, collection):
        """The route of ``order`` for money brought by ``collection``."""
        routes = self.sudo().search([
            ("company_id", "=", order.company_id.id), ("collection", "=", collection),
        ])
        channel = order.omni_channel_id
        own = routes.filtered(lambda r: channel and channel in r.channel_ids)
        return (own or routes.filtered(lambda r: not r.channel_ids))[:1]

    # ------------------------------------------------------------ set-up
    @api.model_create_multi
    def create(self, vals_list):
        routes = super().create(vals_list)
        routes._omni_sync_reconcile_model()
        return routes

    def write(self, vals):
        res = super().write(vals)
        if {"partner_id", "payout_journal_id", "payout_tolerance", "clearing_account_id",
                "tolerance_account_id", "commission_account_id", "name", "active"} & set(vals):
            self._omni_sync_reconcile_model()
        return res

    def _omni_sync_reconcile_model(self):
        """One Odoo reconciliation model per route: the payer's open clearing lines,
        matched by reference, within the tolerance, difference to the tolerance account."""
        for route in self:
            vals = {
                "name": route.name,
                "rule_type": "invoice_matching",
                "company_id": route.company_id.id,
                "active": route.active,
                "auto_reconcile": False,
                "match_journal_ids": [Command.set(route.payout_journal_id.ids)],
                "match_nature": "amount_received",
                # the payer's bank line carries the orders' references; the clearing
                # lines of a payment belong to the buyer, so no partner filter
                "match_partner": False,
                "match_text_location_label": True,
                "match_text_location_reference": True,
                "match_text_location_note": True,
                "allow_payment_tolerance": True,
                "payment_tolerance_type": "fixed_amount",
                "payment_tolerance_param": route.payout_tolerance,
                "line_ids": [Command.clear(), Command.create({
                    "account_id": (route.tolerance_account_id
                                   or route.commission_account_id).id,
                    "amount_type": "percentage",
                    "amount_string": "100",
                    "label": self.env._("Payout difference"),
                })],
            }
            model = route.reconcile_model_id.sudo()
            if model:
                model.write(vals)
            else:
                model = model.create(vals)
                super(OmniMoneyRoute, route).write({"reconcile_model_id": model.id})
        return True

    @api.model
    def _omni_setup_defaults(self, company):
        """Routes for cash on delivery and marketplace payments, with their clearing
        journals and accounts: the Ukrainian chart's where l10n_ua is in use."""
        company = company.sudo()
        self = self.sudo().with_company(company)
        if self.search_count([("company_id", "=", company.id)]):
            return self.browse()
        ukrainian = company.chart_template == "ua_psbo"
        Account = self.env["account.account"]
        fee_account = Account
        if ukrainian:
            fee_account = self.env["account.chart.template"].with_company(company).ref(
                UA_FEE_ACCOUNT, raise_if_not_found=False) or Account
        if not fee_account:
            fee_account = Account.search([
                ("company_ids", "in", company.id), ("account_type", "=", "expense")], limit=1)
        bank = self.env["account.journal"].search([
            ("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        routes = self.browse()
        for collection, spec in DEFAULT_ROUTES.items():
            code, name = (UA_CLEARING if ukrainian else GENERIC_CLEARING)[collection]
            route_name = spec["name"]
            journal_name = self.env._("%(route)s clearing", route=spec["name"])
            payer = spec["payer"]
            if ukrainian:
                route_name, journal_name, payer = UA_NAMES[collection]
            account = Account.search([("company_ids", "in", company.id), ("code", "=", code)],
                                     limit=1)
            if not account:
                account = Account.create({
                    "code": code, "name": name, "account_type": "asset_current",
                    "reconcile": True, "company_ids": [Command.set(company.ids)],
                })
            journal = self.env["account.journal"].search([
                ("company_id", "=", company.id), ("code", "=", spec["code"])], limit=1)
            if not journal:
                journal = self.env["account.journal"].create({
                    "name": journal_name,
                    "code": spec["code"], "type": "bank", "company_id": company.id,
                })
            journal._omni_use_clearing_account(account)
            partner = self.env["res.partner"].search([
                ("name", "=", payer), ("is_company", "=", True),
                ("company_id", "in", [company.id, False])], limit=1)
            if not partner:
                partner = self.env["res.partner"].create({"name": payer, "is_company": True})
            routes |= self.create({
                "name": route_name,
                "company_id": company.id,
                "collection": collection,
                "invoice_policy": spec["policy"],
                "journal_id": journal.id,
                "clearing_account_id": account.id,
                "partner_id": partner.id,
                "commission_account_id": fee_account.id,
                "cod_fee_account_id": fee_account.id,
                "acquiring_fee_account_id": fee_account.id,
                "payout_journal_id": bank.id,
                "registry_mapping_id": self.env.ref(
                    "omni_account.omni_payout_registry_mapping", raise_if_not_found=False).id,
            })
        return routes

    def action_view_clearing(self):
        """The clearing account's open items of this route."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Clearing: %(route)s", route=self.name),
            "res_model": "account.move.line",
            "view_mode": "list",
            "domain": [("account_id", "=", self.clearing_account_id.id),
                       ("parent_state", "=", "posted"), ("reconciled", "=", False)],
            "context": {"create": False},
        }


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _omni_use_clearing_account(self, account):
        """Payments of this journal go to ``account`` (in and out)."""
        self.ensure_one()
        self.inbound_payment_method_line_ids.write({"payment_account_id": account.id})
        self.outbound_payment_method_line_ids.write({"payment_account_id": account.id})
