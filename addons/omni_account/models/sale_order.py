import logging

import pytz

from odoo import Command, api, fields, models

_logger = logging.getLogger(__name__)

FEES = (
    # order field, route account field, label
    ("omni_commission", "commission_account_id"),
    ("omni_cod_fee", "cod_fee_account_id"),
    ("omni_acquiring_fee", "acquiring_fee_account_id"),
)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    omni_money_route_id = fields.Many2one(
        "omni.money.route", "Money Route", compute="_compute_omni_money_route_id",
        store=True, readonly=False, copy=False, check_company=True, index=True,
        help="How the buyer's money reaches the seller: it says when the invoice is made, "
        "the clearing journal the payment goes to and where the fees are booked.",
    )
    omni_payment_ids = fields.One2many(
        "account.payment", "omni_sale_order_id", "Booked Payments", readonly=True
    )
    omni_fee_move_ids = fields.One2many(
        "account.move", "omni_sale_order_id", "Fees Entries", readonly=True,
        domain=[("omni_is_fee", "=", True)],
        help="The journal entries booking this order's commission and fees on the clearing "
        "account.",
    )

    @api.depends("omni_channel_id", "omni_external_order_ids.cash_on_delivery", "company_id")
    def _compute_omni_money_route_id(self):
        Route = self.env["omni.money.route"]
        for order in self:
            if not order.omni_channel_id:
                order.omni_money_route_id = order.omni_money_route_id
                continue
            external = order.omni_external_order_ids[:1]
            collection = "cod" if external.cash_on_delivery else "channel"
            order.omni_money_route_id = Route._omni_for(order, collection)

    # ------------------------------------------------------------- events
    def _omni_register_collected(self, amount, date=None, source="channel"):
        """The payment this addon books for money the channel or the carrier reported
        is that same money: when it pays the invoice, it is no new collection (the
        order keeps who collected it, and nothing acts twice on it)."""
        if source == "payment" and self.env.context.get("omni_books_booking"):
            return self.browse()
        return super()._omni_register_collected(amount, date=date, source=source)

    def _omni_on_money_collected(self, amount, date, source):
        res = super()._omni_on_money_collected(amount, date, source)
        if source in ("channel", "cod") and not self.env.context.get("omni_books_booking"):
            for order in self:
                order._omni_book_collected(amount, date, source)
        return res

    def _omni_on_parcel_refused(self, picking):
        res = super()._omni_on_parcel_refused(picking)
        for order in self:
            order._omni_book_refusal(picking)
        return res

    def _omni_on_delivered(self, picking):
        """An outgoing delivery of the order was validated: invoice it if the policy says so."""
        for order in self:
            route = order.omni_money_route_id
            if not route or order.state != "sale" or route.invoice_policy == "none":
                continue
            # policy "at payment": the money came before anything could be invoiced
            # (products invoiced on delivered quantities); invoice now
            paid_first = route.invoice_policy == "payment" and order.omni_payment_ids and not (
                order._omni_posted_invoices())
            if route.invoice_policy == "delivery" or paid_first:
                order._omni_books_invoice(picking)

    # ------------------------------------------------------------- helpers
    def _omni_books_env(self):
        """Automatic bookings are the system's postings, made whoever raised the event
        (a tracking job, a salesperson validating a delivery): one boundary, here."""
        self.ensure_one()
        return self.sudo().with_company(self.company_id).with_context(
            omni_books_booking=True, tracking_disable=True)

    def _omni_books_date(self, when):
        """The accounting date of a moment, in the company's (Kyiv by default) time zone."""
        if not when:
            return fields.Date.context_today(self)
        if isinstance(when, str):
            when = fields.Datetime.to_datetime(when) if len(when) > 10 else fields.Date.to_date(
                when)
        if not hasattr(when, "hour"):
            return when
        tz = pytz.timezone(self.env.user.tz or "Europe/Kyiv")
        return pytz.utc.localize(when).astimezone(tz).date()

    def _omni_books_ref(self):
        self.ensure_one()
        if self.omni_external_id:
            return f"{self.name} {self.omni_external_id}"
        return self.name

    def _omni_route_for(self, source):
        self.ensure_one()
        route = self.omni_money_route_id
        if route.collection == source:
            return route
        return self.env["omni.money.route"]._omni_for(self, source)

    def _omni_posted_invoices(self):
        return self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted")

    def _omni_books_invoice(self, picking=None):
        """The order's customer invoice, created and posted once (what can be invoiced)."""
        order = self._omni_books_env()
        invoices = order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state != "cancel")
        drafts = invoices.filtered(lambda m: m.state == "draft")
        if not invoices and order.invoice_status == "to invoice":
            drafts = order._create_invoices(final=True)
        if picking:
            drafts.write({"omni_picking_id": picking.id})
        if drafts:
            drafts.action_post()
        invoices = order._omni_posted_invoices()
        if invoices:
            order._omni_reconcile_booked()
            order._omni_link_receipts()
        return invoices

    def _omni_book_collected(self, amount, date, source):
        """Money collected by a route: invoice (by policy), payment into the clearing
        journal, fees on the clearing account; once per order and route."""
        self.ensure_one()
        route = self._omni_route_for(source)
        if not route or self.state == "cancel":
            return self.env["account.payment"]
        if route.invoice_policy == "none":
            return self.env["account.payment"]
        order = self._omni_books_env()
        done = order.omni_payment_ids.filtered(
            lambda p: p.omni_money_route_id == route and p.payment_type == "inbound"
            and p.state != "canceled")
        if done:
            return done
        if route.invoice_policy == "payment" or any(
                p.state == "done" for p in order.picking_ids
                if p.picking_type_code == "outgoing"):
            order._omni_books_invoice()
        currency = order.currency_id
        amount = currency.round(amount)
        if currency.compare_amounts(amount, 0) <= 0:
            return self.env["account.payment"]
        journal = route.journal_id
        method_line = journal.inbound_payment_method_line_ids[:1]
        day = self._omni_books_date(date)
        payment = order.env["account.payment"].create({
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": order.partner_invoice_id.commercial_partner_id.id,
            "amount": amount,
            "currency_id": currency.id,
            "date": day,
            "journal_id": journal.id,
            "payment_method_line_id": method_line.id,
            "memo": order._omni_books_ref(),
            "omni_sale_order_id": order.id,
            "omni_money_route_id": route.id,
        })
        payment.action_post()
        payment.move_id.omni_sale_order_id = order
        order._omni_book_fees(route, day)
        order._omni_reconcile_booked()
        order._omni_link_receipts()
        shown = f"{amount:.2f}"
        order.message_post(body=self.env._(
            "Payment %(payment)s of %(amount)s %(currency)s booked in %(journal)s.",
            payment=payment.name, amount=shown, currency=currency.name,
            journal=journal.name))
        return payment

    def _omni_booked_fees(self):
        """{fee field: amount booked so far} in the order's currency."""
        self.ensure_one()
        lines = self.omni_fee_move_ids.filtered(lambda m: m.state == "posted").line_ids
        booked = {}
        for field, _account_field in FEES:
            kind_lines = lines.filtered(lambda line, f=field: line.omni_fee_kind == f)
            booked[field] = self.currency_id.round(sum(
                line.amount_currency if line.currency_id == self.currency_id else line.balance
                for line in kind_lines))
        return booked

    def _omni_book_fees(self, route, day=None):
        """Commission and fees on the clearing account, so that it holds what the payer
        still owes: what the order's figures say less what is booked already (a figure
        captured after the money, or changed later, gets an entry of its own)."""
        self.ensure_one()
        currency = self.currency_id
        company = self.company_id
        day = day or fields.Date.context_today(self)
        booked = self._omni_booked_fees()
        lines = []
        total = 0.0
        for field, account_field in FEES:
            fee = currency.round((self[field] or 0.0) - booked[field])
            if currency.is_zero(fee):
                continue
            total += fee
            label = self._fields[field].get_description(self.env)["string"]
            lines.append(Command.create({
                "account_id": route[account_field].id,
                "partner_id": route.partner_id.id,
                "name": f"{label}: {self._omni_books_ref()}",
                "currency_id": currency.id,
                "amount_currency": fee,
                "balance": currency._convert(fee, company.currency_id, company, day),
                "omni_fee_kind": field,
            }))
        if not lines:
            return self.env["account.move"]
        total = currency.round(total)
        lines.append(Command.create({
            "account_id": route.clearing_account_id.id,
            "partner_id": route.partner_id.id,
            "name": self._omni_books_ref(),
            "currency_id": currency.id,
            "amount_currency": -total,
            "balance": -sum(line[2]["balance"] for line in lines),
        }))
        move = self.env["account.move"].create({
            "move_type": "entry",
            "journal_id": route.journal_id.id,
            "date": day,
            "ref": self.env._("Fees: %(order)s", order=self._omni_books_ref()),
            "omni_sale_order_id": self.id,
            "omni_is_fee": True,
            "line_ids": lines,
        })
        move.action_post()
        return move

    def write(self, vals):
        res = super().write(vals)
        if {field for field, _a in FEES} & set(vals) and not self.env.context.get(
                "omni_books_booking"):
            # a fee captured after the money was booked (the carrier's fee reported with
            # the collection, a commission refunded with a cancellation)
            for order in self.filtered("omni_payment_ids"):
                route = order.omni_payment_ids.filtered(
                    lambda p: p.payment_type == "inbound" and p.state != "canceled"
                ).omni_money_route_id[:1]
                if route:
                    order._omni_books_env()._omni_book_fees(route)
        return res

    def _omni_reconcile_booked(self):
        """Reconcile the order's invoices, credit notes and booked payments on the
        customer's receivable, so that the invoice shows paid as soon as it is."""
        for order in self:
            moves = (order.invoice_ids.filtered(lambda m: m.state == "posted")
                     | order.omni_payment_ids.filtered(lambda p: p.state != "canceled").move_id)
            lines = moves.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
                and not line.reconciled and line.parent_state == "posted")
            for account in lines.account_id:
                todo = lines.filtered(lambda line, acc=account: line.account_id == acc)
                if todo.filtered(lambda line: line.balance > 0) and todo.filtered(
                        lambda line: line.balance < 0):
                    todo.reconcile()

    def _omni_book_refusal(self, picking):
        """A refused or returned parcel: credit note for the posted invoice; money
        already collected goes back out of the clearing journal (refund)."""
        self.ensure_one()
        order = self._omni_books_env()
        invoices = order._omni_posted_invoices().filtered(
            lambda m: m.payment_state not in ("reversed",) and not m.reversal_move_ids)
        if not invoices:
            return self.env["account.move"]
        refunds = invoices._reverse_moves([{
            "ref": self.env._("Refused parcel %(parcel)s: %(invoice)s",
                              parcel=picking.carrier_tracking_ref or picking.name,
                              invoice=invoice.name),
            "omni_picking_id": picking.id,
        } for invoice in invoices])
        refunds.action_post()
        for payment in order.omni_payment_ids.filtered(
                lambda p: p.payment_type == "inbound" and p.state in ("in_process", "paid")):
            refund = order.env["account.payment"].create({
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": payment.partner_id.id,
                "amount": payment.amount,
                "currency_id": payment.currency_id.id,
                "date": fields.Date.context_today(order),
                "journal_id": payment.journal_id.id,
                "payment_method_line_id":
                    payment.journal_id.outbound_payment_method_line_ids[:1].id,
                "memo": self.env._("Refund %(order)s", order=order._omni_books_ref()),
                "omni_sale_order_id": order.id,
                "omni_money_route_id": payment.omni_money_route_id.id,
            })
            refund.action_post()
            refund.move_id.omni_sale_order_id = order
        order._omni_reconcile_booked()
        order._omni_link_receipts()
        order.message_post(body=self.env._(
            "Refused parcel %(parcel)s: credit note %(refund)s.",
            parcel=picking.carrier_tracking_ref or picking.name,
            refund=", ".join(refunds.mapped("name"))))
        return refunds

    def _omni_link_receipts(self):
        """Link the fiscal receipts of the order (when the Checkbox addon issues them) to
        the invoice and the credit note; again before the commit, since the receipt may
        be created after this booking in the same event."""
        self._omni_link_receipts_now()
        ids = tuple(self.ids)
        env = self.env

        def link():
            env["sale.order"].browse(ids).exists()._omni_link_receipts_now()

        self.env.cr.precommit.add(link)

    def _omni_link_receipts_now(self):
        if "omni_fiscal_receipt_ids" not in self._fields:
            return
        # the receipt's payment is left alone: the fiscal addon reads how the buyer paid
        # from it, and the clearing payment would say "bank"
        for order in self.sudo():
            receipts = order.omni_fiscal_receipt_ids
            invoice = order._omni_posted_invoices()[:1]
            refund = order.invoice_ids.filtered(
                lambda m: m.move_type == "out_refund" and m.state == "posted")[:1]
            sells = receipts.filtered(lambda r: r.receipt_type == "sell" and not r.invoice_id)
            returns = receipts.filtered(lambda r: r.receipt_type != "sell" and not r.invoice_id)
            if invoice and sells:
                sells.write({"invoice_id": invoice.id})
            # a return receipt takes its goods from a credit note it is linked to: link
            # only the one returning what the credit note reverses, all of it
            returns = returns.filtered(
                lambda r, refund=refund: refund and not refund.currency_id.compare_amounts(
                    r.amount_total, refund.amount_total))
            if refund and returns:
                returns.write({"invoice_id": refund.id})
