#!/usr/bin/env python3
"""Print the lines of an Odoo 18.0 source tree's requirements.txt that this Python needs.

Odoo pins its Python dependencies per Python version with environment markers.
The pins for Pythons older than 3.12 are old releases that no longer build
with a current pip and compiler, while the 3.12 pins install on 3.10 and 3.11
too; so markers are evaluated for this Python, but never for one older than
3.12. python-ldap (only for Odoo's LDAP login, and needing system headers) is
left out. Usage: ``odoo_requirements.py ODOO_SRC/requirements.txt > req.txt``.
"""

import platform
import sys

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

SKIP = {"python-ldap"}


def wanted(lines, environment):
    for line in lines:
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.name.lower() in SKIP:
            continue
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        requirement.marker = None
        yield str(requirement)


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    environment = default_environment()
    if tuple(map(int, platform.python_version_tuple()[:2])) < (3, 12):
        environment.update(python_version="3.12", python_full_version="3.12.0")
    with open(argv[1], encoding="utf-8") as handle:
        for line in wanted(handle, environment):
            print(line)


if __name__ == "__main__":
    main(sys.argv)
