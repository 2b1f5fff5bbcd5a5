from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from app.schemas import Booking, BookingCreate, BookingPage, BookingQuery, CancelRequest

from .deps import BookingId, Bookings, CurrentAccount

router = APIRouter(tags=["bookings"])


@router.get("/bookings", operation_id="listBookings")
def list_bookings(query: Annotated[BookingQuery, Query()], account: CurrentAccount, service: Bookings) -> BookingPage:
    page = service.search(
        account,
        status=query.status,
        practitioner_id=query.practitioner_id,
        starts_from=query.from_,
        starts_before=query.to,
        limit=query.limit,
        offset=query.offset,
    )
    return BookingPage.of(page.items, page.total, query)


@router.post("/bookings", operation_id="createBooking", status_code=status.HTTP_201_CREATED)
def create_booking(body: BookingCreate, account: CurrentAccount, service: Bookings) -> Booking:
    return Booking.model_validate(service.book(account, slot_id=body.slot_id, reason=body.reason))


@router.get("/bookings/{bookingId}", operation_id="getBooking")
def get_booking(booking_id: BookingId, account: CurrentAccount, service: Bookings) -> Booking:
    return Booking.model_validate(service.get(account, booking_id))


@router.post("/bookings/{bookingId}/cancel", operation_id="cancelBooking")
def cancel_booking(
    booking_id: BookingId,
    account: CurrentAccount,
    service: Bookings,
    body: Annotated[CancelRequest | None, Body()] = None,
) -> Booking:
    reason = body.reason if body is not None else None
    return Booking.model_validate(service.cancel(account, booking_id, reason=reason))
