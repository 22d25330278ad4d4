"""What the matter catalog API returns: summaries, versions with their definition, sync reports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from zhili.matters.definition import MatterDefinition


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

    @property
    def is_changed(self) -> bool:
        """True when the reload changed anything."""
        return bool(self.added or self.new_versions or self.restored or self.withdrawn)
