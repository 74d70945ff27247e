"""Camera capture: one thread per camera, newest frame in a one-slot buffer, reconnect with backoff.

Importing ``app.capture`` itself stays light (no OpenCV): import ``app.capture.camera`` for CameraCapture.
"""
