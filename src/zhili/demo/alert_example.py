"""The demo's 台风橙色预警 for 龙游县, dated when it is asked for (`zhili alerts example`, hung under `zhili alerts`).

The packaged file (`data/longyou_typhoon_orange.xml`) was sent on 2026-07-23. An alert is acted on only
while it is in force (`alerts.standing`: without `<expires>`, for `UNDATED_FOR` after it was sent), so
handing in that file later records it and fires nothing. The example is the same message sent now: a
new identifier and `sent`/`effective` of this minute, in China Standard Time as the national system
writes them, so the demo's trigger rule dispatches the typhoon campaign.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

import defusedxml.ElementTree as SafeTree
import typer
from rich.console import Console

from zhili.core.clock import SystemClock
from zhili.core.local_time import LOCAL_ZONE

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
DEMO_FILE = "longyou_typhoon_orange.xml"


def demo_alert(now: datetime) -> bytes:
    """The packaged demo alert as sent at `now` (to the minute): its identifier, `sent` and `effective`."""
    root: ET.Element = SafeTree.fromstring((resources.files("zhili.demo") / "data" / DEMO_FILE).read_bytes())
    sent = now.astimezone(LOCAL_ZONE).replace(second=0, microsecond=0)
    stamp = sent.isoformat()
    identifier, sent_at = root.find(f"{{{CAP}}}identifier"), root.find(f"{{{CAP}}}sent")
    if identifier is None or sent_at is None or not identifier.text:
        message = "the packaged demo alert has no <identifier> or <sent>"
        raise LookupError(message)
    station = identifier.text.rsplit("_", 1)[0]  # the sending station's code, then when it was sent
    identifier.text, sent_at.text = f"{station}_{sent:%Y%m%d%H%M%S}", stamp
    for effective in root.iter(f"{{{CAP}}}effective"):
        effective.text = stamp
    ET.register_namespace("", CAP)  # written as CAP files are: the default namespace, no prefix
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)  # Chinese as itself, not &#...;
    return written


def example_command(
    out: Annotated[Path | None, typer.Option("--out", help="write it to this file (default: print it)")] = None,
) -> None:
    """Write the demo's 台风橙色预警 for 龙游县 as sent now (the packaged file's July date is past)."""
    data = demo_alert(SystemClock().now())
    if out is None:
        typer.echo(data.decode("utf-8"))
    else:
        out.write_bytes(data)
        Console().print(f"{out}: the demo alert, sent now")
