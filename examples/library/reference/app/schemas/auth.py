from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.common import RequestBody, Text, UtcDateTime


def _email() -> Text:
    return Text(required=True, validate=[validate.Length(max=254), validate.Email()])


class RegisterSchema(RequestBody):
    email = _email()
    password = Text(required=True, validate=validate.Length(min=8, max=128))
    full_name = Text(data_key="fullName", required=True, validate=validate.Length(min=1, max=120))


class LoginSchema(RequestBody):
    email = _email()
    password = Text(required=True, validate=validate.Length(min=1, max=128))


class MemberSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String(data_key="fullName")
    role = fields.String()
    created_at = UtcDateTime(data_key="createdAt")


class TokenSchema(Schema):
    """Dumps an auth.Token."""

    access_token = fields.String(data_key="accessToken")
    token_type = fields.Constant("Bearer", data_key="tokenType")
    expires_in = fields.Integer(data_key="expiresIn")
