"""Tables of the organisation: divisions (块), departments (条), people, positions and their links."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base


class DepartmentKind(Base):
    """A kind of department (traffic police, 人社 ...) from the catalog, with the levels it exists at."""

    __tablename__ = "department_kinds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    unit_suffix_zh: Mapped[str] = mapped_column(String(30))
    levels: Mapped[str] = mapped_column(String(60))
    sort_order: Mapped[int] = mapped_column(Integer)


class Division(Base):
    """A territorial unit: province, city, county, township, village, grid or micro-grid.

    Codes nest by prefix (county 330825 → township 330825101 → village 330825101201 →
    grid 330825101201001), so a block (division subtree) is a prefix match.
    """

    __tablename__ = "divisions"
    __table_args__ = (Index("ix_divisions_parent_level", "parent_code", "level"),)

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    level: Mapped[str] = mapped_column(String(12), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"))
    geometry: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(120))
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)


class Department(Base):
    """A concrete unit: a department kind serving one city, county or township."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("kind_code", "division_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind_code: Mapped[str] = mapped_column(ForeignKey("department_kinds.code"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))


class Person(Base):
    """A person who holds one or more positions."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))


class Position(Base):
    """A role held by a person in a division or a department, with a supervisor position.

    `division_code` is always set: for a department post it is the department's division,
    so a scope filter needs only these two columns.
    """

    __tablename__ = "positions"
    __table_args__ = (Index("ix_positions_division_role", "division_code", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(30), index=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(80))


class Household(Base):
    """A household in a grid, linked to the party member who looks after it (联户)."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    head_name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(200))
    member_position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), index=True)


class Zone(Base):
    """A 片区 ("1+X"): a leading town and the small townships it leads."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    leading_division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))


class ZoneMember(Base):
    """A division that belongs to a zone (the leading division is a member too)."""

    __tablename__ = "zone_members"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True)


class DepartmentGrid(Base):
    """A department's own grid (e.g. a traffic-police grid) in the two-net merger (两网融合)."""

    __tablename__ = "department_grids"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))


class DepartmentGridCell(Base):
    """A community grid covered by a department grid."""

    __tablename__ = "department_grid_cells"

    department_grid_id: Mapped[int] = mapped_column(ForeignKey("department_grids.id"), primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True)


class GridContact(Base):
    """The contact officer a department names for a community grid ("每个网格确定1名联系交警")."""

    __tablename__ = "grid_contacts"

    grid_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)


class EnforcementItem(Base):
    """An enforcement power of a department kind and the level that exercises it (一支队伍管执法)."""

    __tablename__ = "enforcement_items"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind_code: Mapped[str] = mapped_column(ForeignKey("department_kinds.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    exercised_level: Mapped[str] = mapped_column(String(12))


class GeometryRevision(Base):
    """A counter bumped whenever polygons change, so cached point locators know to rebuild."""

    __tablename__ = "geometry_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
