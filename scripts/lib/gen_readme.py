"""Write an addon's README.rst from its readme/*.md fragments, as OCA lays it out,
and its page in Odoo's Apps, static/description/index.html, from that README.rst.

usage: python3 scripts/lib/gen_readme.py ADDON_DIR

The page is made with docutils, as OCA's generator makes it (Odoo requires
docutils: .venv-odoo/bin/python has it). Its images name the file alone
("preview.png"): Odoo serves them from the addon's static/description/, and
a browser opening the file finds them beside it.

OCA's own generator (oca-gen-addon-readme) is not on PyPI; this one covers
what the fragments here use: paragraphs, bullet lists, inline code and
images on a line of their own (``![alt](../static/description/x.png)``, the
path relative to ``readme/`` as GitHub shows the fragment; README.rst sits one
folder up, so the ``../`` goes).
"""

import ast
import re
import sys
from pathlib import Path

SECTIONS = [
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("CONTRIBUTORS", "Contributors"),
]
BADGES = {
    "Alpha": "red",
    "Beta": "yellow",
    "Production/Stable": "green",
    "Mature": "brightgreen",
}


IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$", re.MULTILINE)


def rst_image(match):
    alt, path = match.groups()
    if not path.startswith(("http://", "https://")):
        path = path.removeprefix("../")
    return f".. image:: {path}\n   :alt: {alt}"


def rst(markdown):
    """Inline code and images are the markdown the fragments need translated."""
    markdown = IMAGE.sub(rst_image, markdown)
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", markdown).strip()


def heading(text, char, over=False):
    line = char * len(text)
    return [line, text, line, ""] if over else [text, line, ""]


def main(addon):
    addon = Path(addon)
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    status = manifest.get("development_status", "Beta")
    fragments = {
        path.stem: path.read_text() for path in (addon / "readme").glob("*.md")
    }
    out = heading(manifest["name"], "=", over=True)
    out += [
        ".. |maturity| image:: https://img.shields.io/badge/maturity-"
        f"{status.replace('/', '--')}-{BADGES.get(status, 'lightgrey')}.png",
        f"    :alt: {status}",
        f".. |license| image:: https://img.shields.io/badge/license-{manifest['license']}-blue.png",
        f"    :alt: License: {manifest['license']}",
        "",
        "|maturity| |license|",
        "",
        rst(fragments["DESCRIPTION"]),
        "",
    ]
    if status == "Alpha":
        out += [
            ".. IMPORTANT::",
            "   This is an alpha version, the data model and design can change at "
            "any time without warning.",
            "",
        ]
    out += ["**Table of contents**", "", ".. contents::", "   :local:", ""]
    for name, title in SECTIONS:
        if name in fragments:
            out += heading(title, "=") + [rst(fragments[name]), ""]
    out += heading("Credits", "=") + heading("Authors", "-")
    out += [f"- {author.strip()}" for author in manifest["author"].split(",")] + [""]
    readme = "\n".join(out)
    (addon / "README.rst").write_text(readme)
    write_index_html(addon, readme)


def write_index_html(addon, readme):
    from docutils.core import publish_string  # only here: README.rst needs none

    page = re.sub(
        r"^(\.\. image:: )static/description/", r"\1", readme, flags=re.MULTILINE
    )
    html = publish_string(
        page,
        writer_name="html4css1",
        settings_overrides={
            "output_encoding": "unicode",
            # Odoo 17+ warns of an XML declaration in a module's description
            "xml_declaration": False,
            "embed_stylesheet": True,
            # no "Generated on <date>" footer: the page changes only with its text
            "datestamp": False,
            "report_level": 2,
            "halt_level": 2,
        },
    )
    (addon / "static" / "description" / "index.html").write_text(html)


if __name__ == "__main__":
    main(sys.argv[1])
