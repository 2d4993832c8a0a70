"""The `users` table: one row per account, an HA1 column per digest algorithm, never a password.

The domain column compares case-insensitively (COLLATE NOCASE), so the primary key is
(user, lower(domain)); the store also writes domains in lower case, which is the realm the HA1
was computed with. Timestamps are Unix seconds.
"""

from __future__ import annotations

from sipwarden.auth.hashes import ALGORITHMS

COMPONENT = "users"
MIGRATIONS = (
    """
    CREATE TABLE users (
        user TEXT NOT NULL,
        domain TEXT NOT NULL COLLATE NOCASE,
        ha1_md5 TEXT,
        ha1_sha256 TEXT,
        ha1_sha512_256 TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        PRIMARY KEY (user, domain)
    );
    CREATE INDEX users_domain ON users (domain)
    """,
)

# hashes.ALGORITHMS name -> column, in the same order.
HA1_COLUMNS = dict(zip(ALGORITHMS, ("ha1_md5", "ha1_sha256", "ha1_sha512_256")))
SELECT = f"SELECT user, domain, {', '.join(HA1_COLUMNS.values())} FROM users"
