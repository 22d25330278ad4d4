"""Roles a position can carry, with their Chinese and English names and what they may manage."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The roles of the organisation model (see docs/glossary.md)."""

    ADMIN = "admin"
    CENTRE_STAFF = "centre_staff"
    TOWNSHIP_COMMAND = "township_command"
    VILLAGE_CADRE = "village_cadre"
    GRID_HEAD = "grid_head"
    GRID_WORKER = "grid_worker"
    TEAM_LEADER = "team_leader"
    PARTY_MEMBER = "party_member"
    DEPT_HEAD = "dept_head"
    DEPT_STAFF = "dept_staff"


ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "Administrator"),
    Role.CENTRE_STAFF: ("社会治理中心", "Social governance centre"),
    Role.TOWNSHIP_COMMAND: ("乡镇综合信息指挥室", "Township command room"),
    Role.VILLAGE_CADRE: ("村（社区）两委", "Village or community committee"),
    Role.GRID_HEAD: ("网格长", "Grid head"),
    Role.GRID_WORKER: ("网格员", "Grid worker"),
    Role.TEAM_LEADER: ("组团联村团长", "Village team leader"),
    Role.PARTY_MEMBER: ("联户党员", "Party member linked to households"),
    Role.DEPT_HEAD: ("部门负责人", "Department head"),
    Role.DEPT_STAFF: ("部门工作人员", "Department staff"),
}

# Roles that may add people and posts, and name grid contacts, inside their own scope.
MANAGING_ROLES = frozenset({Role.ADMIN, Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND, Role.DEPT_HEAD})

DEPARTMENT_ROLES = frozenset({Role.DEPT_HEAD, Role.DEPT_STAFF})

# Roles above the field staff: they answer for their people's campaign tasks (未领办, 核验).
SUPERVISING_ROLES = frozenset(
    {Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND, Role.VILLAGE_CADRE, Role.GRID_HEAD, Role.TEAM_LEADER}
)


def role_name(role: str, language: str) -> str:
    """The display name of a role in the given language; unknown roles show their code."""
    try:
        zh, en = ROLE_NAMES[Role(role)]
    except ValueError:
        return role
    return en if language == "en" else zh
