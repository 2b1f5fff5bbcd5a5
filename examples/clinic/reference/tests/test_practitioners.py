"""The practitioner directory: list, create, get, update, delete."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

NEW = {"fullName": "Dr Ada Lovelace", "specialty": "cardiology", "licenseNumber": "GM-104233", "bio": "Hearts."}


def test_list_is_public_ordered_by_name_and_paginated(api, client, expect) -> None:
    for name in ("Dr Carol", "dr alice", "Dr Bob"):
        api.practitioner(name)
    page = expect(client.get("/practitioners"), "listPractitioners", 200)
    assert [p["fullName"] for p in page["items"]] == ["Dr Bob", "Dr Carol", "dr alice"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    page = expect(client.get("/practitioners", params={"limit": 1, "offset": 1}), "listPractitioners", 200)
    assert [p["fullName"] for p in page["items"]] == ["Dr Carol"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    page = expect(client.get("/practitioners", params={"offset": 5}), "listPractitioners", 200)
    assert page["items"] == []
    assert page["total"] == 3


def test_list_filters(api, client, expect) -> None:
    api.practitioner("Dr Heart", specialty="cardiology")
    api.practitioner("Dr Skin", specialty="dermatology")
    retired = api.practitioner("Dr Retired", specialty="cardiology")
    patch = client.patch(f"/practitioners/{retired['id']}", json={"active": False}, headers=api.staff)
    expect(patch, "updatePractitioner", 200)

    def names(**params: object) -> list[str]:
        page = expect(client.get("/practitioners", params=params), "listPractitioners", 200)
        return [p["fullName"] for p in page["items"]]

    assert names() == ["Dr Heart", "Dr Skin"]  # active only by default
    assert names(specialty="cardiology") == ["Dr Heart"]
    assert names(active="false") == ["Dr Retired"]
    assert names(q="SKI") == ["Dr Skin"]
    assert names(q="%") == []  # a substring, not a pattern
    assert names(q="dr", specialty="dermatology") == ["Dr Skin"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"specialty": "surgery"},
        {"q": ""},
        {"q": "x" * 101},
        {"active": "maybe"},
    ],
)
def test_list_validates_the_query(client, expect, params) -> None:
    error = expect(client.get("/practitioners", params=params), "listPractitioners", 400)
    assert error["details"][0]["field"] == f"query.{next(iter(params))}"


def test_create_and_get(api, client, expect) -> None:
    created = expect(client.post("/practitioners", json=NEW, headers=api.staff), "createPractitioner", 201)
    assert created["active"] is True
    assert {key: created[key] for key in NEW} == NEW
    assert expect(client.get(f"/practitioners/{created['id']}"), "getPractitioner", 200) == created


def test_create_without_a_bio(api, client, expect) -> None:
    body = {key: value for key, value in NEW.items() if key != "bio"}
    assert expect(client.post("/practitioners", json=body, headers=api.staff), "createPractitioner", 201)["bio"] is None


def test_create_is_for_staff(api, client, expect) -> None:
    error = expect(client.post("/practitioners", json=NEW, headers=api.patient().headers), "createPractitioner", 403)
    assert error["code"] == "forbidden"
    assert expect(client.get("/practitioners"), "listPractitioners", 200)["total"] == 0


def test_create_with_a_registered_license_number_conflicts(api, client, expect) -> None:
    expect(client.post("/practitioners", json=NEW, headers=api.staff), "createPractitioner", 201)
    again = {**NEW, "fullName": "Dr Someone Else"}
    assert expect(client.post("/practitioners", json=again, headers=api.staff), "createPractitioner", 409)["code"] == (
        "conflict"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"licenseNumber": "gm-104233"},
        {"licenseNumber": "GM-10423"},
        {"specialty": "surgery"},
        {"fullName": ""},
        {"bio": "x" * 2001},
        {"bio": None},
        {"active": False},
        {"fullName": None},
    ],
)
def test_create_validates_the_body(api, client, expect, change) -> None:
    expect(client.post("/practitioners", json={**NEW, **change}, headers=api.staff), "createPractitioner", 400)


def test_get_unknown_or_malformed_ids(client, expect) -> None:
    expect(client.get(f"/practitioners/{uuid.uuid4()}"), "getPractitioner", 404)
    error = expect(client.get("/practitioners/42"), "getPractitioner", 400)
    assert error["details"][0]["field"] == "path.practitionerId"


def test_update_changes_only_the_given_fields(api, client, expect) -> None:
    practitioner = api.practitioner(bio="Before.")
    url = f"/practitioners/{practitioner['id']}"
    changed = expect(client.patch(url, json={"specialty": "pediatrics"}, headers=api.staff), "updatePractitioner", 200)
    assert changed == {**practitioner, "specialty": "pediatrics"}
    changed = expect(
        client.patch(url, json={"bio": None, "active": False}, headers=api.staff), "updatePractitioner", 200
    )
    assert (changed["bio"], changed["active"]) == (None, False)
    assert expect(client.get(url), "getPractitioner", 200) == changed


@pytest.mark.parametrize(
    "body", [{}, {"fullName": None}, {"active": "yes"}, {"licenseNumber": "X"}, {"id": str(uuid.uuid4())}, []]
)
def test_update_validates_the_body(api, client, expect, body) -> None:
    practitioner = api.practitioner()
    response = client.patch(f"/practitioners/{practitioner['id']}", json=body, headers=api.staff)
    expect(response, "updatePractitioner", 400)


def test_update_is_for_staff(api, client, expect) -> None:
    practitioner = api.practitioner()
    response = client.patch(f"/practitioners/{practitioner['id']}", json={"bio": "x"}, headers=api.patient().headers)
    expect(response, "updatePractitioner", 403)


def test_update_unknown_or_malformed_ids(api, client, expect) -> None:
    expect(
        client.patch(f"/practitioners/{uuid.uuid4()}", json={"bio": "x"}, headers=api.staff), "updatePractitioner", 404
    )
    expect(client.patch("/practitioners/42", json={"bio": "x"}, headers=api.staff), "updatePractitioner", 400)


def test_update_to_a_registered_license_number_conflicts(api, client, expect) -> None:
    first, second = api.practitioner(), api.practitioner()
    body = {"licenseNumber": first["licenseNumber"]}
    expect(client.patch(f"/practitioners/{second['id']}", json=body, headers=api.staff), "updatePractitioner", 409)
    assert expect(client.get(f"/practitioners/{second['id']}"), "getPractitioner", 200) == second


def test_delete_removes_the_practitioner_and_their_slots(api, client, expect) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"])
    expect(client.delete(f"/practitioners/{practitioner['id']}", headers=api.staff), "deletePractitioner", 204)
    expect(client.get(f"/practitioners/{practitioner['id']}"), "getPractitioner", 404)
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 404)


def test_delete_is_for_staff(api, client, expect) -> None:
    practitioner = api.practitioner()
    response = client.delete(f"/practitioners/{practitioner['id']}", headers=api.patient().headers)
    expect(response, "deletePractitioner", 403)


def test_delete_unknown_or_malformed_ids(api, client, expect) -> None:
    expect(client.delete(f"/practitioners/{uuid.uuid4()}", headers=api.staff), "deletePractitioner", 404)
    # deletePractitioner documents no 400: an id that is no UUID names no practitioner.
    expect(client.delete("/practitioners/42", headers=api.staff), "deletePractitioner", 404)


def test_delete_with_a_confirmed_booking_ahead_conflicts(api, client, expect) -> None:
    practitioner = api.practitioner()
    booking = api.book(api.patient(), api.slot(practitioner["id"])["id"])
    url = f"/practitioners/{practitioner['id']}"
    error = expect(client.delete(url, headers=api.staff), "deletePractitioner", 409)
    assert error["code"] == "conflict"
    assert expect(client.get(url), "getPractitioner", 200) == practitioner  # still active
    expect(client.post(f"/bookings/{booking['id']}/cancel", headers=api.staff), "cancelBooking", 200)
    expect(client.delete(url, headers=api.staff), "deletePractitioner", 204)


def test_delete_once_the_bookings_are_over(api, client, expect, clock) -> None:
    practitioner = api.practitioner()
    patient = api.patient()
    booking = api.book(patient, api.slot(practitioner["id"], starts_in=timedelta(hours=30))["id"])
    clock.advance(timedelta(hours=31))
    expect(client.delete(f"/practitioners/{practitioner['id']}", headers=api.staff), "deletePractitioner", 204)
    expect(client.get(f"/bookings/{booking['id']}", headers=patient.headers), "getBooking", 404)
