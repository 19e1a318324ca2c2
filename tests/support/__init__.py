"""Test helpers that are not tests: external servers and probes."""
