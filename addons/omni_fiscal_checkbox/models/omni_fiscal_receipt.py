"""Fiscal receipts: created with their UUID before any attempt, issued in jobs, never twice.

A receipt record is made (state draft, a fresh UUID) in the transaction of
the event that makes it due: a payment confirmed, cash on delivery
collected, a refusal. Its job sends it to Checkbox under that UUID; a job
retried after a lost answer sends the same UUID, and Checkbox answers with
the receipt it already has. One sell receipt per order and one return per
sell receipt are enforced by the database. A receipt is done only with a
fiscal code.
"""

import base64
import datetime as dt
import json
import logging
import uuid
import zlib
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.checkbox import LineSpec, ShiftNotOpenedError, fit_lines
from omni_connectors.core import (
    OmniConnectorError,
    PaymentKind,
    Receipt,
    ReceiptKind,
    ReceiptLine,
    ReceiptPayment,
    ReceiptStatus,
    format_phone,
)

_logger = logging.getLogger(__name__)

TYPES = [
    ("sell", "Sale"),
    ("return", "Return"),
    ("service_in", "Cash In"),
    ("service_out", "Cash Out"),
]


class OmniFiscalReceipt(models.Model):
    _name = "omni.fiscal.receipt"
    _inherit = ["mail.thread"]
    _description = "Fiscal Receipt"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    register_id = fields.Many2one(
        "omni.checkbox.register", "Cash Register", required=True, index=True,
        ondelete="restrict", check_company=True, readonly=True,
    )
    company_id = fields.Many2one(related="register_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    receipt_type = fields.Selection(TYPES, "Type", required=True, default="sell",
                                    readonly=True)
    state = fields.Selection(
        [("draft", "To Send"), ("sent", "Sent"), ("done", "Done"), ("error", "Error")],
        required=True, default="draft", readonly=True, index=True, tracking=True,
        copy=False,
    )
    uuid = fields.Char(
        "Receipt ID", required=True, readonly=True, copy=False, index=True,
        default=lambda self: str(uuid.uuid4()),
        help="Generated before the first attempt and sent as the receipt's id: a retry "
        "sends the same id, so Checkbox never registers the receipt twice.",
    )
    trigger = fields.Selection(
        [("channel", "Paid on the channel"), ("cod", "Cash on delivery collected"),
         ("payment", "Payment in Odoo"), ("refused", "Parcel refused or returned"),
         ("refund", "Refund paid"), ("manual", "Issued by hand")],
        readonly=True,
    )
    amount_total = fields.Monetary("Total", readonly=True)
    payment_type = fields.Selection(
        [("cash", "Cash"), ("cashless", "Cashless")], required=True, default="cashless",
        readonly=True,
    )
    payment_label = fields.Char("Payment Name", readonly=True)
    fiscal_code = fields.Char(readonly=True, copy=False, index=True, tracking=True)
    fiscal_date = fields.Datetime(readonly=True, copy=False)
    receipt_url = fields.Char("Receipt Page", readonly=True, copy=False)
    tax_url = fields.Char("Tax Service Page", readonly=True, copy=False)
    pdf_url = fields.Char("PDF", readonly=True, copy=False)
    text_url = fields.Char("Text", readonly=True, copy=False)
    qr_url = fields.Char("QR Code", readonly=True, copy=False)
    pdf_attachment_id = fields.Many2one("ir.attachment", "PDF File", readonly=True,
                                        copy=False)
    sale_order_id = fields.Many2one("sale.order", "Sales Order", index=True, readonly=True,
                                    check_company=True)
    invoice_id = fields.Many2one("account.move", index=True, readonly=True,
                                 check_company=True)
    payment_id = fields.Many2one("account.payment", readonly=True,
                                 check_company=True)
    picking_id = fields.Many2one("stock.picking", "Transfer", readonly=True,
                                 check_company=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    email = fields.Char(readonly=True)
    phone = fields.Char(readonly=True)
    related_receipt_id = fields.Many2one(
        "omni.fiscal.receipt", "Original Receipt", readonly=True, index=True,
        help="The sale receipt a return refunds.",
    )
    return_ids = fields.One2many("omni.fiscal.receipt", "related_receipt_id", "Returns")
    return_key = fields.Char(
        readonly=True, copy=False,
        help="What a return refunds: 'full' (the whole sale receipt) or the credit note "
        "of a partial refund; one return per sale receipt and key.",
    )
    shift_id = fields.Many2one("omni.checkbox.shift", readonly=True, index=True)
    lines_data = fields.Text(
        "Goods Sent", readonly=True, copy=False,
        help="The goods as sent to Checkbox (integer units), kept for the return receipt.",
    )
    error_message = fields.Text("Error", readonly=True, copy=False)
    remote_error = fields.Boolean(
        readonly=True, copy=False,
        help="Checkbox holds this id in status ERROR: the retry sends a new id (the failed "
        "receipt was never fiscalised).",
    )
    attempt_count = fields.Integer("Attempts", readonly=True, copy=False)

    _sql_constraints = [
        ("uuid_uniq", "unique(uuid)", "A receipt id is used once."),
    ]

    def init(self):
        # exactly once: one sale receipt per order (or per invoice without an order),
        # one return per sale receipt and refunded part (the whole, or a credit note)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS omni_fiscal_receipt_one_sell_per_order
                ON omni_fiscal_receipt (sale_order_id)
             WHERE receipt_type = 'sell' AND sale_order_id IS NOT NULL
        """)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS omni_fiscal_receipt_one_sell_per_invoice
                ON omni_fiscal_receipt (invoice_id)
             WHERE receipt_type = 'sell' AND sale_order_id IS NULL AND invoice_id IS NOT NULL
        """)
        self.env.cr.execute("DROP INDEX IF EXISTS omni_fiscal_receipt_one_return_per_sell")
        self.env.cr.execute("""
            UPDATE omni_fiscal_receipt SET return_key = 'full'
             WHERE receipt_type = 'return' AND return_key IS NULL
        """)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS omni_fiscal_receipt_one_return_per_part
                ON omni_fiscal_receipt (related_receipt_id, return_key)
             WHERE receipt_type = 'return' AND related_receipt_id IS NOT NULL
        """)

    @api.depends("receipt_type", "fiscal_code", "uuid")
    def _compute_name(self):
        # stored: written in the language of the register's responsible, who reads
        # the receipts, not in the job's (the system's)
        field = self._fields["receipt_type"]
        for receipt in self:
            register = receipt.register_id
            env = register._omni_in_responsible_lang().env if register else self.env
            labels = dict(field._description_selection(env))
            code = receipt.fiscal_code or (receipt.uuid or "")[:8]
            receipt.name = f"{labels.get(receipt.receipt_type, '')} {code}"

    # ------------------------------------------------------------ creation
    @api.model
    def _omni_create_once(self, vals):
        """Create a receipt unless its twin exists; the twin is returned instead.

        Two events racing for the same order meet on the unique index: the
        loser's job is retried and then finds the winner's receipt.
        """
        try:
            with self.env.cr.savepoint():
                return self.create(vals)
        except Exception as err:  # psycopg2 UniqueViolation, raised at flush
            if "omni_fiscal_receipt_one_" not in str(err):
                raise
            raise RetryableJobError(
                "Another transaction is creating this fiscal receipt", seconds=2
            ) from None

    @api.model
    def _omni_issue_sell(self, register, trigger, partner, amount, policy=None, payment=None,
                         **links):
        """Create the sell receipt once (see :meth:`_omni_create_once`) and queue its sending.

        ``links``: the documents it belongs to (``sale_order_id``, ``invoice_id``...).
        """
        receipt = self._omni_create_once(dict(
            links,
            register_id=register.id,
            receipt_type="sell",
            trigger=trigger,
            payment_id=payment.id if payment else False,
            partner_id=partner.id,
            email=partner.email or "",
            phone=partner.mobile or partner.phone or "",
            amount_total=amount,
            payment_type=policy.payment_type if policy else "cashless",
            payment_label=policy.payment_label if policy else "",
        ))
        receipt._omni_queue_send()
        return receipt

    def _omni_queue_send(self):
        for receipt in self:
            receipt.register_id._omni_delay(
                "receipt",
                lambda _, r=receipt: _("Fiscal receipt %(name)s on %(register)s",
                                       name=r.name, register=r.register_id.name),
                priority=5,
                suffix=f":{receipt.id}:{receipt.uuid}",
                record=receipt,
            )._omni_send()

    # ------------------------------------------------------------ building
    def _omni_tax_codes(self, taxes):
        register = self.register_id
        if not register.is_vat_payer:
            return ()
        mapping = {m.tax_id: m.code for m in register.tax_map_ids}
        codes = []
        for tax in taxes.flatten_taxes_hierarchy() if taxes else taxes:
            if tax.amount_type == "group":
                continue
            if tax not in mapping:
                raise UserError(self.env._(
                    "The tax %(tax)s has no Checkbox tax code on cash register %(register)s.",
                    tax=tax.display_name, register=register.name,
                ))
            codes.append(mapping[tax])
        return tuple(codes)

    def _omni_line_specs(self):
        """The goods of the receipt as the buyer pays them (:class:`LineSpec`), and the total."""
        self.ensure_one()
        cent = self.register_id.zero_price_lines == "cent"
        specs = []
        extra = Decimal(0)
        refund = self.invoice_id.move_type == "out_refund"
        if self.sale_order_id and not refund:
            order = self.sale_order_id
            lines = order.order_line.filtered(
                lambda ln: not ln.display_type and ln.product_uom_qty > 0 and not ln.is_downpayment
            )
            rows = [(line, line.product_uom_qty, line.price_unit, line.tax_id,
                     line.price_total) for line in lines]
            total = Decimal(str(order.amount_total))
            partner = order.partner_id
        elif self.invoice_id:
            move = self.invoice_id
            lines = move.invoice_line_ids.filtered(
                lambda ln: ln.display_type == "product" and ln.quantity > 0
            )
            rows = [(line, line.quantity, line.price_unit, line.tax_ids, line.price_total)
                    for line in lines]
            total = Decimal(str(move.amount_total))
            partner = move.partner_id
        else:
            raise UserError(self.env._("The receipt has no order or invoice to take goods from."))
        currency = self.currency_id
        for line, qty, price_unit, taxes, line_total in rows:
            product = line.product_id
            unit = taxes.compute_all(price_unit, currency, 1.0, product, partner)[
                "total_included"
            ] if taxes else price_unit
            unit = Decimal(str(float_round(unit, precision_digits=2)))
            line_total = Decimal(str(float_round(line_total, precision_digits=2)))
            quantity = Decimal(str(float_round(qty, precision_digits=3)))
            if not line_total and not unit:
                if not cent:
                    continue
                unit = line_total = Decimal("0.01")
                line_total = (unit * quantity).quantize(Decimal("0.01"))
                extra += line_total
            specs.append(LineSpec(
                code=product.default_code or str(product.id),
                name=line.name.split("\n")[0][:256] if line.name else product.display_name,
                quantity=quantity,
                unit_price=unit,
                total=line_total,
                tax_codes=self._omni_tax_codes(taxes),
                barcode=product.barcode or "",
            ))
        if not specs:
            raise UserError(self.env._("The receipt has no goods to print."))
        return specs, total + extra

    @staticmethod
    def _omni_dump_lines(lines):
        return json.dumps([
            {"code": line.code, "name": line.name, "price": str(line.price),
             "quantity": str(line.quantity), "discount": str(line.discount),
             "tax_codes": list(line.tax_codes), "barcode": line.barcode}
            for line in lines
        ], ensure_ascii=False)

    @staticmethod
    def _omni_load_lines(data):
        return tuple(
            ReceiptLine(code=row["code"], name=row["name"], price=Decimal(row["price"]),
                        quantity=Decimal(row["quantity"]), discount=Decimal(row["discount"]),
                        tax_codes=tuple(row.get("tax_codes") or ()),
                        barcode=row.get("barcode") or "")
            for row in json.loads(data)
        )

    def _omni_receipt(self):
        """The neutral receipt to send; the goods are kept on the record the first time."""
        self.ensure_one()
        kind = ReceiptKind(self.receipt_type)
        payment_kind = PaymentKind.CASH if self.payment_type == "cash" else PaymentKind.CASHLESS
        if not kind.has_goods:
            return Receipt(kind=kind, payments=(
                ReceiptPayment(PaymentKind.CASH, Decimal(str(self.amount_total))),))
        if self.lines_data:
            lines = self._omni_load_lines(self.lines_data)
        elif (kind is ReceiptKind.RETURN and self.return_key in (False, "full")
              and self.related_receipt_id.lines_data):
            lines = self._omni_load_lines(self.related_receipt_id.lines_data)
        else:
            specs, total = self._omni_line_specs()
            try:
                lines = fit_lines(specs, total)
            except ValueError as err:
                raise UserError(self.env._(
                    "The goods cannot make the total of %(total)s: %(error)s",
                    total=total, error=err,
                )) from None
        total = sum(line.total_kopecks for line in lines)
        if not self.lines_data:
            self.write({"lines_data": self._omni_dump_lines(lines),
                        "amount_total": total / 100})
        register = self.register_id
        email = phone = ""
        if register.send_to_buyer and kind is ReceiptKind.SELL:
            email = self.email if self.email and "@" in self.email else ""
            try:
                phone = format_phone(self.phone, "ua12") if self.phone else ""
            except OmniConnectorError:
                phone = ""  # not a Ukrainian mobile: the e-mail alone
        return Receipt(
            kind=kind,
            lines=lines,
            payments=(ReceiptPayment(payment_kind, Decimal(total) / 100,
                                     label=self.payment_label or ""),),
            related_receipt_id=self.related_receipt_id.uuid or "",
            email=email,
            phone=phone,
            order_ref=self.sale_order_id.name or self.invoice_id.name or "",
        )

    # -------------------------------------------------------------- sending
    def _omni_try_lock(self):
        key = zlib.crc32(b"omni.fiscal.receipt:send") & 0x7FFFFFFF
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [key, self.id])
        return self.env.cr.fetchone()[0]

    def _omni_send(self):
        """Job: issue the receipt under its UUID; done only with a fiscal code."""
        self.ensure_one()
        if self.state == "done":
            return "done already"
        if self.state == "error":
            return "in error: waits for Retry"
        if not self._omni_try_lock():
            raise RetryableJobError(
                f"Fiscal receipt {self.id} is being sent by another job", seconds=2,
                ignore_retry=True,
            )
        register = self.register_id
        try:
            receipt = self._omni_receipt()
        except (UserError, ValueError) as err:
            self._omni_set_error(str(getattr(err, "args", [err])[0]))
            return "refused before sending"
        self.write({"state": "sent", "attempt_count": self.attempt_count + 1})
        with register._omni_session(record=self) as client:
            try:
                result = self._omni_issue(client, receipt)
            except OmniConnectorError as err:
                message = register._omni_error_text(err)
                if err.retryable:
                    self._omni_note_outside(message)
                    raise register._omni_translate_error(err, in_job=True) from err
                self._omni_set_error(message)
                return "refused"
            return self._omni_apply(result, client)

    def _omni_issue(self, client, receipt):
        """Create (never twice) and wait a little; open the shift on demand."""
        try:
            result = client.create_receipt(receipt, self.uuid)
        except ShiftNotOpenedError:
            shift = client.open_shift()
            self.register_id._omni_record_shift(shift)
            result = client.create_receipt(receipt, self.uuid)
        if not result.is_final:
            result = client.wait_receipt(result.id, first=result)
        return result

    def _omni_apply(self, result, client):
        """Store what Checkbox knows of the receipt; fetch the PDF once it is done."""
        self.ensure_one()
        shift = self.env["omni.checkbox.shift"].search(
            [("register_id", "=", self.register_id.id), ("remote_id", "=", result.shift_id)],
            limit=1,
        ) if result.shift_id else self.shift_id
        if result.status is ReceiptStatus.DONE:
            links = client.links(result.id)
            self.write({
                "state": "done",
                "fiscal_code": result.fiscal_code,
                "fiscal_date": (
                    result.fiscal_date.astimezone(dt.timezone.utc).replace(tzinfo=None)
                    if result.fiscal_date else fields.Datetime.now()
                ),
                "receipt_url": result.url,
                "tax_url": result.tax_url,
                "pdf_url": links["pdf"],
                "text_url": links["text"],
                "qr_url": links["qrcode"],
                "shift_id": shift.id,
                "error_message": False,
            })
            self._omni_attach_pdf(client)
            self.message_post(body=self.env._(
                "Fiscal receipt registered: fiscal code %(code)s.", code=result.fiscal_code))
            for record in (self.sale_order_id, self.invoice_id):
                if record:
                    record.message_post(body=self.env._(
                        "%(type)s receipt registered with fiscal code %(code)s.",
                        type=dict(self._fields["receipt_type"]._description_selection(
                            self.env))[self.receipt_type],
                        code=result.fiscal_code))
            return result.fiscal_code
        if result.status in (ReceiptStatus.ERROR, ReceiptStatus.CANCELLED):
            self.write({"remote_error": True, "shift_id": shift.id})
            self._omni_set_error(self.env._(
                "The tax service refused the receipt: %(reason)s",
                reason=result.message or result.status.value,
            ))
            return "error"
        # still being fiscalised: look again a little later
        self.write({"state": "sent", "shift_id": shift.id})
        later = self.register_id._omni_fiscal_param("poll_later")
        self.register_id._omni_delay(
            "receipt_poll",
            lambda _, r=self: _("Check fiscal receipt %(name)s", name=r.name),
            eta=later, suffix=f":{self.id}", record=self,
        )._omni_poll()
        return "waiting"

    def _omni_poll(self):
        """Job: read a sent receipt's status again."""
        self.ensure_one()
        if self.state != "sent":
            return self.state
        register = self.register_id
        with register._omni_session(record=self) as client:
            try:
                result = client.get_receipt(self.uuid)
            except OmniConnectorError as err:
                if err.retryable:
                    raise register._omni_translate_error(err, in_job=True) from err
                # never registered: send it again under the same id
                self._omni_queue_send()
                return "resent"
            return self._omni_apply(result, client)

    def _omni_attach_pdf(self, client):
        try:
            pdf = client.receipt_pdf(self.uuid)
        except (OmniConnectorError, NotImplementedError) as err:
            _logger.info("PDF of receipt %s not fetched: %s", self.uuid, err)
            return
        attachment = self.env["ir.attachment"].create({
            "name": f"{self.fiscal_code or self.uuid}.pdf",
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "application/pdf",
            "datas": base64.b64encode(pdf),
        })
        self.pdf_attachment_id = attachment

    def _omni_set_error(self, message):
        self.ensure_one()
        self.write({"state": "error", "error_message": message})
        self.message_post(body=message)
        user = self.register_id.user_id
        target = self.sale_order_id or self.invoice_id
        if target and user:
            target.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("Fiscal receipt failed"),
                note=message,
                user_id=user.id,
            )

    def _omni_note_outside(self, message):
        """Keep the last failure visible even though the job is rolled back and retried."""
        self._omni_write_outside(
            self, lambda recs: recs.write({"error_message": message})
        )

    @api.model
    def _omni_write_outside(self, records, func):
        return self.env["omni.backend.mixin"]._omni_write_outside(records, func)

    # -------------------------------------------------------------- actions
    def action_retry(self):
        """Send a receipt in error again: same id, or a new one when Checkbox holds it failed."""
        for receipt in self:
            if receipt.state != "error":
                continue
            vals = {"state": "draft", "error_message": False}
            if receipt.remote_error:
                old = receipt.uuid
                vals.update(uuid=str(uuid.uuid4()), remote_error=False)
                receipt.message_post(body=self.env._(
                    "Checkbox refused receipt %(old)s; it is sent again as a new receipt.",
                    old=old))
            receipt.write(vals)
            receipt._omni_queue_send()
        return True

    def action_send(self):
        self.filtered(lambda r: r.state == "draft")._omni_queue_send()
        return True

    def action_return(self):
        """A return receipt for this sale receipt (one per sale receipt)."""
        self.ensure_one()
        receipt = self._omni_make_return("manual")
        if not receipt:
            raise UserError(self.env._(
                "Sale receipt %(name)s is already partly returned: the rest is returned "
                "with a credit note.", name=self.name))
        return receipt._omni_open()

    def _omni_make_return(self, trigger, picking=None, invoice=None):
        """The return of this sale receipt: the whole of it, or the goods of a partial
        credit note ``invoice``; each part is returned once, never more than was sold."""
        self.ensure_one()
        if self.receipt_type != "sell" or self.state != "done":
            raise UserError(self.env._("Only a registered sale receipt can be returned."))
        returns = self.return_ids.filtered(lambda r: r.receipt_type == "return")
        full = returns.filtered(lambda r: r.return_key in (False, "full"))
        if full:
            return full[:1]
        refund = invoice if invoice and invoice.move_type == "out_refund" else None
        partial = bool(refund) and (
            bool(returns)
            or self.currency_id.compare_amounts(refund.amount_total, self.amount_total) < 0
        )
        key = f"refund:{refund.id}" if partial else "full"
        same = returns.filtered(lambda r: r.return_key == key)
        if same:
            return same[:1]
        returned = sum(returns.mapped("amount_total"))
        amount = refund.amount_total if partial else self.amount_total
        if returns and self.currency_id.compare_amounts(
            returned + amount, self.amount_total
        ) > 0:
            target = self.sale_order_id or self.invoice_id or self
            target.message_post(body=self.env._(
                "No return receipt: %(amount)s would be more than is left of sale receipt "
                "%(name)s after its returns (%(returned)s of %(total)s).",
                amount=amount, name=self.name, returned=returned, total=self.amount_total,
            ))
            return self.browse()
        receipt = self._omni_create_once({
            "register_id": self.register_id.id,
            "receipt_type": "return",
            "return_key": key,
            "trigger": trigger,
            "related_receipt_id": self.id,
            "amount_total": amount,
            "payment_type": self.payment_type,
            "payment_label": self.payment_label,
            "sale_order_id": self.sale_order_id.id,
            "invoice_id": (invoice or self.invoice_id).id,
            "picking_id": picking.id if picking else False,
            "partner_id": self.partner_id.id,
        })
        receipt._omni_queue_send()
        return receipt

    def _omni_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    def action_open_pdf(self):
        self.ensure_one()
        if not self.pdf_attachment_id:
            raise UserError(self.env._("The PDF of this receipt is not stored yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.pdf_attachment_id.id}?download=false",
            "target": "new",
        }

