"""Publishing a station's compliance, events and camera health to an MQTT broker (store-and-forward)."""
