"""The addons package the OCA way: whool wheels with their dependencies, README.rst from readme/.

Integrators install the suite into an existing Odoo 18 with pip alone; these
tests build every addon's wheel as pip would and read what it declares.
"""

import ast
import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent for p in (ROOT / "addons").glob("*/__manifest__.py"))
# addons of Odoo itself: a wheel depends on "odoo", not on them one by one
ODOO_CORE = {"account", "base", "mail", "sale", "sale_stock", "stock", "stock_delivery",
             "website_sale", "web", "product", "uom", "delivery", "l10n_ua",
             "sale_management", "purchase", "purchase_stock", "contacts", "portal"}


def manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """Every addon's wheel, built once, as pip builds it (whool backend)."""
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), *map(str, ADDONS)],
        check=True, cwd=ROOT,
    )
    built = {}
    for path in out.glob("*.whl"):
        with zipfile.ZipFile(path) as wheel:
            meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            built[path.name.split("-")[0]] = (
                email.message_from_string(wheel.read(meta_name).decode()), wheel.namelist()
            )
    return built


def test_every_addon_has_an_oca_pyproject():
    for addon in ADDONS:
        text = (addon / "pyproject.toml").read_text(encoding="utf-8")
        assert f'name = "odoo-addon-{addon.name}"' in text, addon.name
        assert 'build-backend = "whool.buildapi"' in text, addon.name


@pytest.mark.parametrize("addon", ADDONS, ids=[a.name for a in ADDONS])
def test_wheel_declares_what_the_addon_needs_and_ships_its_files(wheels, addon):
    meta, names = wheels[f"odoo_addon_{addon.name}"]
    data = manifest(addon)
    assert meta["Version"].startswith(data["version"])
    requires = {req.split("==")[0].split(">")[0].strip() for req in meta.get_all("Requires-Dist")}
    assert "odoo" in requires
    for python_dep in data.get("external_dependencies", {}).get("python", []):
        assert python_dep in requires, (addon.name, python_dep)
    for dep in data["depends"]:
        if dep not in ODOO_CORE:
            assert f"odoo-addon-{dep}" in requires, (addon.name, dep)
    prefix = f"odoo/addons/{addon.name}/"
    for path in ["__manifest__.py", "i18n/uk.po", "README.rst", *data.get("data", [])]:
        assert prefix + path in names, (addon.name, path)
    # the long description is the generated README
    assert meta.get_content_type() == "text/x-rst" or "text/x-rst" in meta.get(
        "Description-Content-Type", "")


def test_readmes_are_generated_from_the_current_fragments():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_readme.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
