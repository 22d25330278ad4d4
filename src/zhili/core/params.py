"""Shared request parameter types: bounded ids and text without control characters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from zhili.core.text import Line

# Ids are 32-bit on every backend; a larger number cannot name anything and must not reach SQL.
MAX_ID = 2**31 - 1
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"

Id = Annotated[int, Field(gt=0, le=MAX_ID)]
IdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
IdQuery = Annotated[int, Query(gt=0, le=MAX_ID)]
# A name a person types: one line under the text policy (`core.text`).
Name = Line
