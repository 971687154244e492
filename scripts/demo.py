"""The demo: omni on simulators, with buyers, in one command (see scripts/demo.sh).

1. starts the simulators (Rozetka, Prom, own shop, Nova Poshta, Checkbox) in
   this process, on fixed loopback ports;
2. builds the database (every addon under addons/ with a manifest, the
   Ukrainian chart of accounts, interface in Ukrainian), or reuses it, or
   rebuilds it with ``--reset``; loads the demo data (scripts/demo_data.py,
   idempotent) and lists the same products on the simulators;
3. starts Odoo with the queue_job runner (its own process group);
4. lets buyers order every 20-40 s until Ctrl-C, which stops everything.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import demo_data  # noqa: E402 - beside this file

CHANNELS = ("root:4,root.omni_stock:3,root.omni_price:1,root.omni_orders:1,root.omni_poll:1,"
            "root.omni_catalog:1,root.omni_np:1,root.omni_fiscal:1")
SIMULATORS = ("rozetka", "prom", "shop", "novaposhta", "checkbox")
DEFAULT_PORTS = {"rozetka": 8171, "prom": 8172, "shop": 8173, "novaposhta": 8174,
                 "checkbox": 8175}


def say(text=""):
    print(text, flush=True)


def python():
    return os.environ.get("PYTHON") or sys.executable


def demo_addons():
    """Every addon folder under addons/ that has a manifest, and the Ukrainian chart."""
    names = sorted(p.parent.name for p in (ROOT / "addons").glob("*/__manifest__.py"))
    return ["l10n_ua", *names]


# ------------------------------------------------------------------ database
def psql(sql, db="postgres"):
    out = subprocess.run(["psql", "-d", db, "-Atc", sql], capture_output=True, text=True,
                         check=False)
    return out.stdout.strip()


def db_exists(db):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def installed_modules(db):
    rows = psql("SELECT name FROM ir_module_module WHERE state = 'installed'", db)
    return set(rows.split())


class Children:
    """Child processes, each in its own process group, stopped by group id."""

    def __init__(self):
        self.procs = []

    def run(self, cmd, log_path, *, wait=True, env=None):
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env=env)
        self.procs.append(proc)
        if wait:
            try:
                proc.wait()
            finally:
                self.procs.remove(proc)
        return proc

    def stop(self, timeout=20):
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # whatever is left of the group (workers, the gevent process)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.procs = []


def drop_db(db):
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=False)
    from odoo.tools import config

    filestore = Path(config["data_dir"]) / "filestore" / db
    shutil.rmtree(filestore, ignore_errors=True)


def install(db, modules, children, logdir, update=False):
    log_path = logdir / "install.log"
    proc = children.run(
        [python(), "-m", "odoo", "-d", db, f"--addons-path={demo_data.addons_path()}",
         "-u" if update else "-i", ",".join(modules), "--without-demo=all",
         "--load-language=uk_UA", "--stop-after-init", "--log-level=warn"], log_path)
    if proc.returncode:
        raise SystemExit(f"Installing the addons failed (exit {proc.returncode}); "
                         f"see {log_path}:\n{log_path.read_text(errors='replace')[-3000:]}")


def build_db(db, children, logdir, urls):
    """Create the database, or install the addons it lacks (an addon landed since)."""
    wanted = demo_addons()
    if db_exists(db):
        installed = installed_modules(db)
        missing = [name for name in wanted if name not in installed]
        present = [name for name in wanted if name in installed and name.startswith("omni_")]
        # the checkout may be newer than the database: its addons are updated (their
        # migrations run), so a reused database always matches the code
        say(f"Database {db}: reusing it, updating the addons to this checkout "
            "(--reset rebuilds it)...")
        install(db, present, children, logdir, update=True)
        if missing:
            say(f"Database {db}: installing {', '.join(missing)}...")
            install(db, missing, children, logdir)
        return
    say(f"Database {db}: creating it with {', '.join(wanted)} (a few minutes)...")
    # the Ukrainian chart first: it replaces the generic one, journals included, which
    # is possible only before the addons that refer to the journals are installed
    install(db, ["l10n_ua"], children, logdir)
    load_data(db, urls, logdir, "--chart-only")
    install(db, wanted[1:], children, logdir)


def load_data(db, urls, logdir, *options):
    out = subprocess.run(
        [python(), str(ROOT / "scripts" / "demo_data.py"), "--db", db,
         "--urls", json.dumps(urls), *options],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, start_new_session=True,
        check=False)
    with open(logdir / "data.log", "a", encoding="utf-8") as log:
        log.write(out.stderr)
    if out.returncode:
        raise SystemExit(f"Loading the demo data failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- simulators
def make_simulators(ports, np_cities, np_warehouses):
    from omni_sandbox.checkbox import CheckboxSimulator
    from omni_sandbox.novaposhta import NovaPoshtaSimulator
    from omni_sandbox.prom import PromSimulator
    from omni_sandbox.rozetka import RozetkaSimulator
    from omni_sandbox.shop import ShopSimulator

    host = "127.0.0.1"
    return {
        "rozetka": RozetkaSimulator(host=host, port=ports["rozetka"],
                                    username=demo_data.ROZETKA_LOGIN,
                                    password=demo_data.ROZETKA_PASSWORD),
        "prom": PromSimulator(host=host, port=ports["prom"], token=demo_data.PROM_TOKEN),
        "shop": ShopSimulator(host=host, port=ports["shop"], secret=demo_data.SHOP_SECRET),
        "novaposhta": NovaPoshtaSimulator(host=host, port=ports["novaposhta"],
                                          api_key=demo_data.NP_KEY, cities=np_cities,
                                          warehouses=np_warehouses),
        "checkbox": CheckboxSimulator(
            host=host, port=ports["checkbox"],
            cashiers={demo_data.CHECKBOX["login"]: {
                "password": demo_data.CHECKBOX["password"], "pin": demo_data.CHECKBOX["pin"],
                "license_key": demo_data.CHECKBOX["license_key"], "name": "Касир Демо"}},
            shift_delay=0.5, receipt_delay=1.0),
    }


def continue_counters(sims, counters):
    """Carry on numbering after what Odoo has from earlier runs (the simulators keep
    nothing between runs): order ids, TTNs and fiscal numbers are never reused."""
    import itertools

    rozetka, prom = sims["rozetka"], sims["prom"]
    with rozetka.lock:
        rozetka.next_order_id = max(rozetka.next_order_id, counters["rozetka"] + 1)
    with prom.lock:
        first = next(prom._order_ids)
        prom._order_ids = itertools.count(max(first, counters["prom"] + 1))
    with sims["novaposhta"].lock:
        sims["novaposhta"].counter = max(sims["novaposhta"].counter, counters["ttn"])
    with sims["checkbox"].lock:
        sims["checkbox"]._fiscal = itertools.count(counters["fiscal"] + 1)


def seed_offers(sims, offers):
    """List the products on the marketplaces as Odoo has them (same keys as the bindings)."""
    for offer in offers:
        sims["rozetka"].add_item(offer["sku"], offer["name"], quantity=offer["quantity"],
                                 price=offer["price"], barcode=offer["barcode"],
                                 rz_item_id=offer["rozetka_item_id"])
        sims["prom"].add_product(offer["sku"], name=offer["name"], quantity=offer["quantity"],
                                 price=offer["price"], gtin=offer["barcode"])


# --------------------------------------------------------------------- Odoo
def write_odoo_files(db, port, gevent_port, workers, tmpdir):
    conf = tmpdir / "odoo.conf"
    conf.write_text(f"""[options]
addons_path = {demo_data.addons_path()}
db_name = {db}
dbfilter = ^{db}$
list_db = False
http_interface = 127.0.0.1
http_port = {port}
gevent_port = {gevent_port}
workers = {workers}
max_cron_threads = 1
server_wide_modules = web,queue_job
without_demo = all
log_level = warn
limit_time_cpu = 600
limit_time_real = 1200

[queue_job]
channels = {CHANNELS}
""", encoding="utf-8")
    # what odoo-bin does (with workers, Odoo respawns its gevent process as
    # ``python sys.argv[0] gevent``, which ``python -m odoo`` cannot serve)
    launcher = tmpdir / "odoo-server"
    launcher.write_text('import os\nos.environ["TZ"] = "UTC"\nimport odoo\n\n'
                        'if __name__ == "__main__":\n    odoo.cli.main()\n', encoding="utf-8")
    return conf, launcher


def wait_http(url, proc, log_path, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"Odoo stopped (exit {proc.returncode}); see {log_path}:\n"
                             f"{log_path.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        time.sleep(0.5)
    raise SystemExit(f"Odoo did not answer at {url} within {timeout} s; see {log_path}")


def banner(args, sims, data, logdir):
    np_url, prom_url = sims["novaposhta"].url, sims["prom"].url
    if args.no_buyers:
        buyers = "buyers are off (--no-buyers): order yourself, below"
    else:
        low, high = args.buyer_interval
        buyers = f"buyers order every {low:g}-{high:g} s on Rozetka, Prom.ua and the own shop"
    advance = json.dumps({"number": "<TTN>", "steps": 9, "script": "delivered"})
    order = json.dumps({"customer": {"name": "Іван Петренко", "phone": "+380671234567"},
                        "lines": [{"key": "DEMO-001", "quantity": 1}]}, ensure_ascii=False)
    report = ("Omnichannel > Analytics > Profit and Loss" if "omni_analytics" in demo_addons()
              else "(the analytics addon is not in addons/)")
    say(f"""
==========================================================================
 omni demo is running: {args.url}
   log in as  admin / admin   (company {data['company']}, interface in Ukrainian)

 Simulators (sandbox mode, loopback only):
   Rozetka {sims['rozetka'].url}   Prom.ua {prom_url}   own shop {sims['shop'].url}
   Nova Poshta {np_url}   Checkbox {sims['checkbox'].url}
   state of any of them: curl -s <url>/_sandbox/state

 What to try:
   - {buyers};
     Sales > Orders shows them confirmed; the other channels show less stock
     (curl -s {prom_url}/_sandbox/state).
   - Open an order's delivery and Validate: the Nova Poshta TTN and label come back.
   - Move a parcel to delivered (cash collected, then the Checkbox receipt):
       curl -s -X POST {np_url}/_sandbox/np/advance -d '{advance}'
   - The profit per channel and order (commission, delivery cost, margin):
     {report}
   - Order yourself on Prom.ua:
       curl -s -X POST {prom_url}/_sandbox/orders -d '{order}'

 Logs: {logdir}
 Stop: Ctrl-C (stops Odoo and the simulators).
==========================================================================
""")


# --------------------------------------------------------------------- main
def parse_args(argv):
    parser = argparse.ArgumentParser(prog="scripts/demo.sh", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("OMNI_DEMO_DB", "omni_demo"),
                        help="database (default: $OMNI_DEMO_DB or omni_demo)")
    parser.add_argument("--reset", action="store_true",
                        help="drop the database and build it again")
    parser.add_argument("--port", type=int, default=int(os.environ.get("OMNI_DEMO_PORT", 8069)),
                        help="Odoo's HTTP port (default 8069)")
    for name, port in DEFAULT_PORTS.items():
        parser.add_argument(f"--{name}-port", type=int, default=port,
                            help=f"the {name} simulator's port (default {port})")
    parser.add_argument("--gevent-port", type=int,
                        help="Odoo's long-polling (gevent) port (default: --port + 3, or the "
                        "next one the simulators do not use)")
    parser.add_argument("--no-buyers", action="store_true", help="no orders by themselves")
    parser.add_argument("--buyer-interval", type=float, nargs=2, default=(20, 40),
                        metavar=("MIN", "MAX"), help="seconds between two orders (20 40)")
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers (2)")
    parser.add_argument("--np-cities", type=int, default=60)
    parser.add_argument("--np-warehouses", type=int, default=600)
    parser.add_argument("--setup-only", action="store_true",
                        help="build the database and load the data, then stop")
    args = parser.parse_args(argv)
    args.url = f"http://127.0.0.1:{args.port}"
    sim_ports = [getattr(args, f"{n}_port") for n in SIMULATORS]
    if args.gevent_port is None:  # Odoo's habit (8072 beside 8069), away from the others
        args.gevent_port = args.port + 3
        while args.gevent_port in (args.port, *sim_ports):
            args.gevent_port += 1
    ports = [args.port, args.gevent_port, *sim_ports]
    if len(set(ports)) != len(ports):
        parser.error(f"the ports must differ: {ports}")
    return args


def check_ports_free(args):
    """Fail before starting anything when a port is taken (a demo still running?)."""
    taken = []
    for name in ("port", "gevent_port", *(f"{n}_port" for n in SIMULATORS)):
        with socket.socket() as sock:
            # as the servers bind: a port left in TIME_WAIT by the last run is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", getattr(args, name)))
            except OSError:
                taken.append(f"--{name.replace('_', '-')} {getattr(args, name)}")
    if taken:
        raise SystemExit(f"Port(s) already in use: {', '.join(taken)}. Is a demo still "
                         "running? Stop it, or choose other ports.")


def ask_reset(db):
    """Reuse by default; ask only on a terminal."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"Database {db} exists: [R]euse it or rebuild it from [s]cratch? [R/s] ")
    return answer.strip().lower().startswith("s")


def main(argv=None):
    args = parse_args(argv)
    os.environ["TZ"] = "UTC"
    time.tzset()
    logdir = Path(tempfile.mkdtemp(prefix=f"{args.db}-"))
    children = Children()
    sims = {}
    buyers = None
    stopping = threading.Event()
    status = 0

    def on_signal(signum, _frame):
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    check_ports_free(args)
    try:
        ports = {name: getattr(args, f"{name}_port") for name in SIMULATORS}
        sims = make_simulators(ports, args.np_cities, args.np_warehouses)
        for sim in sims.values():
            sim.start()
        urls = {name: sim.url for name, sim in sims.items()}
        if db_exists(args.db) and (args.reset or ask_reset(args.db)):
            say(f"Database {args.db}: dropping it (--reset).")
            drop_db(args.db)
        build_db(args.db, children, logdir, urls)
        say("Loading the demo data (company, chart of accounts, 50 products, channels, "
            "Nova Poshta, Checkbox)...")
        data = load_data(args.db, urls, logdir)
        seed_offers(sims, data["offers"])
        continue_counters(sims, data["counters"])
        if args.setup_only:
            say(f"Database {args.db} is ready.")
            return 0
        conf, launcher = write_odoo_files(args.db, args.port, args.gevent_port, args.workers,
                                          logdir)
        log_path = logdir / "odoo.log"
        env = dict(os.environ, TZ="UTC")
        env.pop("ODOO_QUEUE_JOB_CHANNELS", None)
        say(f"Starting Odoo at {args.url} (log {log_path})...")
        proc = children.run([python(), str(launcher), "-c", str(conf), "--load=web,queue_job",
                             "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO"],
                            log_path, wait=False, env=env)
        wait_http(f"{args.url}/web/health", proc, log_path)
        shop = sims["shop"]
        shop.odoo_url, shop.channel_id = args.url, data["channels"]["shop"]
        shop.api_key = data["shop_api_key"]
        with contextlib.suppress(Exception):
            shop.pull_offers()
        if not args.no_buyers:
            from omni_sandbox.demo import Buyers

            buyers = Buyers(rozetka=sims["rozetka"], prom=sims["prom"], shop=shop,
                            novaposhta=sims["novaposhta"], interval=tuple(args.buyer_interval),
                            seed=random.randrange(1 << 30),
                            on_order=lambda text: say(f"[{time.strftime('%H:%M:%S')}] {text}"))
            buyers.start()
        banner(args, sims, data, logdir)
        while not stopping.is_set():
            if proc.poll() is not None:
                say(f"Odoo stopped (exit {proc.returncode}); see {log_path}")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        say("\nStopping...")
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if buyers is not None:
            buyers.stop()
        children.stop()
        for sim in sims.values():
            with contextlib.suppress(Exception):
                sim.stop()
        say("Stopped: Odoo and the simulators are down.")
    return status


if __name__ == "__main__":
    sys.exit(main())
