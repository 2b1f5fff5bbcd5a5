from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AliasPath, Field, field_validator

from .common import Day, Email, FullName, Phone, RequestModel, ResponseModel, Role, not_null


class RegisterRequest(RequestModel):
    email: Email
    password: str = Field(min_length=10, max_length=128)
    full_name: FullName
    date_of_birth: Day
    phone: Phone | None = None

    _phone_not_null = field_validator("phone")(not_null)


class LoginRequest(RequestModel):
    email: Email
    password: str = Field(min_length=1, max_length=128)


class Token(ResponseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(gt=0)
    role: Role


class Patient(ResponseModel):
    """A patient profile; its email and creation time are its account's."""

    id: uuid.UUID
    email: str = Field(validation_alias=AliasPath("account", "email"))
    full_name: str
    date_of_birth: date
    phone: str | None
    created_at: datetime = Field(validation_alias=AliasPath("account", "created_at"))
