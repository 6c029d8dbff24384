"""Incident pages (filled in below)."""
