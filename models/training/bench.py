"""``python -m models.training.bench``: milliseconds per face of the shipped mask classifier.

Batched calls of 16 random crops on one ONNX Runtime thread (the station's setting). The function behind
it, ``models.mask_classifier.benchmark_ms_per_face``, needs no training extra and can be called from
``vigil bench``.
"""

from __future__ import annotations

import argparse
import sys

from models.mask_classifier import MaskClassifier, benchmark_ms_per_face


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.training.bench", description=__doc__)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=200)
    args = p.parse_args(argv)
    clf = MaskClassifier(threads=args.threads)
    ms = benchmark_ms_per_face(clf, batch=args.batch, repeats=args.repeats)
    print(f"{ms:.3f} ms per face (batch {args.batch}, {args.threads} thread(s), {clf.providers[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
