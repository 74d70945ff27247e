"""The events panel: the live event model, stored events and alert sounds/settings."""
