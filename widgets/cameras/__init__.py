"""The camera manager: the camera form, source field, connection probe and the zone editor."""
