"""The declared schema of each department feed: columns, types, units, keys and who provides it. Pure.

A feed is either **monthly** (one row per enterprise and month: the row's numbers become indicators of
the panel) or **events** (one row per event: legal and credit events, complaints; counted per month).
`docs/reference/feeds.md` is written from these declarations, and `test_feeds_reference` checks that it
says the same. A file or API batch covers the months of its rows, and importing it replaces what the
feed held for those months (never doubles), unless the import is asked to merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from zhili.early_warning.indicators import Indicator, Unit


class FeedKind(StrEnum):
    """The feeds Zhili accepts."""

    ELECTRICITY = "electricity"
    WATER = "water"
    PAYROLL = "payroll"
    TAX = "tax"
    SOCIAL_INSURANCE = "social_insurance"
    LEGAL_EVENTS = "legal_events"
    COMPLAINTS = "complaints"


class Mode(StrEnum):
    """Replace what the feed held for the batch's months, or merge the batch's rows into it."""

    REPLACE = "replace"
    MERGE = "merge"


class Shape(StrEnum):
    """One row per enterprise and month, or one row per event."""

    MONTHLY = "monthly"
    EVENTS = "events"


class ColumnType(StrEnum):
    """How a cell is written."""

    CREDIT_CODE = "credit_code"  # 18 characters, check character verified
    MONTH = "month"  # YYYY-MM
    DATE = "date"  # YYYY-MM-DD
    NUMBER = "number"  # a decimal number, not negative
    COUNT = "count"  # a whole number, not negative
    CHOICE = "choice"  # one of the listed values
    TEXT = "text"  # free text, one line


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a feed's CSV (and one field of its API rows)."""

    name: str
    type: ColumnType
    description: str
    required: bool = True
    unit: Unit | None = None
    indicator: Indicator | None = None  # the panel indicator a monthly column fills
    choices: tuple[str, ...] = ()
    max_length: int = 200


@dataclass(frozen=True, slots=True)
class Feed:
    """A department feed."""

    kind: FeedKind
    shape: Shape
    provider_zh: str
    provider_en: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> frozenset[str]:
        """The columns a file must have."""
        return frozenset(column.name for column in self.columns if column.required)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """The panel indicators a monthly feed fills."""
        return tuple(column.indicator for column in self.columns if column.indicator is not None)


CREDIT_CODE = Column("credit_code", ColumnType.CREDIT_CODE, "统一社会信用代码 / unified social credit code")
MONTH = Column("month", ColumnType.MONTH, "所属月份 / the month the figures are for")


def _number(name: str, unit: Unit, indicator: Indicator, description: str, *, required: bool = True) -> Column:
    kind = ColumnType.COUNT if unit in {Unit.PEOPLE, Unit.EVENTS} else ColumnType.NUMBER
    return Column(name, kind, description, required=required, unit=unit, indicator=indicator)


LEGAL_EVENT_KINDS: Final = ("court_enforcement", "dishonest_debtor", "business_anomaly", "penalty")
COMPLAINT_KINDS: Final = ("wage_complaint", "hotline", "grid_report")

FEEDS: Final[dict[FeedKind, Feed]] = {
    feed.kind: feed
    for feed in (
        Feed(
            FeedKind.ELECTRICITY,
            Shape.MONTHLY,
            "供电公司",
            "Power supply company",
            (
                CREDIT_CODE,
                MONTH,
                _number("kwh", Unit.KWH, Indicator.ELECTRICITY_KWH, "当月用电量 / electricity used in the month"),
                _number(
                    "bill_arrears_yuan",
                    Unit.YUAN,
                    Indicator.ELECTRICITY_ARREARS,
                    "月末欠缴电费 / electricity bills unpaid at the month's end",
                    required=False,
                ),
            ),
        ),
        Feed(
            FeedKind.WATER,
            Shape.MONTHLY,
            "水务集团",
            "Water company",
            (
                CREDIT_CODE,
                MONTH,
                _number("m3", Unit.CUBIC_METRE, Indicator.WATER_M3, "当月用水量 / water used in the month"),
                _number(
                    "bill_arrears_yuan",
                    Unit.YUAN,
                    Indicator.WATER_ARREARS,
                    "月末欠缴水费 / water bills unpaid at the month's end",
                    required=False,
                ),
            ),
        ),
        Feed(
            FeedKind.PAYROLL,
            Shape.MONTHLY,
            "人力社保局（工资支付监控）",
            "Human resources and social security (wage payment monitoring)",
            (
                CREDIT_CODE,
                MONTH,
                _number("headcount", Unit.PEOPLE, Indicator.PAYROLL_HEADCOUNT, "工资表人数 / people on the payroll"),
                _number("wages_due_yuan", Unit.YUAN, Indicator.WAGES_DUE, "应发工资 / wages due for the month"),
                _number("wages_paid_yuan", Unit.YUAN, Indicator.WAGES_PAID, "实发工资 / wages paid so far"),
                Column(
                    "pay_date",
                    ColumnType.DATE,
                    "发放日期，未发放留空 / the day wages were paid; empty if not paid",
                    required=False,
                    unit=Unit.DAYS,
                    indicator=Indicator.PAY_DELAY_DAYS,
                ),
            ),
        ),
        Feed(
            FeedKind.TAX,
            Shape.MONTHLY,
            "税务局",
            "Tax bureau",
            (
                CREDIT_CODE,
                MONTH,
                _number("declared_yuan", Unit.YUAN, Indicator.TAX_DECLARED, "当月申报税额 / tax declared"),
                _number(
                    "arrears_yuan",
                    Unit.YUAN,
                    Indicator.TAX_ARREARS,
                    "月末欠税 / tax overdue at the month's end",
                    required=False,
                ),
            ),
        ),
        Feed(
            FeedKind.SOCIAL_INSURANCE,
            Shape.MONTHLY,
            "社会保险经办机构",
            "Social insurance agency",
            (
                CREDIT_CODE,
                MONTH,
                _number("insured", Unit.PEOPLE, Indicator.SI_HEADCOUNT, "参保人数 / people insured"),
                _number(
                    "arrears_yuan",
                    Unit.YUAN,
                    Indicator.SI_ARREARS,
                    "月末欠缴社保费 / contributions overdue at the month's end",
                    required=False,
                ),
            ),
        ),
        Feed(
            FeedKind.LEGAL_EVENTS,
            Shape.EVENTS,
            "法院、市场监管局、信用办",
            "Court, market regulation, credit office",
            (
                CREDIT_CODE,
                Column("event", ColumnType.CHOICE, "事件类别 / kind of event", choices=LEGAL_EVENT_KINDS),
                Column("date", ColumnType.DATE, "发生日期 / the day it happened"),
                Column("reference", ColumnType.TEXT, "文书号或编号 / the case or list number", max_length=80),
                Column("authority", ColumnType.TEXT, "作出机关 / who decided", required=False, max_length=80),
            ),
        ),
        Feed(
            FeedKind.COMPLAINTS,
            Shape.EVENTS,
            "信访、12345 热线、网格",
            "Petitions, the 12345 hotline, grids",
            (
                CREDIT_CODE,
                Column("kind", ColumnType.CHOICE, "来源 / where it came from", choices=COMPLAINT_KINDS),
                Column("date", ColumnType.DATE, "日期 / the day it was made"),
                Column("reference", ColumnType.TEXT, "工单号 / the ticket number", max_length=80),
                Column(
                    "workers",
                    ColumnType.COUNT,
                    "涉及人数 / workers concerned",
                    required=False,
                    unit=Unit.PEOPLE,
                ),
            ),
        ),
    )
}

EVENT_INDICATOR: Final[dict[FeedKind, Indicator]] = {
    FeedKind.LEGAL_EVENTS: Indicator.LEGAL_EVENTS,
    FeedKind.COMPLAINTS: Indicator.COMPLAINTS,
}
