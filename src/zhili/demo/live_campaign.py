"""A live campaign for the demo's big screen: 柯城区 dispatched the heat-wave template two hours ago.

Dispatched through the campaign service (every recipient's task and notice), then a share of the
recipients read, claim and report over the two hours (`campaign_responses`), so the command centre
and the board show a campaign under way: some claimed, some finished, some late. The demo logins'
own tasks (the grid worker's) are left to claim and report by hand, and their supervisors (`community`)
then have a report to verify that came with its notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.core.auth import Actor
from zhili.core.clock import FrozenClock
from zhili.core.db import commit
from zhili.demo.campaign_responses import Shares, apply_until, start_simulation

KECHENG: Final = "330802"
AGO: Final = timedelta(hours=2)


def dispatch_live_campaign(
    session: Session, *, actor: Actor, now: datetime, leave: frozenset[int] = frozenset()
) -> int:
    """Dispatch the heat-wave template to Kecheng two hours before `now` and play back the answers; its id.

    The tasks of the people in `leave` (the demo's logins) stay as dispatched: theirs to claim and report.
    """
    campaign = dispatch_campaign(
        session,
        data=CampaignCreate(
            template="heat",
            divisions=[KECHENG],
            title="柯城区高温天气防范（演示）",
            message="气象台发布高温橙色预警，请立即排查辖区高温作业和独居老人情况并回单。",
            source_key="demo:heat:kecheng",
        ),
        actor=actor,
        clock=FrozenClock(now - AGO),
    )
    shares = Shares(claim=0.72, report=0.41, over=AGO)
    script = start_simulation(
        session, campaign_id=campaign.id, shares=shares, actor=actor, clock=FrozenClock(now), leave=leave
    )
    apply_until(session, script, now)
    commit(session)
    return campaign.id
