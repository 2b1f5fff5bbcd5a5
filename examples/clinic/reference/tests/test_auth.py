"""registerPatient and login, and bearer tokens on every protected operation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from app.main import create_app
from app.services import TokenCodec
from fastapi.testclient import TestClient

PASSWORD = "correct-horse-battery"
REGISTRATION = {
    "email": "ann@example.com",
    "password": PASSWORD,
    "fullName": "Ann Patient",
    "dateOfBirth": "1990-04-01",
    "phone": "+441632960961",
}


def test_register_creates_a_patient(client, expect) -> None:
    patient = expect(client.post("/auth/register", json=REGISTRATION), "registerPatient", 201)
    assert patient["email"] == "ann@example.com"
    assert patient["fullName"] == "Ann Patient"
    assert patient["dateOfBirth"] == "1990-04-01"
    assert patient["phone"] == "+441632960961"
    assert "password" not in str(patient).lower()


def test_register_without_a_phone(client, expect) -> None:
    body = {key: value for key, value in REGISTRATION.items() if key != "phone"}
    assert expect(client.post("/auth/register", json=body), "registerPatient", 201)["phone"] is None


def test_register_twice_conflicts_whatever_the_case_of_the_email(client, expect) -> None:
    expect(client.post("/auth/register", json=REGISTRATION), "registerPatient", 201)
    again = {**REGISTRATION, "email": "ANN@example.com"}
    assert expect(client.post("/auth/register", json=again), "registerPatient", 409)["code"] == "conflict"


def test_the_staff_email_cannot_be_registered(api, client, expect) -> None:
    body = {**REGISTRATION, "email": api.staff_email}
    expect(client.post("/auth/register", json=body), "registerPatient", 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "01632 960961"}, "body.phone"),
        ({"phone": None}, "body.phone"),
        ({"email": "not-an-email"}, "body.email"),
        ({"email": "a" * 250 + "@x.io"}, "body.email"),
        ({"password": "short"}, "body.password"),
        ({"password": "x" * 129}, "body.password"),
        ({"fullName": ""}, "body.fullName"),
        ({"fullName": "x" * 121}, "body.fullName"),
        ({"dateOfBirth": "01/04/1990"}, "body.dateOfBirth"),
        ({"dateOfBirth": "1990-02-30"}, "body.dateOfBirth"),
        ({"role": "staff"}, "body.role"),
        ({"full_name": "Ann"}, "body.full_name"),
        ({"email": None}, "body.email"),
    ],
)
def test_register_validates_the_body(client, expect, change, field) -> None:
    error = expect(client.post("/auth/register", json={**REGISTRATION, **change}), "registerPatient", 400)
    assert error["code"] == "validation_error"
    assert field in [detail["field"] for detail in error["details"]]


def test_register_needs_every_required_field(client, expect) -> None:
    error = expect(client.post("/auth/register", json={}), "registerPatient", 400)
    assert {detail["field"] for detail in error["details"]} == {
        "body.email",
        "body.password",
        "body.fullName",
        "body.dateOfBirth",
    }


def test_register_refuses_what_is_not_json(client, expect) -> None:
    response = client.post("/auth/register", content=b"{not json", headers={"Content-Type": "application/json"})
    expect(response, "registerPatient", 400)
    expect(client.post("/auth/register", json=["a list"]), "registerPatient", 400)


def test_login_returns_a_bearer_token(api, client, expect) -> None:
    patient = api.patient()
    token = expect(client.post("/auth/login", json={"email": patient.email, "password": PASSWORD}), "login", 200)
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 30 * 60
    assert token["role"] == "patient"
    expect(client.get("/bookings", headers=api.bearer(token["accessToken"])), "listBookings", 200)


def test_the_staff_account_from_the_environment_can_log_in(api, client, expect) -> None:
    body = {"email": api.staff_email.upper(), "password": api.staff_password}
    assert expect(client.post("/auth/login", json=body), "login", 200)["role"] == "staff"


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "patient1@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
def test_login_with_wrong_credentials(api, client, expect, credentials) -> None:
    api.patient()
    error = expect(client.post("/auth/login", json=credentials), "login", 401)
    assert error["code"] == "unauthorized"


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "ann@example.com"}, {"email": "ann@example.com", "password": ""}, {"email": 1, "password": "x"}],
)
def test_login_validates_the_body(client, expect, body) -> None:
    expect(client.post("/auth/login", json=body), "login", 400)


def test_protected_operations_need_a_valid_token(api, client, expect, settings) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"])
    booking = api.book(api.patient(), slot["id"])
    p, s, b = practitioner["id"], slot["id"], booking["id"]
    unknown_account = TokenCodec(settings.secret_key, timedelta(minutes=5)).issue(uuid.uuid4(), "staff")
    expired = TokenCodec(settings.secret_key, timedelta(seconds=-1)).issue(uuid.uuid4(), "staff")
    other_key = TokenCodec("another-secret-key-that-is-long-enough-too", timedelta(minutes=5)).issue(
        uuid.uuid4(), "staff"
    )
    for headers in (
        {},
        api.bearer("not-a-token"),
        api.bearer(unknown_account),
        api.bearer(expired),
        api.bearer(other_key),
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": api.staff["Authorization"].removeprefix("Bearer ")},
    ):
        expect(client.post("/practitioners", json={}, headers=headers), "createPractitioner", 401)
        expect(client.patch(f"/practitioners/{p}", json={}, headers=headers), "updatePractitioner", 401)
        expect(client.delete(f"/practitioners/{p}", headers=headers), "deletePractitioner", 401)
        expect(client.post(f"/practitioners/{p}/slots", json={}, headers=headers), "createSlot", 401)
        expect(client.delete(f"/slots/{s}", headers=headers), "deleteSlot", 401)
        expect(client.get("/bookings", headers=headers), "listBookings", 401)
        expect(client.post("/bookings", json={}, headers=headers), "createBooking", 401)
        expect(client.get(f"/bookings/{b}", headers=headers), "getBooking", 401)
        expect(client.post(f"/bookings/{b}/cancel", headers=headers), "cancelBooking", 401)
    # Nothing changed.
    assert expect(client.get(f"/bookings/{b}", headers=api.staff), "getBooking", 200)["status"] == "confirmed"


def test_a_new_app_on_the_same_database_keeps_its_accounts(settings, expect) -> None:
    staff = {"email": settings.staff_email, "password": settings.staff_password}
    with TestClient(create_app(settings)) as client:
        expect(client.post("/auth/register", json=REGISTRATION), "registerPatient", 201)
    with TestClient(create_app(settings)) as client:  # start-up again: tables and staff account already there
        expect(client.post("/auth/login", json={"email": REGISTRATION["email"], "password": PASSWORD}), "login", 200)
        expect(client.post("/auth/login", json=staff), "login", 200)
