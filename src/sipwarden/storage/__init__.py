"""Persistence backends for the stores (location, users, ...)."""
