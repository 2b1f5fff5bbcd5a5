from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from app.routes.security import login_required
from app.schemas.common import page_of
from app.schemas.reservations import ReservationCreateSchema, ReservationQuerySchema, ReservationSchema
from app.services import reservations

bp = Blueprint("reservations", __name__, url_prefix="/reservations")


@bp.get("")
@login_required
def list_reservations() -> Any:
    params = ReservationQuerySchema().load(request.args)
    page = reservations.list_reservations(
        g.member,
        status=params.get("status"),
        book_id=params.get("book_id"),
        page=params["page"],
        page_size=params["page_size"],
    )
    return page_of(ReservationSchema(), page)


@bp.post("")
@login_required
def create_reservation() -> Any:
    data = ReservationCreateSchema().load(request.get_json(silent=True))
    return ReservationSchema().dump(reservations.reserve(g.member, **data)), 201


@bp.delete("/<int:reservation_id>")
@login_required
def cancel_reservation(reservation_id: int) -> Any:
    reservations.cancel(g.member, reservation_id)
    return "", 204
