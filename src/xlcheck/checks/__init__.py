"""Checks over a canonical document: JSON Schema, cross-total rules, the likely culprit. No I/O."""
