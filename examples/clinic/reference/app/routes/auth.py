from __future__ import annotations

from fastapi import APIRouter, status

from app.schemas import LoginRequest, Patient, RegisterRequest, Token

from .deps import Auth

router = APIRouter(tags=["auth"])


@router.post("/auth/register", operation_id="registerPatient", status_code=status.HTTP_201_CREATED)
def register_patient(body: RegisterRequest, auth: Auth) -> Patient:
    return Patient.model_validate(auth.register(**body.model_dump()))


@router.post("/auth/login", operation_id="login")
def login(body: LoginRequest, auth: Auth) -> Token:
    return Token.model_validate(auth.login(email=body.email, password=body.password))
