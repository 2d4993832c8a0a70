"""Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760), sans-IO.

- `digest_auth.DigestAuth`: challenges (401 / 407), picks and verifies credentials, checks the
  identity; results in `outcome` (Challenged, Authenticated, Failed).
- `config.AuthConfig`: the `[auth]` settings. `nonce.Nonces`: stateless HMAC nonces.
- `compute`: the request-digest formulas. `hashes`: H and HA1 per algorithm.
- Storage, behind Protocols: `store.CredentialStore` (accounts) and
  `nonce_counts.NonceCountStore` (replay protection); the only modules with async methods.
"""
