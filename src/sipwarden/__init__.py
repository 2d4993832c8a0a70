"""sipwarden: a SIP proxy server."""

__version__ = "0.1.0"
