"""Simulator of Nova Poshta API 2.0 (``omni-sandbox novaposhta``).

One ``POST /v2.0/json/`` endpoint dispatching on ``(modelName, calledMethod)``
(``…General`` aliases accepted), answering the nine-key envelope with
NP's error texts and codes; the cabinet's print links (``GET /orders/…``,
``GET /scanSheet/…``) answer real PDFs. Directories are generated from a
seed with Ukrainian names: thousands of cities and tens of thousands of
branches and parcel lockers with their weight and size limits.

Waybills (``InternetDocument.save`` by refs or by text) are validated in
roughly NP's order: key, required fields, enums, date and phone formats,
refs, postomat limits, COD rules. The sender's options say whether payment
control (``AfterpaymentOnGoodsCost``) and the money transfer
(``BackwardDeliveryData``) are enabled; a refused one answers NP's code.

Tracking follows a script per waybill: ``delivered`` (1, 4, 5, 6, 7, 9,
then 10 and 11 for a money transfer), ``refused`` (… 7, 103, 102, then
returned with ``DateReturnCargo``). Tests move it with :meth:`advance`,
another process with ``POST /_sandbox/np/advance`` ``{"number": …,
"steps": 1, "script": "refused"}``.
"""

import datetime as dt
import random
import re
import threading
import uuid

from .server import HttpError, Reply, Simulator, html_reply, route

UA_CITIES = [
    ("Київ", "Київська"), ("Харків", "Харківська"), ("Одеса", "Одеська"),
    ("Дніпро", "Дніпропетровська"), ("Львів", "Львівська"), ("Запоріжжя", "Запорізька"),
    ("Вінниця", "Вінницька"), ("Полтава", "Полтавська"), ("Чернігів", "Чернігівська"),
    ("Черкаси", "Черкаська"), ("Житомир", "Житомирська"), ("Суми", "Сумська"),
    ("Рівне", "Рівненська"), ("Івано-Франківськ", "Івано-Франківська"),
    ("Тернопіль", "Тернопільська"), ("Луцьк", "Волинська"), ("Ужгород", "Закарпатська"),
    ("Хмельницький", "Хмельницька"), ("Чернівці", "Чернівецька"),
    ("Кропивницький", "Кіровоградська"), ("Миколаїв", "Миколаївська"),
    ("Херсон", "Херсонська"), ("Біла Церква", "Київська"), ("Бровари", "Київська"),
    ("Ірпінь", "Київська"), ("Кривий Ріг", "Дніпропетровська"), ("Кременчук", "Полтавська"),
    ("Мукачево", "Закарпатська"), ("Кам'янець-Подільський", "Хмельницька"),
    ("Умань", "Черкаська"),
]
_ROOTS = ["Олександрівка", "Іванівка", "Петрівка", "Миколаївка", "Михайлівка", "Василівка",
          "Андріївка", "Григорівка", "Степанівка", "Покровське", "Вознесенське", "Калинівка",
          "Березівка", "Вишневе", "Зелене", "Соснівка", "Дубове", "Липове", "Кам'янка",
          "Знам'янка", "Новоселиця", "Ставки", "Озерне", "Слобода", "Криниці", "Садове",
          "Яблунівка", "Червоне", "Лозове", "Малинівка"]
_PREFIXES = ["", "Нова ", "Стара ", "Велика ", "Мала ", "Верхня ", "Нижня ", "Мирна "]
_STREETS = ["вул. Шевченка", "вул. Франка", "вул. Лесі Українки", "вул. Грушевського",
            "просп. Незалежності", "вул. Соборна", "вул. Хрещатик", "вул. Садова",
            "вул. Миру", "вул. Героїв України", "вул. Центральна", "вул. Козацька"]

TYPE_BRANCH = "841339c7-591a-42e2-8233-7a0a00f0ed6f"
TYPE_CARGO = "9a68df70-0267-42a8-bb5c-37f427e36ee4"
TYPE_MINI = "6f8c7162-4b72-4b0a-88e5-906948c6a92f"
TYPE_POSTOMAT = "f9316480-5f2d-425d-bc2c-ac7cd29decf0"
#: type -> (category, place max kg, total max kg, receiving W/H/L cm, declared cost cap)
TYPE_LIMITS = {
    TYPE_BRANCH: ("Branch", 30, 1000, (70, 70, 120), 0),
    TYPE_CARGO: ("Branch", 1000, 10000, (170, 170, 300), 0),
    TYPE_MINI: ("Branch", 5, 50, (40, 30, 60), 0),
    TYPE_POSTOMAT: ("Postomat", 20, 20, (40, 30, 60), 10000),
}

ENVELOPE_KEYS = ("success", "data", "errors", "warnings", "info", "messageCodes",
                 "errorCodes", "warningCodes", "infoCodes")

#: scripted tracking progressions
SCRIPTS = {
    "delivered": ["1", "4", "5", "6", "7", "9"],
    "refused": ["1", "4", "5", "6", "7", "103", "102", "returned"],
}
STATUS_TEXTS = {
    "1": "Відправник самостійно створив цю накладну, але ще не надав до відправки",
    "2": "Видалено",
    "3": "Номер не знайдено",
    "4": "Відправлення у місті відправника",
    "5": "Відправлення прямує до міста отримувача",
    "6": "Відправлення у місті отримувача, орієнтовна доставка до відділення",
    "7": "Прибув на відділення",
    "8": "Прибув на відділення (завантажено в Поштомат)",
    "9": "Відправлення отримано",
    "10": "Відправлення отримано. Грошовий переказ буде видано одержувачу",
    "11": "Відправлення отримано. Грошовий переказ видано одержувачу",
    "102": "Відмова від отримання (Відправником створено замовлення на повернення)",
    "103": "Відмова одержувача",
}

#: return orders (AdditionalServiceGeneral). The reason texts and refs are the
#: simulator's own; NP's real list comes from getReturnReasons [I]
RETURN_REASONS = {
    "49754eb2-a9e1-11e3-9fa0-0050568002cf": ("Повернення посилки", {
        "49754eb3-a9e1-11e3-9fa0-0050568002cf": "Відмова одержувача",
        "49754eb4-a9e1-11e3-9fa0-0050568002cf": "Товар не відповідає опису",
    }),
    "49754eb5-a9e1-11e3-9fa0-0050568002cf": ("Обмін товару", {
        "49754eb6-a9e1-11e3-9fa0-0050568002cf": "Не підійшов розмір",
    }),
}
#: states from which a return may be ordered: at the branch, refused, received [I]
RETURN_POSSIBLE_STATES = ("7", "8", "103", "9", "10", "11")
#: of those, the parcel is still at NP: the return waybill is made at once [Sim]
RETURN_AT_BRANCH_STATES = ("7", "8", "103")
RETURN_ACCEPTED = "Прийняте"  # [I]
RETURN_NOT_POSSIBLE = "20000900746"  # [Sim] code of "return not possible"

_PHONE = re.compile(r"^380\d{9}$")
_CYR = re.compile(r"^[А-ЩЬЮЯҐЄІЇа-щьюяґєії'’ʼ\- ]+$")
_DATE = re.compile(r"^\d\d\.\d\d\.\d{4}$")


def _uuid(seed, *parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"np-sim:{seed}:" + ":".join(map(str, parts))))


def make_pdf(lines, width_mm=210, height_mm=297):
    """A small but valid PDF (one page, Helvetica, ASCII text) of ``lines``."""
    width, height = width_mm * 72 / 25.4, height_mm * 72 / 25.4
    text_ops = ["BT", "/F1 12 Tf", f"20 {height - 30:.0f} Td", "14 TL"]
    for line in lines:
        safe = str(line).encode("ascii", "replace").decode().replace("\\", "\\\\")
        safe = safe.replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({safe}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.0f} {height:.0f}] "
        f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


class NovaPoshtaSimulator(Simulator):
    """Nova Poshta's JSON API and print links, with generated directories."""

    name = "novaposhta"

    def __init__(self, *, api_key="np-sandbox-key-0001", cities=3000, warehouses=40000,
                 seed=1, payment_control=True, money_transfer=False, **kw):
        self.api_key = api_key
        self.city_count = max(3, int(cities))
        self.warehouse_count = max(self.city_count, int(warehouses))
        self.seed = seed
        self.payment_control = payment_control
        self.money_transfer = money_transfer
        self._directory = None
        self._directory_lock = threading.Lock()
        super().__init__(**kw)

    # -- CLI ------------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--api-key", default="np-sandbox-key-0001")
        parser.add_argument("--cities", type=int, default=3000)
        parser.add_argument("--warehouses", type=int, default=40000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--money-transfer", action="store_true",
                            help="allow BackwardDeliveryData money transfers")

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(host=host, port=port, api_key=args.api_key, cities=args.cities,
                   warehouses=args.warehouses, seed=args.seed,
                   money_transfer=args.money_transfer)

    # -- directories (generated once, read-only) ------------------------------------------

    @property
    def directory(self):
        with self._directory_lock:
            if self._directory is None:
                self._directory = self._generate()
            return self._directory

    def _generate(self):
        rnd = random.Random(self.seed)
        cities, names = [], set()
        areas = sorted({area for _n, area in UA_CITIES})
        for index in range(self.city_count):
            if index < len(UA_CITIES):
                name, area = UA_CITIES[index]
            else:
                while True:
                    name = rnd.choice(_PREFIXES) + rnd.choice(_ROOTS)
                    area = rnd.choice(areas)
                    if (name, area) not in names:
                        break
                    name = f"{name} {rnd.randint(2, 999)}"
                    if (name, area) not in names:
                        break
            names.add((name, area))
            kind = "місто" if index < len(UA_CITIES) or rnd.random() < 0.2 else "село"
            cities.append({
                "Description": name, "DescriptionRu": name, "Ref": _uuid(self.seed, "city", index),
                "Area": _uuid(self.seed, "area", area), "AreaDescription": area,
                "SettlementType": _uuid(self.seed, "stype", kind),
                "SettlementTypeDescription": kind, "IsBranch": "0",
                "CityID": str(1000 + index), "SettlementRef": _uuid(self.seed, "settl", index),
                "Delivery1": "1", "Delivery2": "1", "Delivery3": "1", "Delivery4": "1",
                "Delivery5": "1", "Delivery6": "1", "Delivery7": "0",
            })
        # big cities get many branches, villages one or two
        counts = [1] * len(cities)
        spare = self.warehouse_count - len(cities)
        weights = [1.0 / (i + 1) ** 0.9 for i in range(len(cities))]
        total_weight = sum(weights)
        for i, w in enumerate(weights):
            counts[i] += int(spare * w / total_weight)
        counts[0] += self.warehouse_count - sum(counts)
        warehouses = []
        for city, count in zip(cities, counts, strict=True):
            for number in range(1, count + 1):
                warehouses.append(self._warehouse(rnd, city, number, len(warehouses)))
        by_city = {}
        for wh in warehouses:
            by_city.setdefault(wh["CityRef"], []).append(wh)
        return {
            "cities": cities,
            "city_by_ref": {c["Ref"]: c for c in cities},
            "warehouses": warehouses,
            "wh_by_ref": {w["Ref"]: w for w in warehouses},
            "wh_by_city": by_city,
        }

    def _warehouse(self, rnd, city, number, serial):
        roll = rnd.random()
        if number == 1:
            type_ref = TYPE_BRANCH
        elif roll < 0.45:
            type_ref = TYPE_POSTOMAT
        elif roll < 0.85:
            type_ref = TYPE_BRANCH
        elif roll < 0.95:
            type_ref = TYPE_MINI
        else:
            type_ref = TYPE_CARGO
        category, place_kg, total_kg, dims, cost_cap = TYPE_LIMITS[type_ref]
        street = f"{rnd.choice(_STREETS)}, {rnd.randint(1, 200)}"
        if type_ref == TYPE_POSTOMAT:
            label = f"Поштомат \"Нова Пошта\" №{number}: {street} (під'їзд {rnd.randint(1, 6)})"
        elif type_ref == TYPE_CARGO:
            label = f"Вантажне відділення №{number}: {street}"
        elif type_ref == TYPE_MINI:
            label = f"Пункт приймання-видачі (до 5 кг) №{number}: {street}"
        else:
            label = f"Відділення №{number} (до {place_kg} кг): {street}"
        limits = {"Width": dims[0], "Height": dims[1], "Length": dims[2]}
        return {
            "SiteKey": str(10000 + serial), "Description": label, "DescriptionRu": label,
            "ShortAddress": f"{city['Description']}, {street}", "Phone": "380800500609",
            "TypeOfWarehouse": type_ref, "Ref": _uuid(self.seed, "wh", city["Ref"], number),
            "Number": str(number), "CityRef": city["Ref"], "CityDescription": city["Description"],
            "SettlementRef": city["SettlementRef"],
            "SettlementDescription": city["Description"],
            "SettlementAreaDescription": city["AreaDescription"],
            "SettlementTypeDescription": city["SettlementTypeDescription"],
            "Longitude": f"{22 + rnd.random() * 18:.6f}",
            "Latitude": f"{45 + rnd.random() * 7:.6f}",
            "PostFinance": "1", "BicycleParking": "0", "PaymentAccess": "1", "POSTerminal": "1",
            "InternationalShipping": "0", "SelfServiceWorkplacesCount": "0",
            "TotalMaxWeightAllowed": str(total_kg), "PlaceMaxWeightAllowed": str(place_kg),
            "SendingLimitationsOnDimensions": dict(limits),
            "ReceivingLimitationsOnDimensions": dict(limits),
            "Reception": {"Monday": "08:00-20:00"}, "Delivery": {"Monday": "08:00-20:00"},
            "Schedule": {"Monday": "08:00-20:00"}, "DistrictCode": "",
            "WarehouseStatus": "Working", "WarehouseStatusDate": "2024-01-01 00:00:00",
            "CategoryOfWarehouse": category, "MaxDeclaredCost": str(cost_cap),
            "WarehouseIndex": f"{serial // 100 + 1}/{number}", "PostalCodeUA": "01001",
            "DenyToSelect": "0", "CanGetMoneyTransfer": "1",
        }

    # -- state ----------------------------------------------------------------------------

    def reset_state(self):
        directory = self.directory
        kyiv = directory["cities"][0]
        self.sender = {
            "Ref": _uuid(self.seed, "sender"), "Description": "ФОП Коваленко Олена Петрівна",
            "FirstName": "Олена", "LastName": "Коваленко", "MiddleName": "Петрівна",
            "City": kyiv["Ref"], "CounterpartyType": "PrivatePerson", "EDRPOU": "3012345678",
        }
        self.sender_contact = {
            "Ref": _uuid(self.seed, "sender-contact"), "Description": "Коваленко Олена Петрівна",
            "Phones": "380501112233", "Email": "shop@example.com", "FirstName": "Олена",
            "LastName": "Коваленко", "MiddleName": "Петрівна",
        }
        #: the sender's contact persons (tests may add some)
        self.sender_contacts = [self.sender_contact]
        self.options = {"CanAfterpaymentOnGoodsCost": self.payment_control,
                        "CanMoneyTransfer": self.money_transfer}
        self.recipient_ref = _uuid(self.seed, "recipient")
        self.contacts = {}  # (name, phone) -> ref
        self.documents = {}  # number -> document
        self.refs = {}  # ref -> number
        self.scan_sheets = {}  # ref -> sheet
        self.counter = 20450000000000
        self.sheet_counter = 100
        self.return_orders = {}  # ref -> return order
        self.return_counter = 3000
        #: days a parcel may still be returned after it arrived or was received [I]
        self.storage_days = 14

    def dump_state(self):
        return {"documents": list(self.documents.values()),
                "scan_sheets": list(self.scan_sheets.values()),
                "return_orders": list(self.return_orders.values())}

    def not_found_reply(self, req):
        return html_reply("<html><body><h1>404</h1><p>Сторінку не знайдено</p></body></html>",
                          status=404)

    # -- envelope -------------------------------------------------------------------------

    @staticmethod
    def envelope(data=None, errors=(), codes=(), warnings=(), total=None):
        body = {key: [] for key in ENVELOPE_KEYS}
        body["success"] = not errors
        body["data"] = list(data or [])
        body["errors"] = list(errors)
        body["errorCodes"] = list(codes)
        body["warnings"] = list(warnings)
        body["info"] = {"totalCount": total} if total is not None else []
        return body

    @route("POST", "/v2.0/json/")
    @route("POST", "/v2.0/json")
    def api(self, req):
        body = req.json()
        if not isinstance(body, dict):
            return self.envelope(errors=["Invalid request"], codes=["20000100000"])
        model = str(body.get("modelName") or "").removesuffix("General")
        method = str(body.get("calledMethod") or "")
        props = body.get("methodProperties") or {}
        if not isinstance(props, dict):
            return self.envelope(errors=["methodProperties must be an object"],
                                 codes=["20000100000"])
        handler = getattr(self, f"np_{model}_{method}", None)
        if handler is None:
            return self.envelope(errors=[f"Method {model}.{method} not found"],
                                 codes=["20000200217"])
        key = body.get("apiKey")
        if model != "TrackingDocument":
            if not key:
                return self.envelope(errors=["apiKey is empty"], codes=["20000200069"])
            if key != self.api_key:
                return self.envelope(errors=["API auth fail"], codes=["20000200068"])
        try:
            with self.lock:
                return handler(props)
        except _NpRefusal as refusal:
            return self.envelope(errors=refusal.errors, codes=refusal.codes)

    # -- directories ----------------------------------------------------------------------

    @staticmethod
    def _page(items, props, default_limit=50):
        try:
            page = max(1, int(props.get("Page") or 1))
            limit = max(1, min(int(props.get("Limit") or default_limit), 5000))
        except (TypeError, ValueError):
            raise _NpRefusal(["Page or Limit is invalid"], ["20000400000"]) from None
        start = (page - 1) * limit
        return items[start:start + limit]

    def np_Address_getCities(self, props):  # noqa: N802 - NP's names
        cities = self.directory["cities"]
        if props.get("Ref"):
            cities = [c for c in cities if c["Ref"] == props["Ref"]]
        find = str(props.get("FindByString") or "").lower()
        if find:
            cities = [c for c in cities if c["Description"].lower().startswith(find)]
        return self.envelope(self._page(cities, props, 150), total=len(cities))

    np_Address_getSettlements = np_Address_getCities  # noqa: N815

    def np_Address_searchSettlements(self, props):  # noqa: N802
        find = str(props.get("CityName") or "").lower().strip()
        if not find:
            raise _NpRefusal(["CityName is empty"], ["20000400000"])
        matches = [c for c in self.directory["cities"] if c["Description"].lower().startswith(find)]
        page = self._page(matches, props, 20)
        addresses = [{
            "Present": f"{c['SettlementTypeDescription'][:1]}. {c['Description']}, "
                       f"{c['AreaDescription']} обл.",
            "Warehouses": len(self.directory["wh_by_city"].get(c["Ref"], ())),
            "MainDescription": c["Description"], "Area": c["AreaDescription"], "Region": "",
            "SettlementTypeCode": "м." if c["SettlementTypeDescription"] == "місто" else "с.",
            "Ref": c["SettlementRef"], "DeliveryCity": c["Ref"],
            "AddressDeliveryAllowed": True, "StreetsAvailability": True,
        } for c in page]
        return self.envelope([{"TotalCount": len(matches), "Addresses": addresses}])

    def np_Address_getWarehouses(self, props):  # noqa: N802
        directory = self.directory
        if props.get("CityRef"):
            items = directory["wh_by_city"].get(props["CityRef"], [])
        elif props.get("SettlementRef"):
            items = [w for w in directory["warehouses"]
                     if w["SettlementRef"] == props["SettlementRef"]]
        elif props.get("CityName"):
            items = [w for w in directory["warehouses"]
                     if w["CityDescription"] == props["CityName"]]
        else:
            items = directory["warehouses"]
        if props.get("WarehouseId"):
            items = [w for w in items if w["Number"] == str(props["WarehouseId"])]
        if props.get("TypeOfWarehouseRef"):
            items = [w for w in items if w["TypeOfWarehouse"] == props["TypeOfWarehouseRef"]]
        return self.envelope(self._page(items, props, 50), total=len(items))

    def np_Address_getWarehouseTypes(self, props):  # noqa: N802
        return self.envelope([{"Ref": ref, "Description": cat}
                              for ref, (cat, *_rest) in TYPE_LIMITS.items()])

    def np_Counterparty_getCounterparties(self, props):  # noqa: N802
        if props.get("CounterpartyProperty") == "Sender":
            return self.envelope([self.sender], total=1)
        return self.envelope([{"Ref": self.recipient_ref, "Description": "Приватна особа",
                               "CounterpartyType": "PrivatePerson"}], total=1)

    def np_Counterparty_getCounterpartyContactPersons(self, props):  # noqa: N802
        if props.get("Ref") != self.sender["Ref"]:
            raise _NpRefusal(["Counterparty not found"], ["20000300000"])
        return self.envelope(list(self.sender_contacts), total=len(self.sender_contacts))

    def np_Counterparty_getCounterpartyAddresses(self, props):  # noqa: N802
        branch = self.directory["wh_by_city"][self.sender["City"]][0]
        return self.envelope([{"Ref": branch["Ref"], "Description": branch["Description"]}])

    def np_Counterparty_getCounterpartyOptions(self, props):  # noqa: N802
        return self.envelope([dict(self.options)])

    def np_Counterparty_save(self, props):  # noqa: N802
        errors, codes = [], []
        for name in ("FirstName", "LastName"):
            value = str(props.get(name) or "")
            if not value:
                errors.append(f"{name} is empty")
                codes.append("20000200000")
            elif not _CYR.match(value):
                errors.append(f"{name} has invalid characters")
                codes.append("20000200001")
        phone = str(props.get("Phone") or "")
        if not _PHONE.match(phone):
            errors.append("The phone number is invalid")
            codes.append("20000100018")
        if errors:
            raise _NpRefusal(errors, codes)
        contact = self._contact(props)
        return self.envelope([{
            "Ref": self.recipient_ref, "Description": "Приватна особа",
            "FirstName": props["FirstName"], "LastName": props["LastName"],
            "MiddleName": props.get("MiddleName", ""), "CounterpartyType": "PrivatePerson",
            "ContactPerson": self.envelope([contact]),
        }])

    def _contact(self, props):
        name = " ".join(str(props.get(k) or "") for k in ("LastName", "FirstName", "MiddleName"))
        key = (name.strip(), str(props.get("Phone")))
        ref = self.contacts.setdefault(key, _uuid(self.seed, "contact", *key))
        return {"Ref": ref, "Description": key[0], "LastName": props.get("LastName", ""),
                "FirstName": props.get("FirstName", ""),
                "MiddleName": props.get("MiddleName", "")}

    # -- waybills -------------------------------------------------------------------------

    def np_InternetDocument_getDocumentPrice(self, props):  # noqa: N802
        self._require(props, ("CitySender", "CityRecipient", "Weight", "ServiceType"))
        weight = self._number(props, "Weight", "20000200373")
        cost = self._number(props, "Cost", "20000200118", default=300)
        same = props["CitySender"] == props["CityRecipient"]
        price = round((60 if same else 80) + max(0.0, weight - 2) * 8 + cost * 0.005, 2)
        if str(props.get("ServiceType", "")).endswith("Doors"):
            price += 40
        item = {"AssessedCost": cost, "Cost": price, "CostPack": 0,
                "TZoneInfo": {"TzoneName": "Зона 1" if same else "Зона 2", "TzoneID": "1"}}
        redelivery = props.get("RedeliveryCalculate")
        if isinstance(redelivery, dict) and redelivery.get("Amount"):
            item["CostRedelivery"] = round(20 + float(redelivery["Amount"]) * 0.02, 2)
        return self.envelope([item])

    def np_InternetDocument_getDocumentDeliveryDate(self, props):  # noqa: N802
        self._require(props, ("DateTime", "CitySender", "CityRecipient"))
        start = self._date(props["DateTime"])
        days = 1 if props["CitySender"] == props["CityRecipient"] else 2
        when = start + dt.timedelta(days=days)
        return self.envelope([{"DeliveryDate": {
            "date": when.strftime("%Y-%m-%d 00:00:00.000000"), "timezone_type": 3,
            "timezone": "Europe/Kiev"}}])

    @staticmethod
    def _require(props, names, codes=None):
        missing = [n for n in names if props.get(n) in (None, "", [])]
        if missing:
            raise _NpRefusal([f"{n} is empty" for n in missing],
                             [(codes or {}).get(n, "20000400000") for n in missing])

    @staticmethod
    def _number(props, name, code, default=None):
        value = props.get(name, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _NpRefusal([f"{name} is invalid"], [code]) from None
        if number != number or number < 0:
            raise _NpRefusal([f"{name} is invalid"], [code])
        return number

    @staticmethod
    def _date(value):
        if not _DATE.match(str(value or "")):
            raise _NpRefusal(["DateTime invalid format"], ["20000400456"])
        try:
            return dt.datetime.strptime(value, "%d.%m.%Y").date()
        except ValueError:
            raise _NpRefusal(["DateTime invalid format"], ["20000400456"]) from None

    REQUIRED_SAVE = {
        "PayerType": "20000200247", "PaymentMethod": "20000200248", "DateTime": "20000200145",
        "CargoType": "20000200099", "Weight": "20000400503", "ServiceType": "20000200347",
        "SeatsAmount": "20000200313", "Description": "20000200150", "Cost": "20000200118",
        "CitySender": "20000200100", "Sender": "20000200101", "SenderAddress": "20000200102",
        "ContactSender": "20000200103", "SendersPhone": "20000300445",
        "RecipientsPhone": "20000300435",
    }
    REQUIRED_BY_REFS = {
        "CityRecipient": "20000200104", "Recipient": "20000300431",
        "RecipientAddress": "20000200268", "ContactRecipient": "20000300401",
    }

    def _validate_save(self, props):
        required = dict(self.REQUIRED_SAVE)
        by_text = str(props.get("NewAddress") or "") == "1"
        if not by_text:
            required.update(self.REQUIRED_BY_REFS)
        self._require(props, list(required), required)
        errors, codes = [], []

        def refuse(text, code):
            errors.append(text)
            codes.append(code)

        if props["PayerType"] not in ("Sender", "Recipient", "ThirdPerson"):
            refuse("Payer type is incorrect", "20000400475")
        if props["PaymentMethod"] not in ("Cash", "NonCash"):
            refuse("PaymentMethod is incorrect", "20000200248")
        if props["PayerType"] == "ThirdPerson" and props["PaymentMethod"] != "NonCash":
            refuse("ThirdPerson only NonCash", "20000200350")
        if props["CargoType"] not in ("Parcel", "Cargo", "Documents", "TiresWheels", "Pallet"):
            refuse("Incorrect CargoType", "20000200184")
        service = props["ServiceType"]
        if service not in ("WarehouseWarehouse", "WarehouseDoors", "DoorsWarehouse",
                           "DoorsDoors", "WarehousePostomat", "DoorsPostomat"):
            refuse("ServiceType is incorrect", "20000200348")
        date = self._date(props["DateTime"])
        if date < dt.date.today():
            refuse("DateTime is earlier than now", "20000400455")
        for name, code in (("SendersPhone", "20000300444"), ("RecipientsPhone", "20000300434")):
            if not _PHONE.match(str(props[name])):
                refuse(f"{name} invalid format", code)
        weight = self._number(props, "Weight", "20000200373")
        if weight < 0.1:
            refuse("Weight is invalid", "20000200373")
        self._number(props, "Cost", "20000200118")
        self._validate_sender(props, refuse)
        if by_text:
            self._validate_by_text(props, refuse)
        else:
            if props["CityRecipient"] not in self.directory["city_by_ref"]:
                refuse("CityRecipient not found", "20000200103")
        if errors:
            raise _NpRefusal(errors, codes)
        self._validate_postomat(props, weight)
        self._validate_cod(props)

    def _validate_sender(self, props, refuse):
        if props["Sender"] != self.sender["Ref"]:
            refuse("Sender not found", "20000300000")
        if props.get("ContactSender") not in {c["Ref"] for c in self.sender_contacts}:
            refuse("ContactSender not found", "20000300000")

    def _validate_by_text(self, props, refuse):
        name = str(props.get("RecipientName") or "")
        if not name or not _CYR.match(name):
            refuse("RecipientName has invalid characters", "20000200001")
        city = str(props.get("RecipientCityName") or "")
        cities = [c for c in self.directory["cities"] if c["Description"] == city]
        if not cities:
            refuse("RecipientCityName not found", "20000200103")
            return
        if not str(props.get("ServiceType", "")).endswith("Doors"):
            number = str(props.get("RecipientAddressName") or "")
            branches = [w for w in self.directory["wh_by_city"].get(cities[0]["Ref"], [])
                        if w["Number"] == number]
            if not branches:
                refuse("RecipientAddress not found", "20000200268")

    def _recipient_warehouse(self, props):
        if str(props.get("NewAddress") or "") == "1":
            city = next((c for c in self.directory["cities"]
                         if c["Description"] == props.get("RecipientCityName")), None)
            if city is None:
                return None
            return next((w for w in self.directory["wh_by_city"].get(city["Ref"], [])
                         if w["Number"] == str(props.get("RecipientAddressName"))), None)
        return self.directory["wh_by_ref"].get(props.get("RecipientAddress"))

    def _validate_postomat(self, props, weight):
        warehouse = self._recipient_warehouse(props)
        if warehouse is None or warehouse["TypeOfWarehouse"] != TYPE_POSTOMAT:
            return
        seats = props.get("OptionsSeat")
        if not isinstance(seats, list) or not seats:
            raise _NpRefusal(["OptionsSeat is empty"], ["20000200226"])
        limit = float(warehouse["PlaceMaxWeightAllowed"])
        dims = warehouse["ReceivingLimitationsOnDimensions"]
        for seat in seats:
            seat = seat if isinstance(seat, dict) else {}
            if float(seat.get("weight") or weight) > limit:
                raise _NpRefusal([f"Weight is too high for this postomat (max {limit:g})"],
                                 ["20000200380"])
            for key, name, code in (("volumetricHeight", "Height", "20000200181"),
                                    ("volumetricLength", "Length", "20000200212"),
                                    ("volumetricWidth", "Width", "20000200389")):
                if float(seat.get(key) or 0) > float(dims[name]):
                    raise _NpRefusal([f"{name} too high for PostomatNP"], [code])
        if float(props.get("Cost") or 0) > float(warehouse["MaxDeclaredCost"] or 10**9):
            raise _NpRefusal(["Cost is too high"], ["20000200119"])

    def _validate_cod(self, props):
        if props.get("AfterpaymentOnGoodsCost") not in (None, "", "0"):
            if not self.options["CanAfterpaymentOnGoodsCost"]:
                raise _NpRefusal(["AfterpaymentOnGoodsCost unavailable"], ["20000200035"])
            try:
                float(props["AfterpaymentOnGoodsCost"])
            except (TypeError, ValueError):
                raise _NpRefusal(["AfterpaymentOnGoodsCost is invalid"],
                                 ["20000200035"]) from None
        backward = props.get("BackwardDeliveryData")
        if backward:
            if not isinstance(backward, list):
                raise _NpRefusal(["BackwardDeliveryData must be array"], ["20000200083"])
            for entry in backward:
                if not isinstance(entry, dict) or entry.get("CargoType") != "Money":
                    raise _NpRefusal(["CargoType must be Money"], ["20000200083"])
                if entry.get("PayerType") not in ("Sender", "Recipient"):
                    raise _NpRefusal(["Backward delivery payer type incorrect"],
                                     ["20000200085"])
            if not self.options["CanMoneyTransfer"]:
                raise _NpRefusal(["Післяплата недоступна"], ["20000204637"])

    def np_InternetDocument_save(self, props):  # noqa: N802
        self._validate_save(props)
        self.counter += 1
        number = str(self.counter)
        ref = _uuid(self.seed, "doc", number, len(self.documents))
        warehouse = self._recipient_warehouse(props)
        city = self.directory["city_by_ref"].get(props.get("CityRecipient"))
        cod = str(props.get("AfterpaymentOnGoodsCost") or "")
        redelivery = ""
        if props.get("BackwardDeliveryData"):
            redelivery = str(props["BackwardDeliveryData"][0].get("RedeliveryString") or "")
        weight = float(props["Weight"])
        cost = round(70 + max(0.0, weight - 2) * 8, 2)
        document = {
            "Ref": ref, "IntDocNumber": number, "Number": number,
            "DateTime": props["DateTime"], "CreatedAt": dt.datetime.now().isoformat(),
            "InfoRegClientBarcodes": str(props.get("InfoRegClientBarcodes") or ""),
            "CostOnSite": cost, "Cost": str(props["Cost"]),
            "EstimatedDeliveryDate": (dt.date.today() + dt.timedelta(days=2)).strftime(
                "%d.%m.%Y"),
            "PayerType": props["PayerType"], "PaymentMethod": props["PaymentMethod"],
            "AfterpaymentOnGoodsCost": cod, "RedeliverySum": redelivery,
            "RecipientsPhone": props["RecipientsPhone"], "Weight": props["Weight"],
            "ServiceType": props["ServiceType"],
            "CityRecipient": (city or {}).get("Description") or props.get("RecipientCityName"),
            "WarehouseRecipient": (warehouse or {}).get("Description", ""),
            "WarehouseRecipientRef": (warehouse or {}).get("Ref", ""),
            "StateId": "1", "StateName": STATUS_TEXTS["1"],
            "script": "delivered", "step": 0, "registry": "", "returned_on": "",
            "props": props,
        }
        self.documents[number] = document
        self.refs[ref] = number
        warnings = []
        if not props.get("OptionsSeat") and not props.get("VolumeGeneral"):
            warnings.append("VolumeGeneral is empty, minimal value is used")
        return self.envelope([{
            "Ref": ref, "CostOnSite": cost,
            "EstimatedDeliveryDate": document["EstimatedDeliveryDate"],
            "IntDocNumber": number, "TypeDocument": "InternetDocument",
        }], warnings=warnings)

    def _document_by_ref(self, ref):
        number = self.refs.get(ref)
        document = self.documents.get(number) if number else None
        if document is None or document["StateId"] == "2":
            raise _NpRefusal(["Document not found"], ["20000300415"])
        return document

    def np_InternetDocument_update(self, props):  # noqa: N802
        document = self._document_by_ref(str(props.get("Ref") or ""))
        if document["StateId"] != "1":
            raise _NpRefusal(["Document can not be changed"], ["20000200154"])
        self._validate_save(props)
        document["props"] = props
        document["Weight"] = props["Weight"]
        document["RecipientsPhone"] = props["RecipientsPhone"]
        return self.envelope([{
            "Ref": document["Ref"], "CostOnSite": document["CostOnSite"],
            "EstimatedDeliveryDate": document["EstimatedDeliveryDate"],
            "IntDocNumber": document["IntDocNumber"], "TypeDocument": "InternetDocument",
        }])

    def np_InternetDocument_delete(self, props):  # noqa: N802
        refs = props.get("DocumentRefs")
        refs = refs if isinstance(refs, list) else [refs]
        answered = []
        for ref in refs:
            document = self._document_by_ref(str(ref or ""))
            if document["registry"]:
                raise _NpRefusal(["Document in registry"], ["20000200153"])
            if document["StateId"] != "1":
                raise _NpRefusal(["Document can not be deleted"], ["20000200154"])
            document["StateId"] = "2"
            document["StateName"] = STATUS_TEXTS["2"]
            answered.append({"Ref": document["Ref"]})
        return self.envelope(answered)

    def np_InternetDocument_getDocumentList(self, props):  # noqa: N802
        try:
            start = self._date(props.get("DateTimeFrom") or props.get("DateTime"))
            end = self._date(props.get("DateTimeTo") or props.get("DateTime"))
        except _NpRefusal:
            raise _NpRefusal(["DateTime invalid format"], ["20000400456"]) from None
        items = []
        for document in self.documents.values():
            created = dt.datetime.fromisoformat(document["CreatedAt"]).date()
            if start <= created <= end and document["StateId"] != "2":
                items.append({k: v for k, v in document.items()
                              if k not in ("props", "script", "step", "registry",
                                           "returned_on")})
        return self.envelope(items[:500] if props.get("GetFullList") == "1"
                             else self._page(items, props, 100), total=len(items))

    # -- tracking -------------------------------------------------------------------------

    def np_TrackingDocument_getStatusDocuments(self, props):  # noqa: N802
        documents = props.get("Documents")
        if not isinstance(documents, list) or not documents:
            raise _NpRefusal(["Documents is empty"], ["20000400000"])
        if len(documents) > 100:
            raise _NpRefusal(["Documents: more than 100 documents"], ["20000400001"])
        data, warnings = [], []
        for entry in documents:
            number = str((entry or {}).get("DocumentNumber") or "") if isinstance(
                entry, dict) else ""
            document = self.documents.get(number)
            if document is None:
                warnings.append(f"Invalid DocumentNumber: {number}")
                data.append({"Number": number, "StatusCode": "3",
                             "Status": STATUS_TEXTS["3"]})
                continue
            data.append(self._tracking_item(document, str(entry.get("Phone") or "")))
        return self.envelope(data, warnings=warnings)

    def _tracking_item(self, document, phone):
        code = document["StateId"]
        item = {
            "Number": document["IntDocNumber"], "RefEW": document["Ref"], "StatusCode": code,
            "Status": document["StateName"], "CityRecipient": document["CityRecipient"],
            "WarehouseRecipient": document["WarehouseRecipient"],
            "WarehouseRecipientRef": document["WarehouseRecipientRef"],
            "DocumentWeight": document["Weight"], "DocumentCost": document["CostOnSite"],
            "AnnouncedPrice": document["Cost"], "PayerType": document["PayerType"],
            "ClientBarcode": document["InfoRegClientBarcodes"],
            "DateCreated": dt.datetime.strptime(document["DateTime"], "%d.%m.%Y").strftime(
                "%d-%m-%Y %H:%M:%S"),
            "ScheduledDeliveryDate": dt.datetime.strptime(
                document["EstimatedDeliveryDate"], "%d.%m.%Y").strftime("%d-%m-%Y 09:00:00"),
            "TrackingUpdateDate": document.get("updated", ""),
            "AfterpaymentOnGoodsCost": document["AfterpaymentOnGoodsCost"],
            "RedeliverySum": document["RedeliverySum"],
            "Redelivery": 1 if document["RedeliverySum"] else 0,
            "DateReturnCargo": document["returned_on"],
        }
        if code in ("9", "10", "11"):
            item["RecipientDateTime"] = document.get("received", "")
        if code in ("10", "11") and document["RedeliverySum"]:
            # the money transfer's fee, as NP's tariff takes it (20 UAH + 2 %)
            amount = float(document["RedeliverySum"])
            item["LastAmountTransferGM"] = amount
            item["LastAmountReceivedCommissionGM"] = round(20 + amount * 0.02, 2)
        if phone and phone == document["RecipientsPhone"]:
            item["PhoneRecipient"] = phone
            item["RecipientFullName"] = document["props"].get("RecipientName", "")
        return item

    def advance(self, number, steps=1, script=None):
        """Move a waybill along its script (tests; ``POST /_sandbox/np/advance``)."""
        with self.lock:
            document = self.documents[str(number)]
            if script:
                document["script"] = script
            codes = SCRIPTS[document["script"]]
            if document["script"] == "delivered" and document["RedeliverySum"]:
                codes = [*codes, "10", "11"]
            for _step in range(steps):
                if document["StateId"] == "2" or document["step"] + 1 >= len(codes):
                    break
                document["step"] += 1
                code = codes[document["step"]]
                now = dt.datetime.now().strftime("%d-%m-%Y %H:%M:%S")
                document["updated"] = now
                if code == "returned":
                    document["returned_on"] = now
                    continue
                if code == "9":
                    document["received"] = now
                document["StateId"] = code
                document["StateName"] = STATUS_TEXTS.get(code, code)
            return {"number": document["IntDocNumber"], "code": document["StateId"],
                    "returned": bool(document["returned_on"])}

    def set_status(self, number, code):
        with self.lock:
            document = self.documents[str(number)]
            document["StateId"] = str(code)
            document["StateName"] = STATUS_TEXTS.get(str(code), str(code))

    def add_document(self, **values):
        """A waybill made elsewhere (the cabinet), for tests and benchmarks."""
        with self.lock:
            self.counter += 1
            number = str(self.counter)
            ref = _uuid(self.seed, "doc", number, len(self.documents))
            document = {
                "Ref": ref, "IntDocNumber": number, "Number": number,
                "DateTime": dt.date.today().strftime("%d.%m.%Y"),
                "CreatedAt": dt.datetime.now().isoformat(), "InfoRegClientBarcodes": "",
                "CostOnSite": 70, "Cost": "500",
                "EstimatedDeliveryDate": dt.date.today().strftime("%d.%m.%Y"),
                "PayerType": "Recipient", "PaymentMethod": "Cash",
                "AfterpaymentOnGoodsCost": "", "RedeliverySum": "",
                "RecipientsPhone": "380671234567", "Weight": "1", "ServiceType":
                "WarehouseWarehouse", "CityRecipient": "Київ", "WarehouseRecipient": "",
                "WarehouseRecipientRef": "", "StateId": "1", "StateName": STATUS_TEXTS["1"],
                "script": "delivered", "step": 0, "registry": "", "returned_on": "",
                "props": {},
            }
            document.update(values)
            self.documents[number] = document
            self.refs[ref] = number
            return document

    # -- scan sheets ----------------------------------------------------------------------

    def np_ScanSheet_insertDocuments(self, props):  # noqa: N802
        refs = props.get("DocumentRefs")
        if not isinstance(refs, list) or not refs:
            raise _NpRefusal(["DocumentRefs is empty"], ["20000400000"])
        sheet_ref = str(props.get("Ref") or "")
        if sheet_ref:
            sheet = self.scan_sheets.get(sheet_ref)
            if sheet is None:
                raise _NpRefusal(["ScanSheet not found"], ["20000300000"])
            if sheet["Printed"] == "1":
                raise _NpRefusal(["ScanSheet is printed"], ["20000200154"])
        else:
            self.sheet_counter += 1
            sheet_ref = _uuid(self.seed, "sheet", self.sheet_counter)
            sheet = {"Ref": sheet_ref, "Number": f"105-{self.sheet_counter:08d}",
                     "DateTime": dt.datetime.now().strftime("%d.%m.%Y %H:%M:%S"),
                     "Count": 0, "Printed": "0", "documents": []}
            self.scan_sheets[sheet_ref] = sheet
        success, errors = [], []
        for ref in refs:
            number = self.refs.get(str(ref))
            document = self.documents.get(number) if number else None
            if document is None or document["StateId"] == "2":
                errors.append({"Ref": ref, "Number": "", "Error": "Document not found"})
            elif document["registry"] and document["registry"] != sheet_ref:
                errors.append({"Ref": ref, "Number": number, "Error": "Document in registry"})
            else:
                document["registry"] = sheet_ref
                if number not in sheet["documents"]:
                    sheet["documents"].append(number)
                success.append({"Ref": ref, "Number": number})
        sheet["Count"] = len(sheet["documents"])
        return self.envelope([{"Ref": sheet_ref, "Number": sheet["Number"],
                               "Date": sheet["DateTime"], "Errors": errors, "Warnings": [],
                               "Success": success, "Data": []}])

    def _sheet_item(self, sheet):
        return {k: v for k, v in sheet.items() if k != "documents"}

    def np_ScanSheet_getScanSheet(self, props):  # noqa: N802
        sheet = self.scan_sheets.get(str(props.get("Ref") or ""))
        if sheet is None:
            raise _NpRefusal(["ScanSheet not found"], ["20000300000"])
        return self.envelope([self._sheet_item(sheet)])

    def np_ScanSheet_getScanSheetList(self, props):  # noqa: N802
        return self.envelope([self._sheet_item(s) for s in self.scan_sheets.values()])

    def np_ScanSheet_removeDocuments(self, props):  # noqa: N802
        answered = []
        for ref in props.get("DocumentRefs") or ():
            number = self.refs.get(str(ref))
            document = self.documents.get(number) if number else None
            if document and document["registry"]:
                sheet = self.scan_sheets.get(document["registry"])
                if sheet and number in sheet["documents"]:
                    sheet["documents"].remove(number)
                    sheet["Count"] = len(sheet["documents"])
                document["registry"] = ""
                answered.append({"Ref": ref, "Number": number})
        return self.envelope(answered)

    def np_ScanSheet_deleteScanSheet(self, props):  # noqa: N802
        answered = []
        for ref in props.get("ScanSheetRefs") or ():
            sheet = self.scan_sheets.pop(str(ref), None)
            if sheet is None:
                continue
            for number in sheet["documents"]:
                self.documents[number]["registry"] = ""
            answered.append({"Ref": ref, "Number": sheet["Number"]})
        return self.envelope(answered)

    # -- print links ----------------------------------------------------------------------

    _PRINT = re.compile(
        r"^/orders/(?P<kind>printDocument|printMarkings|printMarking85x85|printMarking100x100)"
        r"/orders(?:\[\])?/(?P<ids>[^/]+)/type/(?P<type>[^/]+)(?P<rest>/.*)?$")

    @route("GET", "/orders/{rest:path}")
    def print_orders(self, req):
        match = self._PRINT.match(req.path)
        key = re.search(r"/apiKey/([^/]+)", req.path)
        if not match or not key:
            return self.not_found_reply(req)
        if key.group(1) != self.api_key:
            return html_reply("<html><body>Доступ заборонено</body></html>", status=403)
        if match.group("type") not in ("pdf", "pdf8", "html"):
            return html_reply("<html><body>Type should be html or pdf</body></html>")
        idents = match.group("ids").split(",")
        if len(idents) > 1 and "/orders[]/" in req.path:  # many: "orders/{a,b}", no "[]"
            return self.not_found_reply(req)
        numbers = []
        with self.lock:
            for ident in idents:
                number = ident if ident in self.documents else self.refs.get(ident)
                if number is None or self.documents[number]["StateId"] == "2":
                    return self.not_found_reply(req)
                numbers.append(number)
        size = {"printMarking85x85": (85, 85), "printMarking100x100": (100, 100)}.get(
            match.group("kind"), (210, 297))
        lines = [f"Nova Poshta {match.group('kind')}"] + [f"TTN {n}" for n in numbers]
        return Reply(body=make_pdf(lines, *size), content_type="application/pdf")

    @route("GET", "/scanSheet/{rest:path}")
    def print_scan_sheet(self, req):
        match = re.match(r"^/scanSheet/printScanSheet/(?:refs|scanSheetRefs)(?:\[\])?/"
                         r"(?P<ref>[^/]+)/type/pdf/apiKey/(?P<key>[^/]+)$", req.path)
        if not match:
            return self.not_found_reply(req)
        if match.group("key") != self.api_key:
            return html_reply("<html><body>Доступ заборонено</body></html>", status=403)
        with self.lock:
            sheet = self.scan_sheets.get(match.group("ref"))
            if sheet is None:
                return self.not_found_reply(req)
            sheet["Printed"] = "1"
            lines = [f"Scan sheet {sheet['Number']}", f"{sheet['Count']} documents"]
            lines += [f"TTN {n}" for n in sheet["documents"]]
        return Reply(body=make_pdf(lines), content_type="application/pdf")

    # -- return orders (AdditionalServiceGeneral; "General" is cut by the router) ---------

    def _returnable(self, number):
        """The document a return may be ordered for, or NP's refusal."""
        document = self.documents.get(str(number or ""))
        if document is None or document["StateId"] == "2":
            raise _NpRefusal(["Document not found"], ["20000300415"])
        if document["StateId"] not in RETURN_POSSIBLE_STATES:
            raise _NpRefusal(["Повернення неможливе: відправлення ще не прибуло до "
                              "одержувача"], [RETURN_NOT_POSSIBLE])
        since = document.get("received") or document.get("updated") or ""
        try:
            since = dt.datetime.strptime(since, "%d-%m-%Y %H:%M:%S")
        except ValueError:
            since = dt.datetime.fromisoformat(document["CreatedAt"])
        if dt.datetime.now() - since > dt.timedelta(days=self.storage_days):
            raise _NpRefusal(["Повернення неможливе: минув термін зберігання"],
                             [RETURN_NOT_POSSIBLE])
        if any(o["DocumentNumber"] == document["IntDocNumber"]
               for o in self.return_orders.values()):
            raise _NpRefusal(["Заявку на повернення вже створено"], [RETURN_NOT_POSSIBLE])
        return document

    def _return_address(self):
        branch = self.directory["wh_by_city"][self.sender["City"]][0]
        return {
            "NonCash": True, "City": self.directory["city_by_ref"][self.sender["City"]][
                "Description"],
            "Counterparty": self.sender["Description"],
            "ContactPerson": self.sender_contact["Description"],
            "Address": branch["Description"], "Phone": self.sender_contact["Phones"],
            "Ref": branch["Ref"],
        }

    def np_AdditionalService_CheckPossibilityCreateReturn(self, props):  # noqa: N802
        self._returnable(props.get("Number"))
        return self.envelope([self._return_address()])

    def np_AdditionalService_getReturnReasons(self, props):  # noqa: N802
        return self.envelope([{"Ref": ref, "Description": name}
                              for ref, (name, _subs) in RETURN_REASONS.items()])

    def np_AdditionalService_getReturnReasonsSubtypes(self, props):  # noqa: N802
        reason = RETURN_REASONS.get(str(props.get("ReasonRef") or ""))
        if reason is None:
            raise _NpRefusal(["ReasonRef is invalid"], ["20000900747"])
        return self.envelope([{"Ref": ref, "Description": name,
                               "ReasonRef": props["ReasonRef"]}
                              for ref, name in reason[1].items()])

    def np_AdditionalService_save(self, props):  # noqa: N802
        if props.get("OrderType") != "orderCargoReturn":
            raise _NpRefusal(["OrderType is invalid"], ["20000900748"])
        self._require(props, ("IntDocNumber", "PaymentMethod", "Reason", "SubtypeReason"))
        if props["PaymentMethod"] not in ("Cash", "NonCash"):
            raise _NpRefusal(["PaymentMethod is invalid"], ["20000900749"])
        reason = RETURN_REASONS.get(str(props["Reason"]))
        if reason is None or str(props["SubtypeReason"]) not in reason[1]:
            raise _NpRefusal(["Reason or SubtypeReason is invalid"], ["20000900747"])
        document = self._returnable(props["IntDocNumber"])
        address = self._return_address()
        if props.get("ReturnAddressRef"):
            if props["ReturnAddressRef"] != address["Ref"]:
                raise _NpRefusal(["ReturnAddressRef is invalid"], ["20000900750"])
            warehouse = self.directory["wh_by_ref"].get(address["Ref"])
        elif props.get("RecipientWarehouse"):
            warehouse = self.directory["wh_by_ref"].get(props["RecipientWarehouse"])
            if warehouse is None:
                raise _NpRefusal(["RecipientWarehouse is invalid"], ["20000900750"])
        else:
            raise _NpRefusal(["Return address is empty"], ["20000900750"])
        self.return_counter += 1
        number = f"102-{self.return_counter:08d}"
        ref = _uuid(self.seed, "return", number)
        order = {
            "OrderRef": ref, "OrderNumber": number, "OrderStatus": RETURN_ACCEPTED,
            "DocumentNumber": document["IntDocNumber"],
            "CounterpartyRecipient": self.sender["Description"],
            "ContactPersonRecipient": self.sender_contact["Description"],
            "AddressRecipient": (warehouse or {}).get("Description") or address["Address"],
            "DeliveryCost": "", "EstimatedDeliveryDate": "", "ExpressWaybillNumber": "",
            "ExpressWaybillStatus": "", "Reason": props["Reason"],
            "SubtypeReason": props["SubtypeReason"], "Note": str(props.get("Note") or ""),
            "PaymentMethod": props["PaymentMethod"], "CreatedAt": dt.datetime.now().isoformat(),
            "previous_state": document["StateId"],
        }
        self.return_orders[ref] = order
        answer = {"Number": number, "Ref": ref}
        if document["StateId"] in RETURN_AT_BRANCH_STATES:
            self._assign_return_waybill(order)
            answer["ExpressWaybillNumber"] = order["ExpressWaybillNumber"]
        return self.envelope([answer])

    def _assign_return_waybill(self, order):
        original = self.documents[order["DocumentNumber"]]
        waybill = self.add_document(
            CityRecipient="Київ", WarehouseRecipient=order["AddressRecipient"],
            PayerType="Sender", Cost=original["Cost"], Weight=original["Weight"])
        order["ExpressWaybillNumber"] = waybill["IntDocNumber"]
        order["ExpressWaybillStatus"] = waybill["StateName"]
        order["DeliveryCost"] = str(waybill["CostOnSite"])
        order["EstimatedDeliveryDate"] = waybill["EstimatedDeliveryDate"]
        order["OrderStatus"] = "В обробці"
        original["StateId"] = "102"
        original["StateName"] = STATUS_TEXTS["102"]
        return waybill

    def assign_return_waybill(self, order_number):
        """The buyer brought the parcel back: NP makes the return waybill (tests)."""
        with self.lock:
            order = next(o for o in self.return_orders.values()
                         if o["OrderNumber"] == order_number)
            return self._assign_return_waybill(order)["IntDocNumber"]

    def np_AdditionalService_getReturnOrdersList(self, props):  # noqa: N802
        items = list(self.return_orders.values())
        if props.get("Number"):
            items = [o for o in items if o["OrderNumber"] == props["Number"]]
        if props.get("Ref"):
            items = [o for o in items if o["OrderRef"] == props["Ref"]]
        try:
            start = self._date(props["BeginDate"]) if props.get("BeginDate") else None
            end = self._date(props["EndDate"]) if props.get("EndDate") else None
        except _NpRefusal:
            raise _NpRefusal(["BeginDate or EndDate invalid format"], ["20000400456"]) from None
        shown = []
        for order in items:
            created = dt.datetime.fromisoformat(order["CreatedAt"]).date()
            if (start and created < start) or (end and created > end):
                continue
            shown.append({k: v for k, v in order.items()
                          if k not in ("CreatedAt", "previous_state", "Reason",
                                       "SubtypeReason", "Note", "PaymentMethod")})
        return self.envelope(self._page(shown, props, 100), total=len(shown))

    def np_AdditionalService_delete(self, props):  # noqa: N802
        order = self.return_orders.get(str(props.get("Ref") or ""))
        if order is None:
            raise _NpRefusal(["Order not found"], ["20000900751"])
        if order["OrderStatus"] != RETURN_ACCEPTED:
            raise _NpRefusal(["Заявку можна видалити лише у статусі «Прийняте»"],
                             ["20000900752"])
        del self.return_orders[order["OrderRef"]]
        return self.envelope([{"Ref": order["OrderRef"]}])

    # -- control --------------------------------------------------------------------------

    def control_routes(self):
        return super().control_routes() + [
            ("POST", "/_sandbox/np/advance", self._ctl_advance),
            ("POST", "/_sandbox/np/documents", self._ctl_add_documents),
        ]

    def _ctl_advance(self, req):
        payload = req.json()
        if not isinstance(payload, dict) or "number" not in payload:
            raise HttpError(400, {"error": "give a number"})
        if str(payload["number"]) not in self.documents:
            raise HttpError(404, {"error": "unknown number"})
        script = payload.get("script")
        if script is not None and script not in SCRIPTS:
            raise HttpError(400, {"error": f"script is one of {sorted(SCRIPTS)}"})
        return self.advance(payload["number"], int(payload.get("steps") or 1), script)

    def _ctl_add_documents(self, req):
        payload = req.json()
        count = int(payload.get("count") or 1) if isinstance(payload, dict) else 1
        made = [self.add_document()["IntDocNumber"] for _i in range(min(count, 100000))]
        return {"numbers": made}


class _NpRefusal(Exception):
    def __init__(self, errors, codes):
        super().__init__("; ".join(errors))
        self.errors = list(errors)
        self.codes = list(codes)
