"""Camera capture: one thread per camera, newest frame in a one-slot buffer, reconnect with backoff."""
