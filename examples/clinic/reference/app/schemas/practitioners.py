from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .common import FullName, LicenseNumber, Page, PageQuery, RequestModel, ResponseModel, Specialty, not_null

Bio = Annotated[str, StringConstraints(max_length=2000)]


class PractitionerQuery(PageQuery):
    specialty: Specialty | None = None
    q: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool = True


class PractitionerCreate(RequestModel):
    full_name: FullName
    specialty: Specialty
    license_number: LicenseNumber
    bio: Bio | None = None

    _bio_not_null = field_validator("bio")(not_null)


class PractitionerUpdate(RequestModel):
    """Some fields of a practitioner; ``bio: null`` clears the bio."""

    full_name: FullName | None = None
    specialty: Specialty | None = None
    license_number: LicenseNumber | None = None
    bio: Bio | None = None
    active: StrictBool | None = None

    _not_null = field_validator("full_name", "specialty", "license_number", "active")(not_null)

    @model_validator(mode="after")
    def _not_empty(self) -> PractitionerUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("min_properties", "Give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the request gave, by their model names."""
        return self.model_dump(include=self.model_fields_set)


class Practitioner(ResponseModel):
    id: uuid.UUID
    full_name: str
    specialty: Specialty
    license_number: str
    bio: str | None
    active: bool
    created_at: datetime


class PractitionerPage(Page[Practitioner]):
    pass
