from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.schemas import Practitioner, PractitionerCreate, PractitionerPage, PractitionerQuery, PractitionerUpdate
from app.services import NotFound

from .deps import STAFF_ONLY, PractitionerId, Practitioners, parse_id

router = APIRouter(tags=["practitioners"])


@router.get("/practitioners", operation_id="listPractitioners")
def list_practitioners(query: Annotated[PractitionerQuery, Query()], service: Practitioners) -> PractitionerPage:
    page = service.search(
        active=query.active, specialty=query.specialty, name_contains=query.q, limit=query.limit, offset=query.offset
    )
    return PractitionerPage.of(page.items, page.total, query)


@router.post(
    "/practitioners", operation_id="createPractitioner", status_code=status.HTTP_201_CREATED, dependencies=STAFF_ONLY
)
def create_practitioner(body: PractitionerCreate, service: Practitioners) -> Practitioner:
    return Practitioner.model_validate(service.create(**body.model_dump()))


@router.get("/practitioners/{practitionerId}", operation_id="getPractitioner")
def get_practitioner(practitioner_id: PractitionerId, service: Practitioners) -> Practitioner:
    return Practitioner.model_validate(service.get(practitioner_id))


@router.patch("/practitioners/{practitionerId}", operation_id="updatePractitioner", dependencies=STAFF_ONLY)
def update_practitioner(
    practitioner_id: PractitionerId, body: PractitionerUpdate, service: Practitioners
) -> Practitioner:
    return Practitioner.model_validate(service.update(practitioner_id, body.changes()))


@router.delete(
    "/practitioners/{practitionerId}",
    operation_id="deletePractitioner",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=STAFF_ONLY,
)
def delete_practitioner(
    practitioner_id: Annotated[str, Path(alias="practitionerId")], service: Practitioners
) -> Response:
    # The contract documents no 400 here: an id that is no UUID names no practitioner.
    key = parse_id(practitioner_id)
    if key is None:
        raise NotFound("No practitioner has this id.")
    service.delete(key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
