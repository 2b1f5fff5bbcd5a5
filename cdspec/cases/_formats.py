"""Strategies for string ``format``\\ s: values that jsonschema's ``FormatChecker`` accepts and backends do too.

Every value is ASCII and of the plain, common shape (``abc@example.com``,
``https://host.com/path``, ``2024-05-06T07:08:09Z``), never one of the
exotic forms the RFCs also allow (quoted local parts, IP-literal hosts,
leap seconds). Formats drawn from a pattern take length bounds into account
while drawing; the others are checked against them afterwards, and a format
whose values can never fit the bounds is reported as unsatisfiable.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable

from hypothesis import strategies as st

from cdspec.errors import CdspecError

from ._regex import INF, compile_pattern, filtered, regex_strategy

__all__ = ["FORMATS", "HTTPS_URL", "format_strategy"]

_TLD = "(com|org|net|io)"
_LABEL = "[a-z][a-z0-9]{1,9}"
_URI = rf"^https?://{_LABEL}(\.{_LABEL})?\.{_TLD}(/[a-z0-9_-]{{1,8}}){{0,3}}(\?[a-z]{{1,6}}=[a-z0-9]{{1,6}})?$"
_PATH = r"^(/[a-z0-9_-]{1,8}){1,3}$"
HTTPS_URL = rf"^https://{_LABEL}\.{_TLD}(/[a-z0-9_-]{{1,8}}){{1,3}}$"
"""A plain ``https`` URL with a path (no trailing slash for a server to add), for strings named like URLs."""

PATTERNS: dict[str, str] = {
    "email": rf"^[a-z][a-z0-9]{{0,9}}(\.[a-z][a-z0-9]{{0,5}})?@{_LABEL}\.{_TLD}$",
    "hostname": rf"^{_LABEL}(\.{_LABEL}){{0,2}}\.{_TLD}$",
    "uri": _URI,
    "url": _URI,
    "uri-template": rf"^https?://{_LABEL}\.{_TLD}(/[a-z0-9]{{1,8}}){{0,2}}/\{{[a-z][a-zA-Z]{{0,7}}\}}$",
    "json-pointer": r"^(/[a-z0-9]{1,6}){0,3}$",
    "relative-json-pointer": r"^[0-9](/[a-z0-9]{1,6}){0,2}$",
    "regex": r"^[a-z0-9]{1,12}$",
    "duration": r"^P([1-9][0-9]?D|T[1-9][0-9]?H([1-9][0-9]?M)?|[1-9]W)$",
}
PATTERNS["idn-email"] = PATTERNS["email"]
PATTERNS["idn-hostname"] = PATTERNS["hostname"]
PATTERNS["iri"] = PATTERNS["uri"]

_EPOCH = datetime.datetime(1970, 1, 1)
_END = datetime.datetime(2099, 12, 31, 23, 59, 59)


def _datetime(moment: datetime.datetime, zone: str, millis: bool) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + zone


def _time(moment: datetime.time) -> str:
    return moment.strftime("%H:%M:%S")


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_ZONES = st.sampled_from(["Z", "+00:00", "+01:00", "-05:00"])

FIXED: dict[str, tuple[st.SearchStrategy[str], int, int]] = {
    "uuid": (st.uuids(version=4).map(str), 36, 36),
    "date": (st.dates(_EPOCH.date(), _END.date()).map(datetime.date.isoformat), 10, 10),
    "date-time": (st.builds(_datetime, st.datetimes(_EPOCH, _END), _ZONES, st.booleans()), 20, 29),
    # jsonschema's FormatChecker() reads "time" as %H:%M:%S (its Draft 3 checker, registered last);
    # the Draft 7+ checkers want an RFC 3339 offset, which no %H:%M:%S value has.
    "time": (st.times().map(_time), 8, 8),
    "ipv4": (st.ip_addresses(v=4).map(str), 7, 15),
    "ipv6": (st.ip_addresses(v=6).map(str), 2, 39),
}

FORMATS = frozenset(PATTERNS) | frozenset(FIXED) | {"byte", "uri-reference", "iri-reference"}
"""The string formats cdspec draws values for; any other format draws plain strings."""


def _fits(low: int, high: float) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        return low <= len(text) <= high

    return fits


def format_strategy(name: str, min_length: int = 0, max_length: float = INF) -> st.SearchStrategy[str] | None:
    """Strings of format ``name`` with a length in the bounds; ``None`` for a format not in :data:`FORMATS`.

    Raises :class:`CdspecError` when no value of the format fits the bounds.
    """
    if name in PATTERNS:
        return regex_strategy(PATTERNS[name], min_length, max_length)
    if name in ("uri-reference", "iri-reference"):
        ranges = [compile_pattern(p).lengths for p in (_PATH, _URI)]
        options = [
            regex_strategy(p, min_length, max_length)
            for p, (low, high) in zip((_PATH, _URI), ranges, strict=True)
            if low <= max_length and high >= min_length
        ]
        if not options:
            raise CdspecError(f"no {name} fits lengths {min_length}..{max_length}")
        return st.one_of(options)
    if name == "byte":
        # base64 of n bytes has 4 * ceil(n / 3) characters.
        low_bytes = 0 if min_length <= 0 else 3 * -(-min_length // 4) - 2
        high_bytes = 15 if max_length == INF else min(3 * int(max_length // 4), max(low_bytes, 15))
        if low_bytes > high_bytes:
            raise CdspecError(f"no base64 string fits lengths {min_length}..{max_length}")
        strategy = st.binary(min_size=low_bytes, max_size=high_bytes).map(_base64)
        return filtered(strategy, _fits(min_length, max_length), f"length in {min_length}..{max_length}")
    if name in FIXED:
        strategy, low, high = FIXED[name]
        if low > max_length or high < min_length:
            raise CdspecError(f"{name} values have {low} to {high} characters, outside {min_length}..{max_length}")
        if min_length <= low and high <= max_length:
            return strategy
        return filtered(strategy, _fits(min_length, max_length), f"length in {min_length}..{max_length}")
    return None
