"""Telemetry for operators: request ids, log lines, and Prometheus metrics."""
