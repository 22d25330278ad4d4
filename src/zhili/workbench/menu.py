"""The menu that fits the actor's roles: the desk's top menu, and the phone's bottom tab bar (4–5 items).

The web shell knows no roles; `create_app` hands `menu_for` to the renderer, which calls it with the
actor of each page.
"""

from __future__ import annotations

from collections.abc import Callable

from zhili.alerts.visibility import may_read as reads_alerts
from zhili.assessment.ratings import rates_monthly
from zhili.core.auth import Actor
from zhili.early_warning.visibility import sees_register
from zhili.org.roles import Role
from zhili.web.templating import MenuItem

HOME = "/"
TASKS = "/tasks"
REPORT = "/cases/new"
CASES = "/cases"
HOTLINE = "/hotline"  # 来电受理: the 12345 desk of the centres and command rooms
INBOX = "/inbox"
SUPERVISION = "/supervision"
CAMPAIGNS = "/campaigns"
MAP = "/map"
ORG = "/org"
MATTERS = "/matters"
CALENDAR = "/admin/calendar"
WARNINGS = "/warnings"
KPIS = "/kpis"
COMMAND_CENTRE = "/command-centre"
GROUPS = "/groups"  # 掌上指挥
ASSESSMENT = "/assessment"  # 四维考评
ASSESSMENT_MODEL = "/admin/assessment"
AUDIT = "/admin/audit"  # 操作记录: the audit chain, read and verified
RATINGS = "/assessment/ratings"  # the monthly cross-evaluation (互评)
WEBHOOKS = "/admin/webhooks"  # where notifications are pushed (DingTalk robots)
OPEN311 = "/admin/open311"  # the apps that report through Open311, and their keys
ALERTS = "/alerts"  # 预警信息: official CAP alerts and what they fired
ALERT_RULES = "/admin/alert-rules"
DETECTORS = "/admin/detectors"  # the early-warning detectors (欠薪预警规则): rules, weights, cut-offs
FEEDS = "/feeds"  # 数据接入: the departments' feed batches, their refused rows, and the CSV upload
DELIVERIES = "/admin/deliveries"  # 投递日志: every notification's delivery by channel, retried by hand

LABELS = {
    HOME: "nav.home",
    TASKS: "nav.tasks",
    REPORT: "nav.report",
    CASES: "nav.cases",
    HOTLINE: "nav.hotline",
    INBOX: "notify.inbox",
    SUPERVISION: "nav.supervision",
    CAMPAIGNS: "nav.campaigns",
    MAP: "nav.map",
    ORG: "nav.org",
    MATTERS: "nav.matters",
    CALENDAR: "nav.calendar",
    WARNINGS: "nav.warnings",
    KPIS: "nav.kpis",
    COMMAND_CENTRE: "nav.command_centre",
    GROUPS: "nav.groups",
    ASSESSMENT: "nav.assessment",
    ASSESSMENT_MODEL: "nav.assessment_model",
    RATINGS: "assessment.rate_link",
    WEBHOOKS: "nav.webhooks",
    OPEN311: "nav.open311",
    AUDIT: "nav.audit",
    ALERTS: "nav.alerts",
    ALERT_RULES: "nav.alert_rules",
    DETECTORS: "nav.detectors",
    FEEDS: "feeds.title",
    DELIVERIES: "nav.deliveries",
}

# Per kind of work: the menu's items in order, and the ones on the phone's tab bar.
CENTRE = (
    # the desk shows the first ten; the rest go under 更多 (the phone shows its tab bar and 更多)
    (
        HOME,
        CASES,
        HOTLINE,
        REPORT,
        SUPERVISION,
        CAMPAIGNS,
        GROUPS,
        COMMAND_CENTRE,
        KPIS,
        ASSESSMENT,
        WARNINGS,
        ALERTS,
        RATINGS,
        TASKS,
        MAP,
        ORG,
        MATTERS,
        INBOX,
    ),
    (HOME, CASES, SUPERVISION, CAMPAIGNS),  # with 更多 for the rest: five places on a phone
)
# Administrators keep the country's settings too: the official work calendar, the assessment model, webhooks and
# the delivery log, the Open311 clients, the audit record, the alert rules, the early-warning detectors and the
# department feeds they import (数据接入, as the feeds API allows administrators only).
ADMIN = (
    (*CENTRE[0], CALENDAR, ASSESSMENT_MODEL, WEBHOOKS, DELIVERIES, OPEN311, AUDIT, ALERT_RULES, DETECTORS, FEEDS),
    CENTRE[1],
)
# The field's own score (考评: a person's points for claiming and reporting on time) is under 更多 on a phone.
VILLAGE = (
    (HOME, TASKS, CAMPAIGNS, REPORT, CASES, GROUPS, INBOX, MAP, ORG, ASSESSMENT),
    (HOME, TASKS, REPORT, CASES, INBOX),
)
FIELD = ((HOME, TASKS, REPORT, CASES, INBOX, GROUPS, ASSESSMENT), (HOME, TASKS, REPORT, CASES, INBOX))
DEPT_HEAD = (
    (HOME, CASES, SUPERVISION, GROUPS, KPIS, ASSESSMENT, RATINGS, WARNINGS, REPORT, INBOX, ORG, MATTERS),
    (HOME, CASES, SUPERVISION, REPORT),
)
DEPT = (
    (HOME, CASES, SUPERVISION, GROUPS, KPIS, ASSESSMENT, WARNINGS, REPORT, INBOX, MATTERS),
    (HOME, CASES, SUPERVISION, REPORT),
)
OTHER = ((HOME, CASES, REPORT, INBOX), (HOME, CASES, REPORT, INBOX))

# The first kind whose roles the actor holds decides; a person with several posts gets the widest menu.
KINDS = (
    (frozenset({Role.ADMIN}), ADMIN),
    (frozenset({Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND}), CENTRE),
    (frozenset({Role.DEPT_HEAD}), DEPT_HEAD),
    (frozenset({Role.VILLAGE_CADRE, Role.TEAM_LEADER}), VILLAGE),
    (frozenset({Role.DEPT_STAFF}), DEPT),
    (frozenset({Role.GRID_HEAD, Role.GRID_WORKER, Role.PARTY_MEMBER}), FIELD),
)


# Items offered only to whom they can show something, whatever the role: the warnings of the enterprise
# register reach the blocks and the labour units (人力社保), not the traffic police or housing.
# Alerts reach the centres and administrators, not a township's command room (which shares the centre's menu).
# The monthly cross-evaluation is filled in by townships' command rooms and units' heads, not by a centre or an
# administrator (whose form would say there is nothing for them to rate).
OFFERED_IF: dict[str, Callable[[Actor], bool]] = {
    WARNINGS: sees_register,
    ALERTS: reads_alerts,
    RATINGS: rates_monthly,
}


def menu_for(actor: Actor) -> tuple[MenuItem, ...]:
    """The actor's menu items: (link, message key, on the phone's tab bar)."""
    items, tabs = next((kind for roles, kind in KINDS if actor.has_any_role(roles)), OTHER)
    return tuple(
        MenuItem(href, LABELS[href], href in tabs)
        for href in items
        if (offered := OFFERED_IF.get(href)) is None or offered(actor)
    )
