"""Client of the Checkbox cloud cash register (PRRO): cashier session, shifts, receipts.

Follows the fiscal contract (:mod:`omni_connectors.core.fiscal`): the
receipt's UUID is generated and stored by the caller before the first
attempt; a lost or refused answer is settled with ``GET /receipts/{id}``,
so a retry never registers a second receipt. Every call goes through one
:class:`~omni_connectors.core.transport.HttpTransport` with the headers
Checkbox requires (``X-Client-Name``, ``X-Client-Version``; the licence key
``X-License-Key`` only on the calls that need it). The cashier signs in by
login and password or by PIN (:class:`CheckboxAuth`); the token is reused
through the caller's ``token_cache`` and renewed once when refused (401).
"""

import time

from ..core.auth import TokenAuth
from ..core.errors import AuthError, NotFoundError, OmniConnectorError, ValidationError
from ..core.fiscal import (
    FiscalClient,
    PaymentKind,
    Receipt,
    ReceiptKind,
    ReceiptPayment,
    ShiftStatus,
    normalize_receipt_id,
)
from ..core.models import ConnectionInfo
from ..core.transport import HttpTransport
from . import errors as cberr
from .mapping import (
    PUBLIC_RECEIPT_URL,
    error_text,
    parse_cashier,
    parse_receipt,
    parse_register,
    parse_report,
    parse_shift,
    parse_totals,
    receipt_path,
    receipt_payload,
)

DEFAULT_URL = "https://api.checkbox.ua"
API = "/api/v1"


class CheckboxAuth(TokenAuth):
    """Cashier sign-in: PIN with the licence key when a PIN is given, else login/password."""

    def __init__(self, *, login="", password="", pin="", license_key="", **kw):
        super().__init__(**kw)
        if not pin and not (login and password):
            raise ValueError("Checkbox needs a cashier PIN, or a login and a password")
        self.login_name, self.password, self.pin = login, password, pin
        self.license_key = license_key

    def login(self, transport):
        try:
            if self.pin:
                resp = transport.request(
                    "POST", f"{API}/cashier/signinPinCode", json={"pin_code": self.pin},
                    headers={"X-License-Key": self.license_key}, auth=False,
                    idempotent=True,
                )
            else:
                resp = transport.request(
                    "POST", f"{API}/cashier/signin",
                    json={"login": self.login_name, "password": self.password},
                    auth=False, idempotent=True,
                )
        except (AuthError, ValidationError) as err:
            raise cberr.CheckboxAuthError(
                error_text(err.details, err.message), status=err.status, details=err.details
            ) from None
        data = resp.data if isinstance(resp.data, dict) else {}
        return data.get("access_token") or ""


class CheckboxClient(FiscalClient):
    """One cash register and its cashier.

    ``labels`` maps :class:`PaymentKind` to the payment names printed on
    receipts (from the official list); ``poll_interval``/``poll_timeout``
    bound the waits for a shift or a receipt to become final inside one
    call (the caller polls again later when the time is up).
    """

    def __init__(self, *, license_key, login="", password="", pin="", base_url=DEFAULT_URL,
                 client_name="omni", client_version="1.0", token_cache=None, on_secret=None,
                 on_call=None, rate_limiter=None, labels=None, poll_interval=0.5,
                 poll_timeout=10.0, sleep=time.sleep, public_url=PUBLIC_RECEIPT_URL,
                 **transport_options):
        if not license_key:
            raise ValueError("Checkbox needs the cash register's licence key")
        self.license_key = license_key
        auth = CheckboxAuth(login=login, password=password, pin=pin, license_key=license_key,
                            token_cache=token_cache, on_secret=on_secret)
        transport = HttpTransport(
            base_url,
            secrets=[s for s in (license_key, password, pin) if s],
            default_headers={"X-Client-Name": client_name, "X-Client-Version": client_version},
            on_call=on_call,
            rate_limiter=rate_limiter,
            sleep=sleep,
            **transport_options,
        )
        super().__init__(transport, auth=auth)
        self.labels = dict(labels or {})
        self.poll_interval = float(poll_interval)
        self.poll_timeout = float(poll_timeout)
        self.sleep = sleep
        self.public_url = public_url

    # ------------------------------------------------------------ plumbing
    def _call(self, method, path, *, licensed=False, headers=None, **kw):
        """One API call; refusals become typed errors in Checkbox's words."""
        send = dict(headers or {})
        if licensed:
            send["X-License-Key"] = self.license_key
        try:
            return self.transport.request(method, f"{API}{path}", headers=send, **kw)
        except NotFoundError as err:
            raise cberr.CheckboxNotFoundError(
                error_text(err.details, err.message), status=err.status, details=err.details
            ) from None
        except ValidationError as err:
            text = error_text(err.details, err.message)
            cls = cberr.classify(text, err.status)
            raise cls(text, status=err.status, details=err.details) from None
        except AuthError as err:
            if isinstance(err, cberr.CheckboxAuthError):
                raise
            raise cberr.CheckboxAuthError(
                error_text(err.details, err.message), status=err.status, details=err.details
            ) from None

    def _until(self, read, done, timeout):
        """Poll ``read()`` until ``done(value)`` or ``timeout`` seconds; the last value."""
        timeout = self.poll_timeout if timeout is None else float(timeout)
        deadline = time.monotonic() + timeout
        value = read()
        while not done(value) and time.monotonic() < deadline:
            self.sleep(self.poll_interval)
            value = read()
        return value

    # ------------------------------------------------------------- account
    def test_connection(self):
        try:
            cashier = self.cashier()
            register = self.register_info()
        except OmniConnectorError as err:
            return ConnectionInfo(ok=False, message=str(err))
        mode = " (offline)" if register.offline_mode else ""
        return ConnectionInfo(
            ok=True,
            message=f"{register.title or register.fiscal_number}{mode}: {cashier.full_name}",
            account=register.fiscal_number,
        )

    def cashier(self):
        """The signed-in cashier (``GET /cashier/me``), with the signing key's end date."""
        return parse_cashier(self._call("GET", "/cashier/me").data)

    def register_info(self):
        """The register (``GET /cash-registers/info``): offline mode, open shift."""
        return parse_register(self._call("GET", "/cash-registers/info", licensed=True).data)

    def ping_tax_service(self):
        """Whether the tax service answers the register now."""
        resp = self._call("POST", "/cash-registers/ping-tax-service", licensed=True,
                          idempotent=True)
        data = resp.data if isinstance(resp.data, dict) else {}
        return data.get("status") == "DONE"

    def go_offline(self):
        """Work without the tax service (receipts get offline fiscal codes)."""
        self._call("POST", "/cash-registers/go-offline", licensed=True, json={},
                   idempotent=True)

    def go_online(self):
        """Send the offline documents to the tax service and work online again."""
        self._call("POST", "/cash-registers/go-online", licensed=True, json={},
                   idempotent=True)

    def taxes(self):
        """The organisation's taxes (``GET /tax``): dicts with code, symbol, rate, label."""
        data = self._call("GET", "/tax", licensed=True).data
        return [tax for tax in data or () if isinstance(tax, dict)]

    def sign_out(self):
        self._call("POST", "/cashier/signout", expect="text")
        if self.auth is not None:
            self.auth.token = ""

    # -------------------------------------------------------------- shifts
    def current_shift(self):
        try:
            data = self._call("GET", "/cashier/shift").data
        except NotFoundError:  # some deployments answer 404 for "no shift"
            return None
        shift = parse_shift(data)
        if shift is not None and shift.is_closed:
            return None
        return shift

    def shift_data(self, shift_id):
        """The raw shift (``GET /shifts/{id}``)."""
        return self._call("GET", f"/shifts/{shift_id}").data

    def get_shift(self, shift_id):
        return parse_shift(self.shift_data(shift_id))

    def _shift_failure(self, shift_id, what):
        data = self.shift_data(shift_id) or {}
        transaction = data.get("initial_transaction") or data.get("closing_transaction") or {}
        reason = ""
        if isinstance(transaction, dict):
            reason = transaction.get("response_error_message") or ""
        return cberr.ShiftFailedError(f"{what}: {reason or 'the shift was closed'}",
                                      details=data)

    def open_shift(self, shift_id=None, timeout=None):
        """Open a shift (or return the one open), waiting up to ``timeout`` for OPENED.

        A shift still ``CREATED``/``OPENING`` when the time is up is returned
        as is: the caller asks again later. Opening that fails at the tax
        service raises :class:`~.errors.ShiftFailedError`.
        """
        shift = self.current_shift()
        if shift is None:
            body = {"id": normalize_receipt_id(shift_id)} if shift_id else {}
            try:
                shift = parse_shift(self._call("POST", "/shifts", licensed=True, json=body).data)
            except (AuthError, cberr.ReceiptValidationError):
                raise
            except OmniConnectorError:
                shift = self.current_shift()  # opened by another call, or the answer lost
                if shift is None:
                    raise
        if shift.status is ShiftStatus.CLOSING:
            self._until(lambda: self.get_shift(shift.id), lambda s: s.is_closed, timeout)
            return self.open_shift(shift_id=None, timeout=timeout)
        shift = self._until(
            lambda: self.get_shift(shift.id),
            lambda s: s.status in (ShiftStatus.OPENED, ShiftStatus.CLOSED),
            timeout,
        )
        if shift.is_closed:
            raise self._shift_failure(shift.id, "the shift did not open")
        return shift

    def close_shift(self, timeout=None):
        """Close the open shift with its Z report; None when no shift was open."""
        shift = self.current_shift()
        if shift is None:
            return None
        if shift.status is not ShiftStatus.CLOSING:
            if shift.status is not ShiftStatus.OPENED:
                shift = self._until(lambda: self.get_shift(shift.id),
                                    lambda s: s.status is ShiftStatus.OPENED, timeout)
            shift = parse_shift(
                self._call("POST", "/shifts/close", json={"skip_client_name_check": False}).data
            )
        return self._until(lambda: self.get_shift(shift.id), lambda s: s.is_closed, timeout)

    def z_report(self, shift_id):
        """The Z report of a closed shift, None while it has none."""
        data = self.shift_data(shift_id) or {}
        report = data.get("z_report") if isinstance(data, dict) else None
        return parse_report(report) if report else None

    def shift_totals(self, shift_id):
        """Sales, returns and cash of a shift so far (:class:`~.mapping.ShiftTotals`)."""
        return parse_totals(self.shift_data(shift_id))

    def x_report(self):
        """An X report of the open shift (``POST /reports``)."""
        return parse_report(self._call("POST", "/reports", json={}).data)

    def report_text(self, report_id, width=42):
        """A report as the printed text."""
        return self._call("GET", f"/reports/{report_id}/text", params={"width": width},
                          expect="text").text

    # ------------------------------------------------------------ receipts
    def _create_receipt(self, receipt, receipt_id):
        body = receipt_payload(receipt, receipt_id, labels=self.labels)
        resp = self._call("POST", receipt_path(receipt).removeprefix(API), json=body,
                          headers={"x-request-id": receipt_id})
        return parse_receipt(resp.data, public_url=self.public_url)

    def _get_receipt(self, receipt_id):
        resp = self._call("GET", f"/receipts/{receipt_id}")
        return parse_receipt(resp.data, public_url=self.public_url)

    def wait_receipt(self, receipt_id, timeout=None, first=None):
        """Poll the receipt until it is final (DONE or ERROR) or ``timeout`` passes."""
        state = {"first": first}

        def read():
            if state["first"] is not None:
                value, state["first"] = state["first"], None
                return value
            return self.get_receipt(receipt_id)

        return self._until(read, lambda r: r.is_final, timeout)

    def issue(self, receipt, receipt_id, timeout=None):
        """Create the receipt (never twice) and wait for it to be final."""
        result = self.create_receipt(receipt, receipt_id)
        if result.is_final:
            return result
        return self.wait_receipt(result.id, timeout=timeout, first=result)

    def service(self, amount, receipt_id, *, out=False):
        """Put cash into the drawer (or take it out with ``out=True``)."""
        kind = ReceiptKind.SERVICE_OUT if out else ReceiptKind.SERVICE_IN
        receipt = Receipt(kind=kind, payments=(ReceiptPayment(PaymentKind.CASH, amount),))
        return self.create_receipt(receipt, receipt_id)

    def receipt_pdf(self, receipt_id):
        receipt_id = normalize_receipt_id(receipt_id)
        return self._call("GET", f"/receipts/{receipt_id}/pdf", expect="bytes").content

    def receipt_text(self, receipt_id, width=42):
        receipt_id = normalize_receipt_id(receipt_id)
        return self._call("GET", f"/receipts/{receipt_id}/text", params={"width": width},
                          expect="text").text

    def receipt_qrcode(self, receipt_id):
        receipt_id = normalize_receipt_id(receipt_id)
        return self._call("GET", f"/receipts/{receipt_id}/qrcode", expect="bytes").content

    def links(self, receipt_id):
        """Public links of a receipt: its page and its PDF, text and QR renderings."""
        receipt_id = normalize_receipt_id(receipt_id)
        base = self.transport.url_for(f"{API}/receipts/{receipt_id}")
        return {
            "page": self.public_url.format(id=receipt_id),
            "pdf": f"{base}/pdf",
            "text": f"{base}/text",
            "qrcode": f"{base}/qrcode",
            "html": f"{base}/html",
        }

    def send_email(self, receipt_id, emails):
        """Send the receipt to the buyer's e-mail addresses."""
        receipt_id = normalize_receipt_id(receipt_id)
        emails = [emails] if isinstance(emails, str) else list(emails)
        self._call("POST", f"/receipts/{receipt_id}/email", json=emails, idempotent=True)

    def send_sms(self, receipt_id, phone):
        """Send the receipt to the buyer's phone (SMS/Viber, when active on the account)."""
        from ..core.phone import format_phone

        receipt_id = normalize_receipt_id(receipt_id)
        self._call("POST", f"/receipts/{receipt_id}/sms",
                   json={"phone": format_phone(phone, "ua12")}, idempotent=True)
