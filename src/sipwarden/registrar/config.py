"""Registrar settings (the `[registrar]` table of the configuration file)."""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.errors import LocalError

# RFC 3261 §10.3 step 7: a registrar may answer 423 only when the requested interval is "smaller
# than one hour"; a minimum above that could not be enforced.
MAX_MIN_EXPIRES = 3600
MAX_DELTA_SECONDS = 0xFFFFFFFF  # delta-seconds is at most 2**32-1 (§25.1, RFC 4475 §3.1.2.5)


@dataclass(frozen=True, slots=True)
class RegistrarConfig:
    """Expiry bounds in seconds and the contact limit per address-of-record.

    `min_expires`: a shorter non-zero request gets 423 with Min-Expires (§10.3 step 7).
    `max_expires`: a longer request is granted this much (the registrar "MAY choose an
    expiration less than the requested expiration interval", §10.3 step 7).
    `default_expires`: used when neither the Contact nor the request says (§10.3 step 7).
    `max_contacts`: the most bindings one AoR may hold.
    """

    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    max_contacts: int = 10

    def __post_init__(self) -> None:
        for name in ("min_expires", "max_expires", "default_expires", "max_contacts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise LocalError(f"registrar.{name} must be a positive integer, not {value!r}")
        if self.min_expires > MAX_MIN_EXPIRES:
            raise LocalError(f"registrar.min_expires must be at most {MAX_MIN_EXPIRES}")
        if self.max_expires > MAX_DELTA_SECONDS:
            raise LocalError(f"registrar.max_expires must be at most {MAX_DELTA_SECONDS}")
        if not self.min_expires <= self.default_expires <= self.max_expires:
            raise LocalError(
                "registrar expiry settings must satisfy"
                " min_expires <= default_expires <= max_expires"
            )
