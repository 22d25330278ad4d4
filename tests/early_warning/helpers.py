"""Small explicit builders for early-warning tests: a few firms in the demo world, CSV text of a feed."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.auth import system_actor
from zhili.core.clock import Clock
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.models import Enterprise
from zhili.early_warning.register import RegisterReport, register_enterprises
from zhili.org.credit_code import compose
from zhili.org.geo import LocatorCache

ADMIN = system_actor("test")
FUSHAN = "330802006"  # 柯城区府山街道
HUZHEN = "330825101"  # 龙游县湖镇镇


def code(n: int, county: str = "330802") -> str:
    """A valid credit code, different for each `n`."""
    return compose("9", "1", county, f"MA2T{n:04d}")


def csv_of(header: Sequence[str], *rows: Sequence[object]) -> bytes:
    """CSV bytes from a header and rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return out.getvalue().encode()


REGISTER_HEADER = ("credit_code", "name", "industry", "legal_representative", "address", "division", "size")


def register(session: Session, clock: Clock, locators: LocatorCache, *firms: tuple[int, str]) -> RegisterReport:
    """Register firms numbered `n` in division `d` (manufacturing, small)."""
    data = csv_of(
        REGISTER_HEADER,
        *((code(n), f"测试企业{n}号", "C", "王某", "测试地址", division, "small") for n, division in firms),
    )
    parsed = decode(data)
    return register_enterprises(
        session,
        actor=ADMIN,
        clock=clock,
        locators=locators,
        header=parsed.header,
        rows=parsed.rows(),
        source="test.csv",
    )


def ids_of(session: Session, *numbers: int) -> list[int]:
    """Register ids of this module's firms numbered `numbers` (the demo world has 20,000 others)."""
    wanted = [code(n) for n in numbers]
    return list(
        session.scalars(select(Enterprise.id).where(Enterprise.credit_code.in_(wanted)).order_by(Enterprise.id))
    )
