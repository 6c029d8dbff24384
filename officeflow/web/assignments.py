"""Assignment pages."""
