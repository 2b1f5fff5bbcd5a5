"""Booking, listing, reading and cancelling; double booking and the 24-hour rule."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

DAY = timedelta(days=1)


def test_book_an_open_slot(api, client, expect) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"])
    patient = api.patient()
    body = {"slotId": slot["id"], "reason": "Persistent cough"}
    booking = expect(client.post("/bookings", json=body, headers=patient.headers), "createBooking", 201)
    assert booking["slotId"] == slot["id"]
    assert booking["patientId"] == patient.id
    assert booking["practitionerId"] == practitioner["id"]
    assert (booking["startsAt"], booking["endsAt"]) == (slot["startsAt"], slot["endsAt"])
    assert (booking["status"], booking["reason"]) == ("confirmed", "Persistent cough")
    assert (booking["cancelledAt"], booking["cancelReason"]) == (None, None)
    page = client.get(f"/practitioners/{practitioner['id']}/slots", params={"status": "booked"})
    assert expect(page, "listPractitionerSlots", 200)["items"] == [{**slot, "status": "booked"}]


def test_a_slot_is_never_booked_twice(api, client, expect) -> None:
    slot = api.slot(api.practitioner()["id"])
    first, second = api.patient(), api.patient()
    api.book(first, slot["id"])
    body = {"slotId": slot["id"], "reason": "Checkup"}
    error = expect(client.post("/bookings", json=body, headers=second.headers), "createBooking", 409)
    assert error["code"] == "conflict"
    expect(client.post("/bookings", json=body, headers=first.headers), "createBooking", 409)


def test_a_slot_is_never_booked_twice_even_at_once(api, client) -> None:
    slot = api.slot(api.practitioner()["id"])
    patients = [api.patient() for _ in range(6)]
    body = {"slotId": slot["id"], "reason": "Checkup"}
    with ThreadPoolExecutor(max_workers=len(patients)) as pool:
        statuses = sorted(
            pool.map(lambda p: client.post("/bookings", json=body, headers=p.headers).status_code, patients)
        )
    assert statuses == [201] + [409] * (len(patients) - 1)
    bookings = client.get("/bookings", headers=api.staff).json()
    assert bookings["total"] == 1


def test_a_patient_cannot_be_in_two_places_at_once(api, client, expect) -> None:
    patient = api.patient()
    api.book(patient, api.slot(api.practitioner()["id"], starts_in=DAY, minutes=60)["id"])
    overlapping = api.slot(api.practitioner()["id"], starts_in=DAY + timedelta(minutes=30), minutes=60)
    body = {"slotId": overlapping["id"], "reason": "Second opinion"}
    expect(client.post("/bookings", json=body, headers=patient.headers), "createBooking", 409)
    # The refused booking left the slot open for someone else.
    api.book(api.patient(), overlapping["id"])


def test_a_slot_that_has_started_cannot_be_booked(api, client, expect, clock) -> None:
    slot = api.slot(api.practitioner()["id"], starts_in=timedelta(hours=1))
    clock.advance(timedelta(hours=1, minutes=5))
    body = {"slotId": slot["id"], "reason": "Too late"}
    expect(client.post("/bookings", json=body, headers=api.patient().headers), "createBooking", 409)


def test_staff_cannot_book(api, client, expect) -> None:
    slot = api.slot(api.practitioner()["id"])
    body = {"slotId": slot["id"], "reason": "Checkup"}
    assert expect(client.post("/bookings", json=body, headers=api.staff), "createBooking", 403)["code"] == "forbidden"


def test_book_an_unknown_slot(api, client, expect) -> None:
    body = {"slotId": str(uuid.uuid4()), "reason": "Checkup"}
    assert expect(client.post("/bookings", json=body, headers=api.patient().headers), "createBooking", 404)["code"] == (
        "not_found"
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"slotId": "not-a-uuid", "reason": "Checkup"},
        {"slotId": "00000000000000000000000000000000", "reason": "Checkup"},
        {"reason": "Checkup"},
        {"slotId": "3f1c2a3e-8d34-4f6a-9a55-6a4b1f0f3c10", "reason": "no"},
        {"slotId": "3f1c2a3e-8d34-4f6a-9a55-6a4b1f0f3c10", "reason": "x" * 501},
        {"slotId": "3f1c2a3e-8d34-4f6a-9a55-6a4b1f0f3c10", "reason": "Checkup", "patientId": "me"},
    ],
)
def test_book_validates_the_body(api, client, expect, body) -> None:
    expect(client.post("/bookings", json=body, headers=api.patient().headers), "createBooking", 400)


def test_patients_list_their_own_bookings_and_staff_all(api, client, expect) -> None:
    first, second = api.practitioner("Dr First"), api.practitioner("Dr Second")
    ann, bob = api.patient("Ann"), api.patient("Bob")
    later = api.book(ann, api.slot(first["id"], starts_in=3 * DAY)["id"])
    sooner = api.book(ann, api.slot(second["id"], starts_in=2 * DAY)["id"])
    bobs = api.book(bob, api.slot(first["id"], starts_in=4 * DAY)["id"])

    def ids(headers: dict[str, str], **params: object) -> list[str]:
        page = expect(client.get("/bookings", headers=headers, params=params), "listBookings", 200)
        return [booking["id"] for booking in page["items"]]

    assert ids(ann.headers) == [sooner["id"], later["id"]]  # by start time
    assert ids(bob.headers) == [bobs["id"]]
    assert ids(api.staff) == [sooner["id"], later["id"], bobs["id"]]
    assert ids(api.staff, practitionerId=first["id"]) == [later["id"], bobs["id"]]
    assert ids(api.staff, **{"from": later["startsAt"]}) == [later["id"], bobs["id"]]
    assert ids(api.staff, to=later["startsAt"]) == [sooner["id"]]
    assert ids(api.staff, limit=1, offset=2) == [bobs["id"]]
    expect(client.post(f"/bookings/{later['id']}/cancel", headers=ann.headers), "cancelBooking", 200)
    assert ids(ann.headers, status="confirmed") == [sooner["id"]]
    assert ids(ann.headers, status="cancelled") == [later["id"]]
    assert ids(bob.headers, status="cancelled") == []
    page = expect(client.get("/bookings", headers=api.staff, params={"limit": 2}), "listBookings", 200)
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)


@pytest.mark.parametrize(
    "params",
    [{"status": "pending"}, {"practitionerId": "42"}, {"from": "yesterday"}, {"to": "2030-01-01"}, {"limit": 0}],
)
def test_list_validates_the_query(api, client, expect, params) -> None:
    error = expect(client.get("/bookings", params=params, headers=api.patient().headers), "listBookings", 400)
    assert error["details"][0]["field"] == f"query.{next(iter(params))}"


def test_get_a_booking_as_its_patient_or_staff(api, client, expect) -> None:
    patient = api.patient()
    booking = api.book(patient, api.slot(api.practitioner()["id"])["id"])
    assert expect(client.get(f"/bookings/{booking['id']}", headers=patient.headers), "getBooking", 200) == booking
    assert expect(client.get(f"/bookings/{booking['id']}", headers=api.staff), "getBooking", 200) == booking


def test_get_another_patients_booking_is_forbidden(api, client, expect) -> None:
    booking = api.book(api.patient(), api.slot(api.practitioner()["id"])["id"])
    error = expect(client.get(f"/bookings/{booking['id']}", headers=api.patient().headers), "getBooking", 403)
    assert error["code"] == "forbidden"


def test_get_unknown_or_malformed_ids(api, client, expect) -> None:
    patient = api.patient()
    expect(client.get(f"/bookings/{uuid.uuid4()}", headers=patient.headers), "getBooking", 404)
    expect(client.get("/bookings/latest", headers=patient.headers), "getBooking", 400)


def test_cancel_reopens_the_slot(api, client, expect) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"], starts_in=2 * DAY)
    patient = api.patient()
    booking = api.book(patient, slot["id"])
    url = f"/bookings/{booking['id']}/cancel"
    cancelled = expect(
        client.post(url, json={"reason": "Feeling better"}, headers=patient.headers), "cancelBooking", 200
    )
    assert (cancelled["status"], cancelled["cancelReason"]) == ("cancelled", "Feeling better")
    assert cancelled["cancelledAt"] is not None
    assert {**cancelled, "status": "confirmed", "cancelledAt": None, "cancelReason": None} == booking
    page = expect(client.get(f"/practitioners/{practitioner['id']}/slots"), "listPractitionerSlots", 200)
    assert page["items"] == [slot]
    api.book(api.patient(), slot["id"])  # someone else can have it now


def test_cancel_without_a_body_or_reason(api, client, expect) -> None:
    patient = api.patient()
    for body in (None, {}):
        booking = api.book(patient, api.slot(api.practitioner()["id"])["id"])
        cancelled = expect(
            client.post(f"/bookings/{booking['id']}/cancel", json=body, headers=patient.headers), "cancelBooking", 200
        )
        assert cancelled["cancelReason"] is None


def test_patients_cancel_up_to_24_hours_ahead_staff_any_time(api, client, expect, clock) -> None:
    patient = api.patient()
    booking = api.book(patient, api.slot(api.practitioner()["id"], starts_in=DAY + timedelta(hours=1))["id"])
    url = f"/bookings/{booking['id']}/cancel"
    clock.advance(timedelta(hours=1, minutes=1))  # now less than 24 hours ahead
    error = expect(client.post(url, headers=patient.headers), "cancelBooking", 409)
    assert error["code"] == "conflict"
    assert expect(client.get(f"/bookings/{booking['id']}", headers=patient.headers), "getBooking", 200) == booking
    assert expect(client.post(url, headers=api.staff), "cancelBooking", 200)["status"] == "cancelled"


def test_a_booking_23_hours_ahead_cannot_be_cancelled_by_its_patient(api, client, expect) -> None:
    patient = api.patient()
    booking = api.book(patient, api.slot(api.practitioner()["id"], starts_in=timedelta(hours=23))["id"])
    expect(client.post(f"/bookings/{booking['id']}/cancel", headers=patient.headers), "cancelBooking", 409)


def test_cancel_twice_conflicts(api, client, expect) -> None:
    patient = api.patient()
    booking = api.book(patient, api.slot(api.practitioner()["id"])["id"])
    url = f"/bookings/{booking['id']}/cancel"
    expect(client.post(url, headers=patient.headers), "cancelBooking", 200)
    expect(client.post(url, headers=patient.headers), "cancelBooking", 409)
    expect(client.post(url, headers=api.staff), "cancelBooking", 409)


def test_cancel_another_patients_booking_is_forbidden(api, client, expect) -> None:
    booking = api.book(api.patient(), api.slot(api.practitioner()["id"])["id"])
    expect(client.post(f"/bookings/{booking['id']}/cancel", headers=api.patient().headers), "cancelBooking", 403)


def test_cancel_unknown_or_malformed_ids(api, client, expect) -> None:
    patient = api.patient()
    expect(client.post(f"/bookings/{uuid.uuid4()}/cancel", headers=patient.headers), "cancelBooking", 404)
    expect(client.post("/bookings/0/cancel", headers=patient.headers), "cancelBooking", 400)


@pytest.mark.parametrize("body", [{"reason": "x" * 501}, {"reason": None}, {"why": "no"}, ["reason"], "reason"])
def test_cancel_validates_the_body(api, client, expect, body) -> None:
    patient = api.patient()
    booking = api.book(patient, api.slot(api.practitioner()["id"])["id"])
    expect(client.post(f"/bookings/{booking['id']}/cancel", json=body, headers=patient.headers), "cancelBooking", 400)
