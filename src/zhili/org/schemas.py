"""What the organisation API reads and accepts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhili.core.params import Id, Name
from zhili.core.text import Line
from zhili.org.division_code import PATTERN


class DivisionRef(BaseModel):
    """A division named in passing (a breadcrumb, a parent)."""

    code: str
    name: str
    level: str


class DivisionRead(DivisionRef):
    """A division with its place in the tree."""

    model_config = ConfigDict(from_attributes=True)

    parent_code: str | None
    is_synthetic: bool
    source: str
    has_geometry: bool
    bbox: tuple[float, float, float, float] | None
    path: list[DivisionRef] = Field(description="ancestors from the province down, then the division itself")
    child_count: int


class LocateRead(BaseModel):
    """Where a point lies: the chain of divisions from the province down to the finest found."""

    lon: float
    lat: float
    chain: list[DivisionRef]


class PlaceMatch(BaseModel):
    """A division matched by a place name, best first."""

    division: DivisionRef
    path: list[DivisionRef]
    score: float


class DepartmentRead(BaseModel):
    """A concrete unit: a department kind serving a division."""

    id: int
    kind_code: str
    kind_name_zh: str
    kind_name_en: str
    division_code: str
    division_name: str
    name: str


class PositionRead(BaseModel):
    """A role a person holds, where, and who supervises it."""

    id: int
    role: str
    division_code: str
    division_name: str
    department_id: int | None
    department_name: str | None
    supervisor_position_id: int | None
    supervisor_name: str | None
    title: str | None


class PersonRead(BaseModel):
    """A person and the positions of theirs that the caller may see."""

    id: int
    name: str
    phone: str | None
    positions: list[PositionRead]


class PositionCreate(BaseModel):
    """A post to give a person."""

    model_config = ConfigDict(extra="forbid")

    role: Line = Field(min_length=2, max_length=30)
    division_code: str | None = Field(default=None, pattern=PATTERN)
    department_id: Id | None = None
    supervisor_position_id: Id | None = None
    title: Name | None = Field(default=None, max_length=80)


class PersonCreate(BaseModel):
    """A new person with their first post."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(max_length=60)
    phone: str | None = Field(default=None, pattern=r"^\+?\d{5,20}$")
    email: Line | None = Field(default=None, max_length=200, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$")
    position: PositionCreate


class PositionMove(BaseModel):
    """Where a post moves to: a unit (a department post) or a place of the same level (a territorial post)."""

    model_config = ConfigDict(extra="forbid")

    division_code: str | None = Field(default=None, pattern=PATTERN)
    department_id: Id | None = None


class PersonUpdate(BaseModel):
    """Contact details that may change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, max_length=60)
    phone: str | None = Field(default=None, pattern=r"^\+?\d{5,20}$")
    email: Line | None = Field(default=None, max_length=200, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$")

    @field_validator("name")
    @classmethod
    def _name_cannot_be_removed(cls, value: str | None) -> str:
        # Phone and e-mail may be cleared with null; a person always keeps a name.
        if value is None:
            message = "name cannot be null"
            raise ValueError(message)
        return value


class GridContactSet(BaseModel):
    """Name a department's contact officer for a grid (两网融合)."""

    model_config = ConfigDict(extra="forbid")

    department_id: Id
    position_id: Id


class ContactCandidate(BaseModel):
    """A unit's officer who may be named a grid's contact (两网融合), as the form offers them."""

    unit_id: int
    unit_name: str
    position_id: int
    person_name: str


class GridContactRead(BaseModel):
    """A department's contact officer for a grid."""

    grid_code: str
    department_id: int
    department_name: str
    position_id: int
    person_name: str
    phone: str | None


class DepartmentGridRead(BaseModel):
    """A department's own grid (两网融合) and the community grids it covers, with their contacts."""

    id: int
    name: str
    grid_codes: list[str]
    contacts: list[str] = Field(description="names of the contact officers named for those grids")


class ZoneRead(BaseModel):
    """A 1+X zone: the leading division and its members."""

    id: int
    name: str
    leading: DivisionRef
    members: list[DivisionRef]


class DepartmentKindRead(BaseModel):
    """A kind of department and the levels it has units at."""

    code: str
    name_zh: str
    name_en: str
    levels: list[str]


class EnforcementItemRead(BaseModel):
    """An enforcement power and the level that exercises it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    kind_code: str
    name_zh: str
    name_en: str
    legal_basis: str
    exercised_level: str


class ImportedGrid(BaseModel):
    """A grid a boundary file inserted or redrew, with its village."""

    code: str
    name: str
    village_code: str
    village_name: str


class GridImportRead(BaseModel):
    """What a grid boundary import did: the grids inserted and those redrawn, in file order."""

    source: str = Field(description="the file's name (the page) or `api` (the API), kept as the grids' source")
    inserted: list[ImportedGrid]
    updated: list[ImportedGrid]
