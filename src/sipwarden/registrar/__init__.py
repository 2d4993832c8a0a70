"""sipwarden.registrar: the REGISTER handler of RFC 3261 §10.3, pure (no I/O, no clock)."""

from sipwarden.registrar.aor import aor_of
from sipwarden.registrar.config import RegistrarConfig
from sipwarden.registrar.registrar import Registrar
from sipwarden.registrar.result import RegisterResult

__all__ = ["RegisterResult", "Registrar", "RegistrarConfig", "aor_of"]
