from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.schemas import Slot, SlotCreate, SlotPage, SlotQuery

from .deps import STAFF_ONLY, PractitionerId, SlotId, Slots

router = APIRouter(tags=["slots"])


@router.get("/practitioners/{practitionerId}/slots", operation_id="listPractitionerSlots")
def list_practitioner_slots(
    practitioner_id: PractitionerId, query: Annotated[SlotQuery, Query()], service: Slots
) -> SlotPage:
    page = service.search(
        practitioner_id,
        status=query.status,
        starts_from=query.from_,
        starts_before=query.to,
        limit=query.limit,
        offset=query.offset,
    )
    return SlotPage.of(page.items, page.total, query)


@router.post(
    "/practitioners/{practitionerId}/slots",
    operation_id="createSlot",
    status_code=status.HTTP_201_CREATED,
    dependencies=STAFF_ONLY,
)
def create_slot(practitioner_id: PractitionerId, body: SlotCreate, service: Slots) -> Slot:
    return Slot.model_validate(service.create(practitioner_id, starts_at=body.starts_at, ends_at=body.ends_at))


@router.delete(
    "/slots/{slotId}", operation_id="deleteSlot", status_code=status.HTTP_204_NO_CONTENT, dependencies=STAFF_ONLY
)
def delete_slot(slot_id: SlotId, service: Slots) -> Response:
    service.withdraw(slot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
