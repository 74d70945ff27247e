import cv2
import numpy as np
import pytest

from app.errors import ModelError
from models.face_detector import MediaPipeFaceDetector


def test_blank_image_has_no_faces():
    with MediaPipeFaceDetector() as det:
        assert det.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_finds_both_faces_in_real_photo(shared_data):
    img = cv2.imread(str(shared_data / "faces" / "probe" / "two_people.jpg"))
    with MediaPipeFaceDetector() as det:
        faces = det.detect(img)
    assert len(faces) == 2
    assert all(len(f.keypoints) == 6 for f in faces)


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown face model"):
        MediaPipeFaceDetector(model="nope")
