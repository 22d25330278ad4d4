"""What the matter catalog API returns: summaries, versions with their definition, sync reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhili.core.text import Line
from zhili.matters.definition import HandlerLevel, Limit, MatterDefinition, Phase


class MatterSummary(BaseModel):
    """One matter of the catalog in a list: its current version in brief."""

    code: str
    name_zh: str
    name_en: str
    lead_kind: str
    collaborator_kinds: list[str]
    handling_level: str
    urgent: bool
    is_default_assignment: bool
    version: int
    version_id: int = Field(description="the MatterVersion id a new case stores")


class VersionRef(BaseModel):
    """One version of a matter named in its history."""

    id: int
    version: int
    content_hash: str
    loaded_at: datetime
    is_current: bool
    source: Literal["file", "page"] = Field(default="file", description="loaded from its file, or saved from its page")
    edited_by: str | None = Field(default=None, description="who saved a page version")
    reason: str | None = Field(default=None, description="why a page version was saved")


class MatterVersionRead(VersionRef):
    """One version of a matter with its full definition."""

    code: str
    definition: MatterDefinition


class MatterRead(BaseModel):
    """A matter: its newest version (the current one unless its file was withdrawn) and its history."""

    code: str
    latest: MatterVersionRead
    versions: list[VersionRef] = Field(description="newest first")


class SyncReport(BaseModel):
    """What a reload of the catalog did, per matter code."""

    added: list[str] = Field(default_factory=list, description="loaded for the first time, as version 1")
    new_versions: dict[str, int] = Field(default_factory=dict, description="code: the version a changed file became")
    restored: list[str] = Field(default_factory=list, description="a withdrawn matter whose file came back unchanged")
    withdrawn: list[str] = Field(default_factory=list, description="file gone: no version is current any more")
    unchanged: list[str] = Field(default_factory=list)
    superseded: dict[str, int] = Field(
        default_factory=dict, description="code: the page-edited version a changed file replaced"
    )

    @property
    def is_changed(self) -> bool:
        """True when the reload changed anything."""
        return bool(self.added or self.new_versions or self.restored or self.withdrawn)


KindCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class MatterEdit(BaseModel):
    """An administrator's change to a matter's limits and assignment: saved as a new version.

    Omitted fields keep what the version edited says; a level given in `limits` replaces that
    level's four phase limits (a level not given keeps its own, or falls back to the department's).
    """

    model_config = ConfigDict(extra="forbid")

    version: int = Field(gt=0, description="the version the edit was made on; a newer one current answers 409")
    limits: dict[HandlerLevel, dict[Phase, Limit]] | None = None
    lead_kind: KindCode | None = None
    collaborator_kinds: list[KindCode] | None = Field(default=None, max_length=20)
    reason: Line = Field(max_length=200, description="why (修改说明), kept with the version and in the audit record")
