"""The registrar's answer: a status, a reason phrase and the headers to put in the response.

`RegisterResult` is what `build_response(request, r.status, r.reason, headers=r.headers)` needs;
`code` is a short reason code for the structured observation every refusal emits (STYLE 10).
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.errors import RemoteError
from sipwarden.location.binding import Binding, sorted_bindings
from sipwarden.sip.message import Request
from sipwarden.value import Value

Headers = tuple[tuple[str, str], ...]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class RegisterResult(Value):
    """What to answer: `status`, `reason`, extra `headers`; `code` names the outcome ("ok" for a
    200); `bindings` are the AoR's bindings after a 200, in lookup order (empty otherwise).

    A value (equal by its fields, never changed once made); a `Value` rather than a frozen
    dataclass because one is made per REGISTER (see sipwarden/value.py).
    """

    __slots__ = ("bindings", "code", "headers", "reason", "status")
    _names: ClassVar[tuple[str, ...]] = ("status", "reason", "headers", "code", "bindings")
    status: Final[int]
    reason: Final[str]
    headers: Final[Headers]
    code: Final[str]
    bindings: Final[tuple[Binding, ...]]

    def __init__(
        self,
        status: int,
        reason: str,
        headers: Headers = (),
        code: str = "ok",
        bindings: tuple[Binding, ...] = (),
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.code = code
        self.bindings = bindings

    def _fields(self) -> tuple[object, ...]:
        return (self.status, self.reason, self.headers, self.code, self.bindings)


class Refusal(RemoteError):
    """A REGISTER the registrar turns down: the status, reason, code and headers to answer with."""

    def __init__(self, status: int, reason: str, code: str, headers: Headers = ()) -> None:
        super().__init__(status, reason)
        self.code = code
        self.headers = headers


def refused(error: RemoteError) -> RegisterResult:
    """The answer to a refused or malformed REGISTER (a ParseError is "malformed")."""
    if isinstance(error, Refusal):
        return RegisterResult(error.status, error.reason, error.headers, error.code)
    return RegisterResult(error.status, error.reason, (), "malformed")


def accepted(
    request: Request, bindings: list[Binding], now: float, date: str | None = None
) -> RegisterResult:
    """The 200 of §10.3 step 8: "Contact header field values enumerating all current bindings.
    Each Contact value MUST feature an "expires" parameter indicating its expiration interval
    chosen by the registrar. The response SHOULD include a Date header field."

    RFC 3327 §5.3: when the UA supports path, the request's Path values are copied, in order.
    `date` is `http_date(now)` when the caller has it already.
    """
    ordered = sorted_bindings(bindings)
    headers = [("Contact", contact_value(b, now)) for b in ordered]
    headers.append(("Date", http_date(now) if date is None else date))
    if request.has("supported") and "path" in request.supported:
        headers.extend(("Path", value) for value in request.values("path"))
        headers.append(("Supported", "path"))
    return RegisterResult(200, "OK", tuple(headers), "ok", tuple(ordered))


def contact_value(binding: Binding, now: float) -> str:
    """`<uri>;expires=<remaining>[;q=<q>]` for one binding (§10.3 step 8, §20.10)."""
    value = f"<{binding.contact}>;expires={binding.remaining(now)}"
    if binding.q is not None:
        value += f";q={format_q(binding.q)}"
    return value


def format_q(q: float) -> str:
    """A qvalue as §25.1 writes it: "0", "0.5", "0.125", "1"."""
    return f"{q:.3f}".rstrip("0").rstrip(".")


def http_date(now: float) -> str:
    """`now` (Unix seconds) as an RFC 1123 date in GMT, the form of the Date header (§20.17).

    Computed by hand (days to civil date, H. Hinnant's algorithm) so this package never imports
    a clock module.
    """
    seconds = int(now)
    days, second_of_day = divmod(seconds, 86400)
    year, month, day = civil_from_days(days)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    weekday = _DAYS[(days + 3) % 7]  # 1970-01-01 was a Thursday
    return (
        f"{weekday}, {day:02d} {_MONTHS[month - 1]} {year:04d} "
        f"{hour:02d}:{minute:02d}:{second:02d} GMT"
    )


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of the proleptic Gregorian date `days` after 1970-01-01."""
    shifted = days + 719468
    era, day_of_era = divmod(shifted, 146097)
    year_of_era = day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    year_of_era //= 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day
