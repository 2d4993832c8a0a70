"""The admin HTTP API, the dashboard and /metrics (aiohttp), built on `AdminBackend`."""

from sipwarden.admin.backend import AdminBackend, BackendError
from sipwarden.admin.runner import AdminError, AdminServer, start_admin, stop_admin

__all__ = [
    "AdminBackend",
    "AdminError",
    "AdminServer",
    "BackendError",
    "start_admin",
    "stop_admin",
]
