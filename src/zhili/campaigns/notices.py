"""What campaign notices share: the campaign's and its task's names in both languages (`notify.wording`)."""

from __future__ import annotations

from zhili.campaigns.template import RoleTask, TaskTemplate
from zhili.notify.wording import Name


def english_title(title: str, template: TaskTemplate) -> str:
    """A campaign's title on an English page: its template's English name when the title is the Chinese one."""
    return template.name_en if title == template.name_zh else title


def task_words(title: str, title_en: str, task: RoleTask) -> dict[str, Name]:
    """The parameters `{campaign}` and `{task}` of a campaign task's notice, each with its English name."""
    return {"campaign": Name(title, title_en), "task": Name(task.title_zh, task.title_en)}
