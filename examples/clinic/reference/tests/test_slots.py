"""A practitioner's slots: list, publish, withdraw."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

DAY = timedelta(days=1)


def test_list_defaults_to_open_slots_in_the_next_14_days(api, client, expect) -> None:
    practitioner = api.practitioner()
    later = api.slot(practitioner["id"], starts_in=3 * DAY)
    sooner = api.slot(practitioner["id"], starts_in=1 * DAY)
    api.slot(practitioner["id"], starts_in=15 * DAY)
    booked = api.slot(practitioner["id"], starts_in=2 * DAY)
    api.book(api.patient(), booked["id"])
    page = expect(client.get(f"/practitioners/{practitioner['id']}/slots"), "listPractitionerSlots", 200)
    assert [slot["id"] for slot in page["items"]] == [sooner["id"], later["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)
    assert page["items"][0] == sooner


def test_list_window_status_and_pages(api, client, expect) -> None:
    practitioner = api.practitioner()
    url = f"/practitioners/{practitioner['id']}/slots"
    slots = [api.slot(practitioner["id"], starts_in=days * DAY) for days in (1, 2, 3, 20)]
    api.book(api.patient(), slots[1]["id"])

    def ids(**params: object) -> list[str]:
        page = expect(client.get(url, params=params), "listPractitionerSlots", 200)
        return [slot["id"] for slot in page["items"]]

    assert ids(**{"from": api.at(DAY + timedelta(hours=1))}) == [slots[2]["id"]]
    assert ids(to=slots[2]["startsAt"]) == [slots[0]["id"]]  # `to` is exclusive
    assert ids(**{"from": slots[0]["startsAt"], "to": api.at(30 * DAY)}) == [
        slots[0]["id"],
        slots[2]["id"],
        slots[3]["id"],
    ]
    assert ids(status="booked") == [slots[1]["id"]]
    assert ids(limit=1, offset=1) == [slots[2]["id"]]
    # Any offset, converted to UTC.
    start = slots[0]["startsAt"].replace("Z", "+00:00")
    assert ids(**{"from": start.replace("+00:00", "-01:00")}) == [slots[2]["id"]]


def test_list_withdrawn_slots(api, client, expect) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"])
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 204)
    url = f"/practitioners/{practitioner['id']}/slots"
    assert expect(client.get(url), "listPractitionerSlots", 200)["items"] == []
    page = expect(client.get(url, params={"status": "blocked"}), "listPractitionerSlots", 200)
    assert page["items"] == [{**slot, "status": "blocked"}]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "tomorrow"},
        {"from": "2030-01-01T10:00:00"},  # no time zone
        {"from": "2030-01-01"},
        {"to": "1700000000"},
        {"status": "closed"},
        {"limit": 1000},
        {"offset": "x"},
    ],
)
def test_list_validates_the_query(api, client, expect, params) -> None:
    practitioner = api.practitioner()
    response = client.get(f"/practitioners/{practitioner['id']}/slots", params=params)
    assert expect(response, "listPractitionerSlots", 400)["details"][0]["field"] == f"query.{next(iter(params))}"


def test_list_unknown_or_malformed_practitioner(client, expect) -> None:
    expect(client.get(f"/practitioners/{uuid.uuid4()}/slots"), "listPractitionerSlots", 404)
    expect(client.get("/practitioners/not-a-uuid/slots"), "listPractitionerSlots", 400)


def test_create_publishes_an_open_slot_in_utc(api, client, expect) -> None:
    practitioner = api.practitioner()
    body = {"startsAt": "2100-03-01T10:00:00+02:00", "endsAt": "2100-03-01T10:45:00.000+02:00"}
    url = f"/practitioners/{practitioner['id']}/slots"
    slot = expect(client.post(url, json=body, headers=api.staff), "createSlot", 201)
    assert slot["practitionerId"] == practitioner["id"]
    assert (slot["startsAt"], slot["endsAt"], slot["status"]) == (
        "2100-03-01T08:00:00Z",
        "2100-03-01T08:45:00Z",
        "open",
    )


@pytest.mark.parametrize(
    ("starts_in", "minutes"),
    [(DAY, 10), (DAY, 240), (timedelta(minutes=5), 30)],
)
def test_create_accepts_10_to_240_minutes(api, starts_in, minutes) -> None:
    api.slot(api.practitioner()["id"], starts_in=starts_in, minutes=minutes)


@pytest.mark.parametrize(
    ("starts_in", "minutes", "field"),
    [
        (DAY, 9, "body.endsAt"),
        (DAY, 241, "body.endsAt"),
        (DAY, 0, "body.endsAt"),
        (DAY, -30, "body.endsAt"),
        (-DAY, 30, None),  # in the past: the service's rule, no details
    ],
)
def test_create_refuses_bad_times(api, expect, starts_in, minutes, field) -> None:
    url = f"/practitioners/{api.practitioner()['id']}/slots"
    body = {"startsAt": api.at(starts_in), "endsAt": api.at(starts_in + timedelta(minutes=minutes))}
    error = expect(api.client.post(url, json=body, headers=api.staff), "createSlot", 400)
    assert error["code"] == "validation_error"
    assert [detail["field"] for detail in error.get("details", [])] == ([field] if field else [])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"startsAt": "2100-01-01T10:00:00Z"},
        {"startsAt": "2100-01-01T10:00:00", "endsAt": "2100-01-01T10:30:00"},
        {"startsAt": "2100-01-01T10:00:00Z", "endsAt": "2100-01-01T10:30:00Z", "status": "open"},
        {"startsAt": 4102480800, "endsAt": 4102482600},
    ],
)
def test_create_validates_the_body(api, client, expect, body) -> None:
    practitioner = api.practitioner()
    expect(client.post(f"/practitioners/{practitioner['id']}/slots", json=body, headers=api.staff), "createSlot", 400)


def test_create_is_for_staff(api, client, expect) -> None:
    practitioner = api.practitioner()
    body = {"startsAt": api.at(DAY), "endsAt": api.at(DAY + timedelta(minutes=30))}
    response = client.post(f"/practitioners/{practitioner['id']}/slots", json=body, headers=api.patient().headers)
    expect(response, "createSlot", 403)


def test_create_for_an_unknown_practitioner(api, client, expect) -> None:
    body = {"startsAt": api.at(DAY), "endsAt": api.at(DAY + timedelta(minutes=30))}
    expect(client.post(f"/practitioners/{uuid.uuid4()}/slots", json=body, headers=api.staff), "createSlot", 404)
    expect(client.post("/practitioners/nobody/slots", json=body, headers=api.staff), "createSlot", 400)


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [(0, 30), (-15, 30), (15, 30), (5, 10), (-60, 240)],
)
def test_create_overlapping_slots_conflict(api, client, expect, offset, minutes) -> None:
    practitioner = api.practitioner()
    api.slot(practitioner["id"], starts_in=DAY, minutes=30)
    start = DAY + timedelta(minutes=offset)
    body = {"startsAt": api.at(start), "endsAt": api.at(start + timedelta(minutes=minutes))}
    url = f"/practitioners/{practitioner['id']}/slots"
    assert expect(client.post(url, json=body, headers=api.staff), "createSlot", 409)["code"] == "conflict"


def test_adjacent_slots_and_other_practitioners_do_not_overlap(api) -> None:
    first, second = api.practitioner(), api.practitioner()
    api.slot(first["id"], starts_in=DAY, minutes=30)
    api.slot(first["id"], starts_in=DAY + timedelta(minutes=30), minutes=30)
    api.slot(first["id"], starts_in=DAY - timedelta(minutes=30), minutes=30)
    api.slot(second["id"], starts_in=DAY, minutes=30)


def test_a_withdrawn_slot_frees_its_time(api, client, expect) -> None:
    practitioner = api.practitioner()
    slot = api.slot(practitioner["id"], starts_in=DAY)
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 204)
    api.slot(practitioner["id"], starts_in=DAY)


def test_an_inactive_practitioner_gets_no_new_slots(api, client, expect) -> None:
    practitioner = api.practitioner()
    expect(
        client.patch(f"/practitioners/{practitioner['id']}", json={"active": False}, headers=api.staff),
        "updatePractitioner",
        200,
    )
    body = {"startsAt": api.at(DAY), "endsAt": api.at(DAY + timedelta(minutes=30))}
    expect(client.post(f"/practitioners/{practitioner['id']}/slots", json=body, headers=api.staff), "createSlot", 409)


def test_delete_withdraws_an_open_slot(api, client, expect) -> None:
    slot = api.slot(api.practitioner()["id"])
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 204)
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 204)  # already withdrawn
    response = client.post("/bookings", json={"slotId": slot["id"], "reason": "Checkup"}, headers=api.patient().headers)
    expect(response, "createBooking", 409)


def test_delete_a_booked_slot_conflicts(api, client, expect) -> None:
    slot = api.slot(api.practitioner()["id"])
    booking = api.book(api.patient(), slot["id"])
    error = expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 409)
    assert error["code"] == "conflict"
    expect(client.post(f"/bookings/{booking['id']}/cancel", headers=api.staff), "cancelBooking", 200)
    expect(client.delete(f"/slots/{slot['id']}", headers=api.staff), "deleteSlot", 204)


def test_delete_is_for_staff(api, client, expect) -> None:
    slot = api.slot(api.practitioner()["id"])
    expect(client.delete(f"/slots/{slot['id']}", headers=api.patient().headers), "deleteSlot", 403)


def test_delete_unknown_or_malformed_ids(api, client, expect) -> None:
    expect(client.delete(f"/slots/{uuid.uuid4()}", headers=api.staff), "deleteSlot", 404)
    error = expect(client.delete("/slots/1234", headers=api.staff), "deleteSlot", 400)
    assert error["details"][0]["field"] == "path.slotId"
