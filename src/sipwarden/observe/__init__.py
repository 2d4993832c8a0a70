"""Observability: the event bus (pure), Prometheus metrics and the rate history for charts."""
