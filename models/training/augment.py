"""Training augmentations on 64x64 BGR uint8 crops, including honest occluders for 'no_mask' faces.

Occluders that fool other mask detectors are painted over faces without a mask and the label stays
'no_mask': a hand (fingers in the face's own skin tone) over the mouth, a beard around the mouth and chin
(lips left visible), a scarf around neck and chin (mouth left visible).

Masks are also painted on faces without one (``painted_mask``, off unless ``paint_mask_p`` > 0), and the
label changes: over nose and mouth a worn mask (``mask``), below the nose an incorrectly worn one
(``incorrect``), in colours the shared crops have few of (dark cloth, coloured fabric). Their main gain is
``incorrect`` examples without the non-commercial MaskedFace-Net. The same patch on not-a-face boxes keeps
their label, so a band of colour alone does not make a face.
"""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_MOUTH = (0.5, 0.68)  # mouth position in a crop when the detector gave no keypoints


def _affine(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    s = img.shape[0]
    angle = rng.uniform(-12, 12)
    scale = rng.uniform(0.88, 1.12)
    m = cv2.getRotationMatrix2D((s / 2, s / 2), angle, scale)
    m[:, 2] += rng.uniform(-0.07, 0.07, size=2) * s
    return cv2.warpAffine(img, m, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _colour(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = img.astype(np.float32)
    if rng.random() < 0.12:  # CCTV night/IR modes are grey
        g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
        f = np.repeat(g[:, :, None], 3, axis=2)
    else:
        grey = f.mean(axis=2, keepdims=True)
        f = grey + (f - grey) * rng.uniform(0.6, 1.4)  # saturation
        f *= rng.uniform(0.9, 1.1, size=3)  # white balance
    f = (f - 128.0) * rng.uniform(0.7, 1.3) + 128.0 + rng.uniform(-35, 35)
    return np.clip(f, 0, 255).astype(np.uint8)


def _motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 8))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0 / n
    m = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, m, (n, n))
    return cv2.filter2D(img, -1, k / max(float(k.sum()), 1e-6))


def _low_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark CCTV frame: gamma, gain down, then sensor noise (stronger in the dark)."""
    f = (img.astype(np.float32) / 255.0) ** rng.uniform(1.2, 2.2) * rng.uniform(0.35, 0.8) * 255.0
    f += rng.normal(0, rng.uniform(3, 10), img.shape)
    return np.clip(f, 0, 255).astype(np.uint8)


def degrade(img: np.ndarray, rng: np.random.Generator, small: tuple[int, int] = (16, 49)) -> np.ndarray:
    """CCTV degradations: down-scaling to a small face and back, motion/defocus blur, low light, JPEG, noise."""
    s = img.shape[0]
    if rng.random() < 0.5:  # small faces: a CCTV face of 16-48 px scaled up to the crop size
        n = int(rng.integers(*small))
        img = cv2.resize(cv2.resize(img, (n, n), interpolation=cv2.INTER_AREA), (s, s))
    if rng.random() < 0.15:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.15:
        img = _motion_blur(img, rng)
    if rng.random() < 0.15:
        img = _low_light(img, rng)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 80))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if rng.random() < 0.15:
        noise = rng.normal(0, rng.uniform(3, 12), img.shape)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img


def _skin(img: np.ndarray) -> np.ndarray:
    """Median colour of the cheeks and forehead: the face's own skin tone."""
    s = img.shape[0]
    pts = [(0.3, 0.5), (0.7, 0.5), (0.5, 0.3)]
    patches = [img[int(y * s) - 3 : int(y * s) + 3, int(x * s) - 3 : int(x * s) + 3] for x, y in pts]
    return np.median(np.concatenate([p.reshape(-1, 3) for p in patches]), axis=0)


def _paint(img: np.ndarray, mask: np.ndarray, colour: np.ndarray, texture: np.ndarray) -> np.ndarray:
    a = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.8)[:, :, None]
    layer = np.clip(colour[None, None, :] * texture[:, :, None], 0, 255)
    return (img.astype(np.float32) * (1 - a) + layer * a).astype(np.uint8)


def hand(img: np.ndarray, mouth: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Fingers in skin tone across the mouth (the classic 'hand over mouth' false mask)."""
    s = img.shape[0]
    mx, my = mouth[0] * s, mouth[1] * s
    colour = _skin(img) * rng.uniform(0.85, 1.15)
    mask = np.zeros((s, s), np.uint8)
    shade = np.ones((s, s), np.float32)
    tilt = rng.uniform(-35, 35)
    n = int(rng.integers(3, 5))
    fw = s * rng.uniform(0.045, 0.065)
    length = s * rng.uniform(0.28, 0.42)
    side = rng.choice([-1.0, 1.0])
    for k in range(n):
        off = (k - (n - 1) / 2) * fw * 2.0
        cx = mx + side * s * rng.uniform(0.0, 0.1)
        cy = my + off
        rot = np.deg2rad(tilt)
        c = (int(cx - off * np.sin(rot)), int(cy - off * (1 - np.cos(rot))))
        cv2.ellipse(mask, c, (int(length / 2), int(fw)), tilt, 0, 360, 1, -1)
        cv2.ellipse(shade, c, (int(length / 2), int(fw)), tilt, 0, 360, float(rng.uniform(0.85, 1.05)), -1)
    palm = (int(mx + side * length * 0.55), int(my + s * 0.05))
    cv2.ellipse(mask, palm, (int(length * 0.35), int(fw * n * 0.9)), tilt, 0, 360, 1, -1)
    shade *= cv2.GaussianBlur(rng.normal(1.0, 0.04, (s, s)).astype(np.float32), (0, 0), 1.5)
    return _paint(img, mask, colour, shade)


def beard(img: np.ndarray, mouth: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Dark hairy texture around mouth and chin with the lips left visible."""
    s = img.shape[0]
    mx, my = mouth[0] * s, mouth[1] * s
    mask = np.zeros((s, s), np.uint8)
    cv2.ellipse(mask, (int(mx), int(my + s * 0.06)), (int(s * 0.2), int(s * 0.15)), 0, 0, 360, 1, -1)
    mask[: int(my - s * 0.05)] = 0
    cv2.ellipse(mask, (int(mx), int(my)), (int(s * 0.09), int(s * 0.035)), 0, 0, 360, 0, -1)
    base = rng.uniform(20, 90)
    colour = np.array([base, base * rng.uniform(1.0, 1.2), base * rng.uniform(1.0, 1.4)])
    hair = rng.normal(1.0, 0.35, (s, s)).astype(np.float32)
    hair = cv2.blur(hair, (1, 3))
    return _paint(img, mask, colour, np.clip(hair, 0.3, 1.8))


def scarf(img: np.ndarray, mouth: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """A knitted/patterned band around neck and chin, the mouth left visible."""
    s = img.shape[0]
    top = int((mouth[1] + rng.uniform(0.08, 0.16)) * s)
    mask = np.zeros((s, s), np.uint8)
    pts = np.array([[0, top + int(s * 0.05)], [s // 2, top], [s, top + int(s * 0.05)], [s, s], [0, s]])
    cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
    colour = rng.uniform(20, 235, size=3)
    yy = np.arange(s, dtype=np.float32)[:, None]
    stripes = 1.0 + 0.25 * np.sign(np.sin(yy / rng.uniform(1.5, 4.0))) * rng.uniform(0, 1)
    texture = np.broadcast_to(stripes, (s, s)) * rng.normal(1.0, 0.06, (s, s))
    return _paint(img, mask, colour, texture.astype(np.float32))


OCCLUDERS = (hand, beard, scarf)
MASK, NO_MASK, INCORRECT, NOT_FACE = 0, 1, 2, 3  # class indices (models.mask_classifier.CLASSES, not_face)


def _mask_colour(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BGR of a mask: dark cloth 40 %, white 20 %, surgical blue 20 %, any other colour not near the skin."""
    r = rng.random()
    if r < 0.4:
        base = rng.uniform(12, 70)
        return np.array([base * rng.uniform(1.0, 1.3), base * rng.uniform(0.95, 1.1), base])
    if r < 0.6:
        return np.full(3, rng.uniform(195, 245)) * rng.uniform(0.96, 1.04, size=3)
    if r < 0.8:
        return np.array([rng.uniform(200, 240), rng.uniform(180, 215), rng.uniform(120, 170)])
    skin = _skin(img)
    for _ in range(8):
        c = rng.uniform(20, 235, size=3)
        if float(np.abs(c - skin).sum()) > 120:
            return c
    return np.full(3, 30.0)


def painted_mask(
    img: np.ndarray, mouth: tuple[float, float], rng: np.random.Generator, worn: bool = True
) -> np.ndarray:
    """A fabric mask from the nose bridge (``worn``) or from under the nose (worn incorrectly) to the chin:
    a rounded band the width of the lower face, shaded from top to bottom, with faint pleats or cloth
    noise, sometimes ear loops."""
    s = img.shape[0]
    mx, my = mouth[0] * s, mouth[1] * s
    top = my - s * (rng.uniform(0.16, 0.21) if worn else rng.uniform(0.05, 0.08))
    half_w = s * rng.uniform(0.22, 0.27)
    mask = np.zeros((s, s), np.uint8)
    cv2.ellipse(mask, (int(mx), int(my + s * 0.01)), (int(half_w), int(s * rng.uniform(0.17, 0.21))), 0, 0, 360, 1, -1)
    cv2.rectangle(mask, (int(mx - half_w * 0.97), int(top)), (int(mx + half_w * 0.97), int(my)), 1, -1)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    arc = top - s * (0.04 if worn else 0.01) * (1.0 - ((xx - mx) / half_w) ** 2)  # higher over the nose
    mask[yy < arc] = 0
    if rng.random() < 0.5:  # ear loops
        for side in (-1, 1):
            x0 = int(mx + side * half_w * 0.95)
            cv2.line(mask, (x0, int(top + s * 0.02)), (int(mx + side * s * 0.36), int(top - s * 0.06)), 1, 1)
    shade = 1.0 + rng.uniform(-0.18, 0.1) * (yy - top) / max(s - top, 1.0)  # light from above
    if rng.random() < 0.5:  # pleats of a surgical mask
        shade *= 1.0 - 0.12 * (np.sin((yy - top) / (s * rng.uniform(0.04, 0.06)) * np.pi) > 0.8)
    shade *= rng.normal(1.0, 0.05, (s, s)).astype(np.float32)
    return _paint(img, mask, _mask_colour(img, rng), shade.astype(np.float32))


def augment(
    img: np.ndarray,
    label: int,
    mouth: tuple[float, float],
    rng: np.random.Generator,
    occlude_p: float,
    paint_mask_p: float = 0.0,
) -> tuple[np.ndarray, int]:
    """One random training view of a crop and its label: a no_mask face may get an occluder painted on
    (label kept) or, with ``paint_mask_p``, a painted mask (3 in 4 worn: ``mask``; else under the nose:
    ``incorrect``)."""
    if not np.isfinite(mouth[0]) or not np.isfinite(mouth[1]):
        mouth = DEFAULT_MOUTH
    mouth = (float(np.clip(mouth[0], 0.3, 0.7)), float(np.clip(mouth[1], 0.5, 0.85)))
    if label == NOT_FACE and paint_mask_p > 0 and rng.random() < paint_mask_p:  # no draw when off: old runs repeat
        # a mask-like patch on a sign, a hand or a back of a head is still not a face: without this the
        # painted masks taught that a flat band of colour makes a face, and the verifier let through
        # boxes it dropped before
        img = painted_mask(img, (float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.55, 0.8))), rng)
    elif label == NO_MASK:
        r = rng.random()
        if r < paint_mask_p:
            worn = rng.random() < 0.75
            img, label = painted_mask(img, mouth, rng, worn), MASK if worn else INCORRECT
        elif r < paint_mask_p + occlude_p:
            img = OCCLUDERS[int(rng.integers(len(OCCLUDERS)))](img, mouth, rng)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    img = _affine(np.ascontiguousarray(img), rng)
    img = _colour(img, rng)
    return degrade(img, rng), label
