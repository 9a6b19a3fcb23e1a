"""Use cases: plain functions that take the acting user first, check policy and commit once."""
