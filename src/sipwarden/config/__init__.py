"""The TOML configuration file (pure: tomllib and dataclasses, no I/O beyond reading it).

`load_config(path, overrides)` returns a frozen `Config`; every problem is a `ConfigError`
whose message is one line, `FILE:LINE: [section] key: what is wrong`.
"""

from sipwarden.config.errors import ConfigError
from sipwarden.config.load import load_config
from sipwarden.config.model import (
    AdminSection,
    AuthSection,
    CdrSection,
    Config,
    HepSection,
    LogSection,
    Overrides,
    ProxySection,
    RegistrarSection,
    SecuritySection,
    ServerSection,
    TimersSection,
    TlsSection,
    TransportSection,
)

__all__ = [
    "AdminSection",
    "AuthSection",
    "CdrSection",
    "Config",
    "ConfigError",
    "HepSection",
    "LogSection",
    "Overrides",
    "ProxySection",
    "RegistrarSection",
    "SecuritySection",
    "ServerSection",
    "TimersSection",
    "TlsSection",
    "TransportSection",
    "load_config",
]
