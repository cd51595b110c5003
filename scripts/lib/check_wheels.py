"""The checks of scripts/check-wheels that read files or the database.

usage: check_wheels.py wheels REPO WHEEL_DIR
       check_wheels.py origin SITE_PACKAGES REPO
       check_wheels.py db DB_HOST DB_PORT DB_USER DB_NAME MODULE...

wheels  prints each wheel of WHEEL_DIR with its Requires-Dist, and fails
        unless there are exactly the three expected ones: the core's
        (subscription_grouping_core, the version of the root pyproject.toml)
        and one odoo-addon-<module> per addon folder holding a pyproject.toml,
        whose version starts with its manifest's version (whool may append a
        post-release number counted from git) and which requires odoo 18.0.
origin  fails unless the addons and the core import from SITE_PACKAGES (the
        installed wheels), not from the repository REPO. Run it from a folder
        outside the repository: Python puts the working folder on sys.path.
db      prints each MODULE's state and version in ir_module_module and fails
        unless every one is installed. Needs psycopg2 (the Odoo environment).

Each failure is a line starting with "FAILED:"; the exit status is 1 then.
"""

import ast
import importlib.util
import os
import re
import sys
import zipfile
from email.parser import HeaderParser

CORE = "subscription_grouping_core"


def _fail(msg):
    print(f"FAILED: {msg}")
    return 1


def _metadata(path):
    with zipfile.ZipFile(path) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(wheel.read(name).decode("utf-8"))


def _addons(repo):
    """{module: manifest version} of the addon folders packaged with whool."""
    addons = {}
    for name in sorted(os.listdir(repo)):
        folder = os.path.join(repo, name)
        manifest = os.path.join(folder, "__manifest__.py")
        if os.path.isfile(manifest) and os.path.isfile(
            os.path.join(folder, "pyproject.toml")
        ):
            with open(manifest, encoding="utf-8") as file:
                addons[name] = ast.literal_eval(file.read())["version"]
    return addons


def check_wheels(repo, wheel_dir):
    # the core's version from the root pyproject.toml (tomllib: Python 3.11+)
    with open(os.path.join(repo, "pyproject.toml"), encoding="utf-8") as file:
        core_version = re.search(r'^version = "([^"]+)"$', file.read(), re.M)[1]
    expected = {CORE: core_version}
    expected.update(
        {f"odoo_addon_{module}": version for module, version in _addons(repo).items()}
    )
    found, rc = {}, 0
    for file_name in sorted(os.listdir(wheel_dir)):
        if not file_name.endswith(".whl"):
            continue
        meta = _metadata(os.path.join(wheel_dir, file_name))
        key = re.sub(r"[-_.]+", "_", meta["Name"]).lower()
        found[key] = meta["Version"]
        print(f"wheel: {file_name}")
        for requirement in meta.get_all("Requires-Dist") or []:
            print(f"  requires {requirement}")
        if key not in expected:
            rc |= _fail(f"unexpected wheel {file_name}")
            continue
        version, built = expected[key], meta["Version"]
        if built != version and not built.startswith(version + "."):
            rc |= _fail(f"{file_name}: version {built}, expected {version}[.N]")
        requirements = meta.get_all("Requires-Dist") or []
        if key.startswith("odoo_addon_") and "odoo==18.0.*" not in requirements:
            rc |= _fail(f"{file_name} does not require odoo==18.0.*")
    for key in sorted(set(expected) - set(found)):
        rc |= _fail(f"no wheel built for {key}")
    return rc


def check_origin(site_packages, repo):
    site_packages = os.path.realpath(site_packages)
    repo = os.path.realpath(repo)
    rc = 0
    names = [CORE] + [f"odoo.addons.{module}" for module in _addons(repo)]
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            rc |= _fail(f"{name} cannot be imported")
            continue
        origin = os.path.realpath(spec.origin)
        print(f"import {name}: {origin}")
        if not origin.startswith(site_packages + os.sep):
            rc |= _fail(f"{name} is not imported from {site_packages}")
        elif origin.startswith(repo + os.sep):
            rc |= _fail(f"{name} is imported from the repository")
    return rc


def check_db(host, port, user, dbname, modules):
    import psycopg2  # the Odoo environment's

    with psycopg2.connect(host=host, port=port, user=user, dbname=dbname) as cnx:
        with cnx.cursor() as cr:
            cr.execute(
                "SELECT name, state, latest_version FROM ir_module_module"
                " WHERE name = ANY(%s)",
                (list(modules),),
            )
            states = {name: (state, version) for name, state, version in cr.fetchall()}
    cnx.close()
    rc = 0
    for module in modules:
        state, version = states.get(module, ("absent", None))
        print(f"module {module}: {state} {version or ''}".rstrip())
        if state != "installed":
            rc |= _fail(f"{module} is {state} in {dbname}, not installed")
    return rc


def main(argv):
    if len(argv) >= 3 and argv[0] == "wheels":
        return check_wheels(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "origin":
        return check_origin(argv[1], argv[2])
    if len(argv) >= 6 and argv[0] == "db":
        return check_db(*argv[1:5], argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
