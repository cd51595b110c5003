# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The data of scripts/check-migration, made and checked in its database.

    python migration_data.py CONF DB make OUT.json     (previous version's code)
    python migration_data.py CONF DB check IN.json     (this version's code)

``make`` pauses subscriptions with the previous version's own API and writes
what they are; ``check`` prints one line per check, ``ok NAME`` or
``FAILED NAME``, and changes nothing (it rolls back).
"""

import json
import sys
from datetime import date, timedelta

import odoo
from odoo import Command
from odoo.tools import config


def _record(sub, flag):
    group = sub.group_id
    events = group.event_ids.filtered(lambda e: e.subscription_id == sub)
    return {
        "name": sub.display_name,
        "paused": bool(sub[flag]),
        "next_date": str(sub.recurring_next_date),
        "group": group.id,
        "events": [
            [e.id, e.kind, str(e.date_from), str(e.date_to), e.amount]
            for e in events.sorted("id")
        ],
        "charges": [
            [c.id, c.kind, str(c.date_start), str(c.date_end), c.amount, c.state]
            for c in sub.grouping_charge_ids.sorted("id")
        ],
    }


def make(env, out):
    stage = env["sale.subscription.stage"].search(
        [("type", "=", "in_progress")], order="sequence", limit=1
    )
    pricelist = env["product.pricelist"].create(
        {"name": "Migration", "currency_id": env.company.currency_id.id}
    )
    product = env["product.product"].create(
        {"name": "Migration Hosting", "type": "service", "taxes_id": [Command.clear()]}
    )
    template = env["sale.subscription.template"].create(
        {"name": "Monthly", "recurring_interval": 1, "recurring_rule_type": "months"}
    )

    def customer(name, **vals):
        return env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "property_product_pricelist": pricelist.id,
                **vals,
            }
        )

    def subscription(partner, next_date, price):
        sub = env["sale.subscription"].create(
            {
                "partner_id": partner.id,
                "template_id": template.id,
                "pricelist_id": pricelist.id,
                "date_start": next_date,
                "sale_subscription_line_ids": [
                    Command.create({"product_id": product.id, "price_unit": price})
                ],
            }
        )
        sub.stage_id = stage
        sub.recurring_next_date = next_date
        return sub

    today = date.today()
    grouped = customer("Migration Grouped", subscription_grouping_anchor_day=1)
    alone = customer("Migration Alone")
    paused_member = subscription(grouped, today + timedelta(days=10), 30.0)
    member = subscription(grouped, today + timedelta(days=20), 50.0)
    grouped.subscription_grouping = True
    paused_alone = subscription(alone, today + timedelta(days=5), 40.0)
    (paused_member | paused_alone).action_pause()  # the previous version's API
    data = {
        "paused_member": _record(paused_member, "paused"),
        "member": _record(member, "paused"),
        "paused_alone": _record(paused_alone, "paused"),
        "ids": [paused_member.id, member.id, paused_alone.id],
    }
    assert data["paused_member"]["group"] and data["paused_member"]["events"]
    assert data["paused_member"]["paused"] and data["paused_alone"]["paused"]
    with open(out, "w", encoding="utf-8") as file:
        json.dump(data, file)
    env.cr.commit()


def check(env, before_path):
    with open(before_path, encoding="utf-8") as file:
        before = json.load(file)
    results = []

    def report(name, ok):
        results.append(name)
        print(f"{'ok' if ok else 'FAILED'} {name}", flush=True)

    subs = env["sale.subscription"].browse(before["ids"])
    for key, sub in zip(("paused_member", "member", "paused_alone"), subs, strict=True):
        was = before[key]
        now = _record(sub, "is_paused")
        report(
            f"{was['name']}: is_paused is {was['paused']}",
            now["paused"] == was["paused"],
        )
        report(f"{was['name']}: no resume date", not sub.paused_until)
        for part in ("next_date", "group", "events", "charges"):
            if now[part] != was[part]:
                print(
                    f"{was['name']} {part}: {was[part]} -> {now[part]}",
                    file=sys.stderr,
                )
            report(f"{was['name']}: {part} intact", now[part] == was[part])
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'sale_subscription' AND column_name = 'paused'"
    )
    report("the old column paused is gone", not env.cr.fetchall())
    fields_ = env["ir.model.fields"].search(
        [("model", "=", "sale.subscription"), ("name", "in", ("paused", "is_paused"))]
    )
    report("one field record, is_paused", fields_.mapped("name") == ["is_paused"])
    module = env["ir.module.module"].search([("name", "=", "subscription_grouping")])
    manifest = odoo.modules.module.get_manifest("subscription_grouping")
    report(
        f"installed at version {manifest['version']}",
        module.latest_version == manifest["version"],
    )
    report(
        "the scheduled resume exists",
        bool(
            env.ref(
                "subscription_grouping.ir_cron_resume_paused_subscriptions",
                raise_if_not_found=False,
            )
        ),
    )
    paused_member, _member, paused_alone = subs
    paused_member.action_resume()
    report(
        "the paused member resumes in its group",
        not paused_member.is_paused
        and paused_member.group_id.id == before["paused_member"]["group"]
        and paused_member.group_id.event_ids.sorted("id")[-1].kind == "resume",
    )
    paused_alone.action_resume()
    paused_alone.action_pause(paused_until=date.today() + timedelta(days=3))
    report(
        "the subscription alone pauses again until a date",
        paused_alone.is_paused
        and paused_alone.paused_until == date.today() + timedelta(days=3),
    )
    env.cr.rollback()


def main():
    conf, db, command, path = sys.argv[1:5]
    config.parse_config(["-c", conf, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if command == "make":
            make(env, path)
        else:
            check(env, path)


if __name__ == "__main__":
    main()
