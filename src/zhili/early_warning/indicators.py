"""The monthly indicators of an enterprise, the feed each comes from and its unit. Pure.

One indicator is one number per enterprise and month; a feed that did not deliver a month leaves it
missing (NaN in the panel), never zero. Labels are in `web/messages/early_warning.toml`
(`indicator.<value>`, `unit.<unit>`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Indicator(StrEnum):
    """A monthly number per enterprise."""

    ELECTRICITY_KWH = "electricity_kwh"  # electricity used in the month, kWh
    ELECTRICITY_ARREARS = "electricity_arrears"  # electricity bills unpaid at the month's end, yuan
    WATER_M3 = "water_m3"  # water used, cubic metres
    WATER_ARREARS = "water_arrears"  # water bills unpaid at the month's end, yuan
    PAYROLL_HEADCOUNT = "payroll_headcount"  # people on the month's payroll list
    WAGES_DUE = "wages_due"  # wages due for the month, yuan
    WAGES_PAID = "wages_paid"  # wages for the month paid so far, yuan
    PAY_DELAY_DAYS = "pay_delay_days"  # days from the month's end to the pay date (NaN: not paid yet)
    TAX_DECLARED = "tax_declared"  # tax declared for the month, yuan
    TAX_ARREARS = "tax_arrears"  # tax owed and overdue at the month's end, yuan
    SI_HEADCOUNT = "si_headcount"  # people insured (social insurance) in the month
    SI_ARREARS = "si_arrears"  # social-insurance contributions overdue at the month's end, yuan
    LEGAL_EVENTS = "legal_events"  # court enforcement, dishonesty and anomaly lists, penalties in the month
    COMPLAINTS = "complaints"  # wage complaints, hotline and grid reports about the firm in the month


class Unit(StrEnum):
    """What an indicator counts."""

    KWH = "kwh"
    CUBIC_METRE = "m3"
    YUAN = "yuan"
    PEOPLE = "people"
    DAYS = "days"
    EVENTS = "events"


UNIT: Final[dict[Indicator, Unit]] = {
    Indicator.ELECTRICITY_KWH: Unit.KWH,
    Indicator.ELECTRICITY_ARREARS: Unit.YUAN,
    Indicator.WATER_M3: Unit.CUBIC_METRE,
    Indicator.WATER_ARREARS: Unit.YUAN,
    Indicator.PAYROLL_HEADCOUNT: Unit.PEOPLE,
    Indicator.WAGES_DUE: Unit.YUAN,
    Indicator.WAGES_PAID: Unit.YUAN,
    Indicator.PAY_DELAY_DAYS: Unit.DAYS,
    Indicator.TAX_DECLARED: Unit.YUAN,
    Indicator.TAX_ARREARS: Unit.YUAN,
    Indicator.SI_HEADCOUNT: Unit.PEOPLE,
    Indicator.SI_ARREARS: Unit.YUAN,
    Indicator.LEGAL_EVENTS: Unit.EVENTS,
    Indicator.COMPLAINTS: Unit.EVENTS,
}
