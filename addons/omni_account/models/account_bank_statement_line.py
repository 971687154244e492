import re
from collections import defaultdict

from odoo import Command, api, fields, models

TOKEN = re.compile(r"[\w/-]+", re.UNICODE)


def _money(value):
    return f"{value:.2f}"


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    omni_money_route_id = fields.Many2one(
        "omni.money.route", "Money Route", check_company=True, index="btree_not_null",
        help="The money route whose payer sent this payout; found from the journal and the "
        "partner when left empty.",
    )
    omni_payout_state = fields.Selection(
        [
            ("unmatched", "Not matched"),
            ("partial", "Partly matched"),
            ("matched", "Matched, to confirm"),
            ("reconciled", "Reconciled"),
        ],
        "Payout Match", readonly=True, copy=False, index="btree_not_null",
    )
    omni_payout_reason = fields.Text("Payout Match Notes", readonly=True, copy=False)
    omni_payout_line_ids = fields.One2many(
        "omni.payout.line", "statement_line_id", "Payout Orders", readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        """A payer's payout imported or typed in is matched at once (a proposal the
        accountant confirms); other bank lines are left alone."""
        lines = super().create(vals_list)
        if not self.env.context.get("omni_no_payout_match"):
            for st_line in lines.sudo():
                if not st_line.is_reconciled and st_line._omni_route(strict=True):
                    st_line._omni_match_one()
        return lines

    # ------------------------------------------------------------ actions
    def action_omni_match_payout(self):
        """Match the payout with the clearing entries of its orders (proposal)."""
        self.env["omni.money.route"]._omni_check_accountant()
        self.sudo()._omni_match_payout()
        return True

    def action_omni_confirm_payout(self):
        """Book the proposed match: the matched orders' clearing entries are reconciled,
        whatever did not match stays on the suspense account with its reason."""
        self.env["omni.money.route"]._omni_check_accountant()
        self.sudo()._omni_confirm_payout()
        return True

    # ------------------------------------------------------------ matching
    def _omni_route(self, strict=False):
        """The route of this payout: set on the line, else the route paying into this
        journal whose payer is the line's partner or is named in its label; with
        ``strict`` only those, else also the journal's only route."""
        self.ensure_one()
        if self.omni_money_route_id:
            return self.omni_money_route_id
        routes = self.env["omni.money.route"].search([
            ("company_id", "=", self.company_id.id),
            ("payout_journal_id", "=", self.journal_id.id),
        ])
        if self.partner_id:
            payer = routes.filtered(
                lambda r: r.partner_id.commercial_partner_id
                == self.partner_id.commercial_partner_id)
            if payer:
                return payer[:1]
        text = self._omni_text().lower()
        named = routes.filtered(lambda r: r.partner_id.name.lower() in text)
        if named or strict:
            return named[:1]
        return routes if len(routes) == 1 else routes.browse()

    def _omni_text(self):
        return " ".join(filter(None, [self.payment_ref, self.ref, self.narration and str(
            self.narration), self.partner_name]))

    @api.model
    def _omni_orders_by_reference(self, company, references):
        """{reference: order} for references that are an order's number in Odoo or on
        its channel."""
        refs = {ref.strip() for ref in references if ref and ref.strip()}
        if not refs:
            return {}
        orders = self.env["sale.order"].search([
            ("company_id", "=", company.id), "|",
            ("name", "in", list(refs)), ("omni_external_id", "in", list(refs)),
        ])
        found = {}
        for order in orders:
            for key in (order.name, order.omni_external_id):
                if key in refs:
                    found.setdefault(key, order)
        return found

    def _omni_open_lines(self, route, orders):
        """The open clearing lines of ``orders``, by order."""
        lines = self.env["account.move.line"].search([
            ("account_id", "=", route.clearing_account_id.id),
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("move_id.omni_sale_order_id", "in", orders.ids),
        ])
        by_order = defaultdict(lambda: self.env["account.move.line"])
        for line in lines:
            by_order[line.move_id.omni_sale_order_id.id] |= line
        return by_order

    def _omni_open_amount(self, lines):
        """What ``lines`` still hold, in the bank line's currency (the order's currency
        when the payer pays out in it, else the company's)."""
        currency = self.currency_id
        return currency.round(sum(
            line.amount_residual_currency if line.currency_id == currency
            else line.amount_residual for line in lines))

    def _omni_match_payout(self):
        for st_line in self:
            st_line._omni_match_one()

    def _omni_match_one(self):  # noqa: C901 - one pass, told in order
        self.ensure_one()
        if self.is_reconciled:
            self.omni_payout_state = "reconciled"
            return
        route = self._omni_route()
        if not route:
            self.write({"omni_payout_state": "unmatched", "omni_payout_reason": self.env._(
                "No money route pays into this journal from this payer: choose the route.")})
            return
        currency = self.currency_id
        tolerance = route.payout_tolerance
        registry = self.omni_payout_line_ids.filtered(lambda p: p.origin == "registry")
        if registry:
            wanted = [(p, p.reference, p.reported_amount) for p in registry]
        else:
            self.omni_payout_line_ids.unlink()
            tokens = TOKEN.findall(self._omni_text())
            found = self._omni_orders_by_reference(self.company_id, tokens)
            seen = self.env["sale.order"]
            wanted = []
            for ref, order in found.items():
                if order in seen:
                    continue
                seen |= order
                wanted.append((None, ref, None))
        found = self._omni_orders_by_reference(self.company_id, [w[1] for w in wanted])
        orders = self.env["sale.order"].browse({o.id for o in found.values()})
        open_lines = self._omni_open_lines(route, orders)
        matched_lines = self.env["account.move.line"]
        results = []  # (payout line or None, vals)
        expected = 0.0
        for payout_line, ref, reported in wanted:
            order = found.get(ref)
            lines = open_lines.get(order.id) if order else None
            open_amount = self._omni_open_amount(lines) if lines else 0.0
            vals = {"reference": ref, "sale_order_id": order.id if order else False,
                    "open_amount": open_amount}
            if not order:
                vals.update(state="unmatched", reason=self.env._("No such order."))
            elif not lines or currency.is_zero(open_amount):
                vals.update(state="unmatched", reason=self.env._(
                    "Nothing open on the clearing account for this order (money not "
                    "collected yet, or already paid out)."))
            elif reported is not None and currency.compare_amounts(
                    abs(reported - open_amount), tolerance) > 0:
                shown_reported, shown_open = _money(reported), _money(open_amount)
                vals.update(state="unmatched", reason=self.env._(
                    "Amount differs: reported %(reported)s, open on clearing %(open)s.",
                    reported=shown_reported, open=shown_open))
            else:
                vals.update(state="matched", reason=False)
                matched_lines |= lines
                expected += open_amount
            results.append((payout_line, vals))
        expected = currency.round(expected)
        difference = currency.round(self.amount - expected)
        unmatched = [v for _p, v in results if v["state"] == "unmatched"]
        notes = []
        if not results:
            notes.append(self.env._(
                "No order reference found in the bank line: import the payer's registry."))
        if not registry and results and currency.compare_amounts(
                abs(difference), tolerance) > 0:
            # without a registry, only the whole set can be told apart
            for _payout_line, vals in results:
                if vals["state"] == "matched":
                    vals.update(state="unmatched", reason=self.env._(
                        "The orders named in the bank line do not add up to its amount."))
            shown_amount, shown_open = _money(self.amount), _money(expected)
            notes.append(self.env._(
                "Bank line %(amount)s, open on clearing for its orders %(open)s.",
                amount=shown_amount, open=shown_open))
            matched_lines = self.env["account.move.line"]
        for vals in unmatched:
            notes.append(f"{vals['reference']}: {vals['reason']}")
        # write the order lines
        commands = []
        for payout_line, vals in results:
            if payout_line:
                commands.append(Command.update(payout_line.id, vals))
            else:
                commands.append(Command.create(dict(vals, origin="reference")))
        self.write({"omni_payout_line_ids": commands})
        all_matched = results and not any(v["state"] == "unmatched" for _p, v in results)
        within = currency.compare_amounts(abs(difference), tolerance) <= 0
        if not matched_lines:
            state = "unmatched"
        elif all_matched and within:
            state = "matched"
        else:
            state = "partial"
            if all_matched:
                shown_diff = _money(difference)
                notes.append(self.env._(
                    "The orders match but the bank line differs by %(diff)s, more than the "
                    "tolerance.", diff=shown_diff))
        self.write({"omni_payout_state": state,
                    "omni_payout_reason": "\n".join(notes) or False,
                    "omni_money_route_id": route.id})
        if matched_lines:
            self._omni_propose(route, matched_lines, write_off=state == "matched")

    def _omni_propose(self, route, lines, write_off):
        """Fill the reconciliation widget (account_reconcile_oca) with the clearing lines:
        the accountant sees the proposal and confirms it."""
        self.ensure_one()
        liquidity, _suspense, _other = self._seek_for_lines()
        data = []
        aux = 1
        for line in liquidity:
            aux, vals = self._get_reconcile_line(line, "liquidity", reconcile_auxiliary_id=aux,
                                                 move=True)
            data += vals
        for line in lines:
            aux, vals = self._get_reconcile_line(line, "other", is_counterpart=True,
                                                 reconcile_auxiliary_id=aux, move=True)
            data += vals
        currency = self.company_id.currency_id
        rest = currency.round(-sum(vals["amount"] for vals in data))
        if write_off and not currency.is_zero(rest):
            account = route.tolerance_account_id or route.commission_account_id
            data.append({
                "reference": f"reconcile_auxiliary;{aux}",
                "id": False,
                "account_id": [account.id, account.display_name],
                "partner_id": [route.partner_id.id, route.partner_id.display_name],
                "date": fields.Date.to_string(self.date),
                "name": self.env._("Payout difference"),
                "amount": rest,
                "debit": rest if rest > 0 else 0.0,
                "credit": -rest if rest < 0 else 0.0,
                "kind": "other",
                "currency_id": currency.id,
                "line_currency_id": currency.id,
                "currency_amount": rest,
                "reconcile_model_id": route.reconcile_model_id.id,
            })
            aux += 1
        info = self._recompute_suspense_line(data, aux, False)
        suspense_account = self.journal_id.suspense_account_id
        for vals in info["data"]:
            if vals["kind"] == "suspense":
                # what did not match waits on the suspense account, not on the payer
                vals["account_id"] = [suspense_account.id, suspense_account.display_name]
                info["can_reconcile"] = False
        self.reconcile_data = info
        return info

    def _omni_confirm_payout(self):
        for st_line in self:
            if st_line.is_reconciled or st_line.omni_payout_state not in ("matched", "partial"):
                continue
            route = st_line._omni_route()
            matched = st_line.omni_payout_line_ids.filtered(lambda p: p.state == "matched")
            lines = st_line._omni_open_lines(route, matched.sale_order_id)
            st_line._omni_reconcile_orders(
                route, lines, write_off=st_line.omni_payout_state == "matched")
            matched.write({"state": "reconciled"})
            st_line.reconcile_data = False
            if st_line.is_reconciled:
                st_line.omni_payout_state = "reconciled"

    def _omni_reconcile_orders(self, route, lines_by_order, write_off):
        """Book the payout against the orders' clearing lines, in one write and one
        reconciliation (what the widget's "Validate" does line by line): one counterpart
        per order, the difference within the tolerance, the rest on the suspense
        account."""
        self.ensure_one()
        liquidity, suspense, other = self._seek_for_lines()
        company_currency = self.company_id.currency_id
        vals_list = []
        clearing = self.env["account.move.line"]
        for lines in lines_by_order.values():
            order = lines.move_id.omni_sale_order_id[:1]
            balance = company_currency.round(sum(lines.mapped("amount_residual")))
            vals = {
                "account_id": route.clearing_account_id.id,
                "partner_id": route.partner_id.id,
                "name": order._omni_books_ref() if order else self.payment_ref,
                "balance": -balance,
            }
            currency = lines.currency_id
            if len(currency) == 1 and currency != company_currency:
                vals.update(currency_id=currency.id, amount_currency=-currency.round(
                    sum(lines.mapped("amount_residual_currency"))))
            vals_list.append(vals)
            clearing |= lines
        rest = company_currency.round(
            sum(liquidity.mapped("balance")) + sum(v["balance"] for v in vals_list))
        if rest and write_off and company_currency.compare_amounts(
                abs(rest), route.payout_tolerance) <= 0:
            vals_list.append({
                "account_id": (route.tolerance_account_id or route.commission_account_id).id,
                "partner_id": route.partner_id.id,
                "name": self.env._("Payout difference"),
                "balance": -rest,
                "reconcile_model_id": route.reconcile_model_id.id,
            })
            rest = 0.0
        if not company_currency.is_zero(rest):
            vals_list.append({
                "account_id": self.journal_id.suspense_account_id.id,
                "partner_id": self.partner_id.id,
                "name": self.payment_ref,
                "balance": -rest,
            })
        move = self.move_id
        commands = [Command.delete(line.id) for line in suspense | other]
        commands += [Command.create(vals) for vals in vals_list]
        with move._check_balanced({"records": move, "self": move}):
            move.with_context(
                skip_account_move_synchronization=True, force_delete=True,
                skip_invoice_sync=True, skip_readonly_check=True,
            ).write({"line_ids": commands})
        counterparts = move.line_ids.filtered(
            lambda line: line.account_id == route.clearing_account_id)
        (clearing | counterparts).reconcile()
