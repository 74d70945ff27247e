"""ML inference (face detection, mask classification, face embedding) and bundled weights. No widgets."""
