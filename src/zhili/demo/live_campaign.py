"""The demo's live campaigns: 柯城区's heat wave for the big screen, 阳湖社区's typhoon for the field logins.

Each is dispatched through the campaign service (every recipient's task and notice), then a share of
the recipients read, claim and report since (`campaign_responses`), so the command centre and the
boards show campaigns under way: some claimed, some finished, some late. The demo logins' own tasks
are left to claim, decline and report by hand:

- the heat wave (柯城区, two hours ago) reaches the grid worker (`gridworker`), whose supervisor
  (`community`) then has a report to verify that came with its notice;
- the typhoon (阳湖社区 of 湖镇镇, 龙游县, forty minutes ago) reaches the village's team leader
  (`teamleader`), grid head (`gridhead`) and party member (`partymember`): each has a task of their
  own role, and a party member who declines (拒领) leaves the grid head a task to hand on (改派).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.core.auth import Actor
from zhili.core.clock import FrozenClock
from zhili.core.db import commit
from zhili.demo.campaign_responses import Shares, apply_until, start_simulation


@dataclass(frozen=True)
class LiveCampaign:
    """A campaign the demo dispatched `ago` before its start, and how many of its recipients have answered."""

    data: CampaignCreate
    ago: timedelta
    claim: float
    report: float


HEAT: Final = LiveCampaign(
    CampaignCreate(
        template="heat",
        divisions=["330802"],  # 柯城区
        title="柯城区高温天气防范（演示）",
        message="气象台发布高温橙色预警，请立即排查辖区高温作业和独居老人情况并回单。",
        source_key="demo:heat:kecheng",
    ),
    ago=timedelta(hours=2),
    claim=0.72,
    report=0.41,
)
TYPHOON: Final = LiveCampaign(
    CampaignCreate(
        template="typhoon",
        divisions=["330825101003"],  # 湖镇镇阳湖社区
        title="阳湖社区防台风（演示）",
        message="台风“烟花”预计明日登陆，请立即部署转移、巡查网格并逐户提醒联系户。",
        source_key="demo:typhoon:yanghu",
    ),
    ago=timedelta(minutes=40),
    claim=0.7,
    report=0.4,
)


def dispatch_live_campaign(
    session: Session, live: LiveCampaign, *, actor: Actor, now: datetime, leave: frozenset[int] = frozenset()
) -> int:
    """Dispatch a live campaign `live.ago` before `now` and play back its answers up to `now`; its id.

    The tasks of the people in `leave` (the demo's logins) stay as dispatched: theirs to claim and report.
    """
    campaign = dispatch_campaign(session, data=live.data, actor=actor, clock=FrozenClock(now - live.ago))
    shares = Shares(claim=live.claim, report=live.report, over=live.ago)
    script = start_simulation(
        session, campaign_id=campaign.id, shares=shares, actor=actor, clock=FrozenClock(now), leave=leave
    )
    apply_until(session, script, now)
    commit(session)
    return campaign.id
