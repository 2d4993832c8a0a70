"""SIP accounts: the SQLite-backed CredentialStore and its admin operations."""

from sipwarden.users.errors import UserError
from sipwarden.users.store import SqliteUserStore

__all__ = ["SqliteUserStore", "UserError"]
