"""The evidence export dialog."""
