"""Take the addon's screenshots from a running demo (used by scripts/screenshots).

usage: screenshots.py URL DB OUT_DIR

Logs in as admin through Odoo's JSON call /web/session/authenticate (requests),
starts headless Chromium with a DevTools port, gives it the session cookie
over the DevTools protocol (websocket-client, as Odoo's own browser tests
do), opens each screen, clicks what it needs and writes a PNG per screen into
OUT_DIR. It only reads: the preview it opens is a wizard that is never
applied. The merged invoice's screenshot is taken when the demo has a merged
invoice (Invoice Now on a group makes one); otherwise it is left as it is.

It runs with the Odoo environment's interpreter (requests and
websocket-client are there).
"""

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import requests
import websocket

WIDTH, HEIGHT = 1400, 900


class Odoo:
    def __init__(self, url, db):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.call("/web/session/authenticate", db=db, login="admin", password="admin")

    def call(self, path, **params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=60,
        )
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            raise RuntimeError(f"{path}: {answer['error']['data']['message']}")
        return answer["result"]

    def search_read(self, model, domain, fields, limit=1):
        return self.call(
            "/web/dataset/call_kw",
            model=model,
            method="search_read",
            args=[domain, fields],
            kwargs={"limit": limit, "order": "id"},
        )

    def xmlid(self, module, name):
        rows = self.search_read(
            "ir.model.data", [("module", "=", module), ("name", "=", name)], ["res_id"]
        )
        return rows[0]["res_id"]


class Browser:
    """Headless Chromium driven over the DevTools protocol."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="sg-shots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        pages = requests.get(f"http://127.0.0.1:{port}/json", timeout=10).json()
        page = next(page for page in pages if page["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        """Wait until ``selector`` matches and Odoo has no request pending."""
        check = (
            f"!!document.querySelector({json.dumps(selector)}) && "
            "!document.querySelector('.o_loading_indicator, .o_blockUI')"
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(check):
                time.sleep(1)  # let the last rendering and fonts settle
                return
            time.sleep(0.25)
        raise RuntimeError(f"timed out waiting for {selector}")

    def click(self, selector, then):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(then)

    def open(self, url, selector):
        self.send("Page.navigate", url=url)
        self.wait_for(selector)

    def shoot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        print(f"== screenshots: {path}")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def main(url, db, out_dir):
    names = ("chromium", "google-chrome", "chromium-browser")
    binary = next(filter(None, map(shutil.which, names)), None)
    if not binary:
        sys.exit("screenshots: no Chromium (Debian: apt-get install chromium)")
    odoo = Odoo(url, db)
    harbor = odoo.xmlid("subscription_grouping", "demo_partner_harbor")
    lumen = odoo.xmlid("subscription_grouping", "demo_partner_lumen")
    group = odoo.search_read(
        "sale.subscription.group", [("partner_id", "=", lumen)], ["id"]
    )
    invoice = odoo.search_read(
        "account.move", [("subscription_group_id", "!=", False)], ["id"]
    )
    out = Path(out_dir)
    browser = Browser(binary)
    try:
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session.cookies["session_id"],
            domain=urlparse(url).hostname,
            path="/",
        )
        base = url.rstrip("/")
        browser.open(f"{base}/odoo/res.partner/{harbor}", ".o_form_view .o_notebook")
        browser.click(
            ".o_notebook a[name=sales_purchases]",
            "button[name=action_preview_subscription_grouping]",
        )
        browser.shoot(out / "customer_switch.png")
        browser.click(
            "button[name=action_preview_subscription_grouping]",
            ".modal .o_field_widget[name=line_ids] .o_data_row",
        )
        browser.shoot(out / "preview.png")
        group_url = f"{base}/odoo/sale.subscription.group/{group[0]['id']}"
        for tab, name in (
            ("members", "group_members.png"),
            ("charges", "group_charges.png"),
            ("events", "group_events.png"),
        ):
            browser.open(group_url, ".o_form_view .o_notebook")
            browser.click(f".o_notebook a[name={tab}]", ".o_notebook .tab-pane.active")
            browser.shoot(out / name)
        if invoice:
            browser.open(
                f"{base}/odoo/account.move/{invoice[0]['id']}",
                ".o_field_widget[name=invoice_line_ids] .o_data_row",
            )
            browser.shoot(out / "merged_invoice.png")
        else:
            print(
                "== screenshots: the demo has no merged invoice yet (Invoice Now on "
                "a group makes one): merged_invoice.png left as it is"
            )
    finally:
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
