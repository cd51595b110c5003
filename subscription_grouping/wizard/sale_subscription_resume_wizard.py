# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class SaleSubscriptionResumeWizard(models.TransientModel):
    """The resume dialog: what resuming today bills, then Confirm.

    What it shows is computed when it opens; Confirm computes it again and
    resumes only when it is still what was shown (another day, or a
    subscription changed meanwhile: open Resume again).
    """

    _name = "sale.subscription.resume.wizard"
    _description = "Resume Subscriptions"

    subscription_ids = fields.Many2many(
        comodel_name="sale.subscription",
        string="Subscriptions",
        required=True,
        readonly=True,
    )
    resume_date = fields.Date(string="Resume on", readonly=True)
    line_ids = fields.One2many(
        comodel_name="sale.subscription.resume.wizard.line",
        inverse_name="wizard_id",
        string="What Resuming Bills",
        readonly=True,
    )
    summary = fields.Html(readonly=True)
    shown = fields.Json(readonly=True)

    @api.model
    def _open(self, subscriptions):
        paused = subscriptions.filtered("is_paused")
        if not paused:
            raise UserError(self.env._("None of these subscriptions is paused."))
        paused.check_access("write")
        wizard = self.create(
            {
                "subscription_ids": [Command.set(paused.ids)],
                "resume_date": fields.Date.context_today(self),
            }
        )
        wizard._make_preview()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resume"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
            "context": {"dialog_size": "extra-large"},
        }

    def _get_previews(self, resume_date):
        # sudo: the preview plans from the groups' invoices, which the user's
        # record rules may hide, as the resume itself does; it writes nothing
        previews = self.subscription_ids.sudo()._get_resume_preview(resume_date)
        for preview in previews:
            preview["subscription"] = preview["subscription"].with_env(self.env)
            preview["group"] = preview["group"].with_env(self.env)
        return previews

    @api.model
    def _fingerprint(self, previews):
        """What a preview shows, as JSON values that compare equal when the
        same would be billed."""
        return [
            [
                preview["subscription"].id,
                fields.Date.to_string(preview["restart"]),
                fields.Date.to_string(preview["next_date"]),
                preview["group"].id,
                preview["refusal"],
                [
                    [line.key, str(line.amount)]
                    for line in (preview["charge"].lines if preview["charge"] else ())
                ],
            ]
            for preview in previews
        ]

    def _make_preview(self):
        self.ensure_one()
        previews = self._get_previews(self.resume_date)
        lines, sentences = [], []
        for preview in previews:
            lines += self._describe_lines(preview, len(lines))
            sentences.append(self._describe(preview))
        self.write(
            {
                "line_ids": [Command.clear()]
                + [Command.create(vals) for vals in lines],
                "summary": Markup("<ul>%s</ul>")
                % Markup().join(Markup("<li>%s</li>") % text for text in sentences),
                "shown": self._fingerprint(previews),
            }
        )

    def _describe_lines(self, preview, sequence):
        sub = preview["subscription"]
        base = {
            "subscription_id": sub.id,
            "restart_date": preview["restart"],
            "next_date": preview["next_date"],
            "currency_id": sub.currency_id.id,
        }
        charge = preview["charge"]
        if not charge:
            return [{**base, "sequence": sequence, "note": self._get_note(preview)}]
        share = self.env["sale.subscription.group.charge"]._format_share(
            charge.period.days, charge.ratio
        )
        return [
            {
                **base,
                "sequence": sequence + index,
                "subscription_line_id": line.key,
                "charge_start": charge.period.start,
                "charge_end": charge.period.last_day,
                "ratio": share,
                "amount": float(line.amount),
            }
            for index, line in enumerate(charge.lines)
        ]

    def _get_note(self, preview):
        if preview["refusal"]:
            return self.env._("Leaves its group, bills on its own")
        if preview["group"]:
            return self.env._("Already on the billing day")
        return self.env._("Bills on its own")

    def _describe(self, preview):
        """One sentence per subscription: from when it is billed again, and by
        whom."""
        sub = preview["subscription"]
        values = {
            "subscription": sub.display_name,
            "restart": format_date(self.env, preview["restart"]),
            "next": format_date(self.env, preview["next_date"]),
            "group": preview["group"].display_name,
        }
        if preview["refusal"]:
            reasons = dict(
                sub._fields["grouping_refusal"]._description_selection(self.env)
            )
            return self.env._(
                "%(subscription)s: service from %(restart)s; it leaves its group "
                "(%(reason)s) and bills on its own from %(restart)s.",
                reason=reasons[preview["refusal"]],
                **values,
            )
        if not preview["group"]:
            return self.env._(
                "%(subscription)s: billed again from %(restart)s, on its own.",
                **values,
            )
        charge = preview["charge"]
        if not charge:
            return self.env._(
                "%(subscription)s: service from %(restart)s, already on the billing "
                "day of %(group)s: next merged invoice on %(next)s.",
                **values,
            )
        group = preview["group"]
        if group.transition_policy == "immediate" and not group._can_bill():
            where = self.env._("at once, by the next scheduled run")
        else:
            policies = dict(
                group._fields["transition_policy"]._description_selection(self.env)
            )
            where = policies[group.transition_policy].lower()
        return self.env._(
            "%(subscription)s: service from %(restart)s; billed with %(group)s "
            "from %(next)s, with a transition for %(start)s to %(end)s of "
            "%(amount)s (%(where)s).",
            start=format_date(self.env, charge.period.start),
            end=format_date(self.env, charge.period.last_day),
            amount=sub.currency_id.format(float(charge.total)),
            where=where,
            **values,
        )

    def action_confirm(self):
        """Resume, when what resuming bills now is still what was shown."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if today != self.resume_date or self._fingerprint(
            self._get_previews(today)
        ) != (self.shown or []):
            raise UserError(
                self.env._(
                    "What resuming bills changed since it was shown (another day, "
                    "or the subscriptions changed): close this dialog and click "
                    "Resume again."
                )
            )
        self.subscription_ids.action_resume()
        return {"type": "ir.actions.act_window_close"}
