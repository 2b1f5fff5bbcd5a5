"""The enumerations of the data model (the contract's enums)."""

from enum import StrEnum


class Role(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


class Specialty(StrEnum):
    GENERAL_PRACTICE = "general_practice"
    PEDIATRICS = "pediatrics"
    DERMATOLOGY = "dermatology"
    CARDIOLOGY = "cardiology"
    PHYSIOTHERAPY = "physiotherapy"
    PSYCHOLOGY = "psychology"


class SlotStatus(StrEnum):
    OPEN = "open"
    BOOKED = "booked"
    BLOCKED = "blocked"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
