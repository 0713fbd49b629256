"""OpenCV reference for bench/mask-morphology.bench.ts, as a small line server.

Started with a JSON config (the raw 8-bit mask and its size), it answers one
JSON command per stdin line with one JSON line, so the bench can alternate
OpenCV runs with its own and both see the same load on a shared machine:

  {"cmd": "time", "op": "dilate"|"erode"|"blur", "radius": r, "threads": 0|1}
      runs the op once (0 = OpenCV's default thread count) and answers
      {"ms": wall milliseconds, "cpu": process CPU milliseconds}
  {"cmd": "save", "op": ..., "radius": r, "path": p}
      writes the result to check ours against: dilate/erode with the exact
      disc kernel x² + y² ≤ r², the blur as timed
  {"cmd": "quit"}

Dilation and erosion are timed with an elliptic kernel of size 2r+1 (what
OpenCV users write); the blur is GaussianBlur with sigma = r/3 and replicated
borders, like ours.
"""
import json
import sys
import time

import cv2
import numpy as np


def ellipse(r):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def disc(r):
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return (x * x + y * y <= r * r).astype(np.uint8)


def main():
    cfg = json.loads(sys.argv[1])
    w, h = cfg["width"], cfg["height"]
    mask = np.fromfile(cfg["mask"], dtype=np.uint8).reshape(h, w)
    binary = np.where(mask >= 128, 255, 0).astype(np.uint8)
    default_threads = cv2.getNumThreads()

    def run(op, r, kernel):
        if op == "dilate":
            return cv2.dilate(binary, kernel(r))
        if op == "erode":
            return cv2.erode(binary, kernel(r))
        return cv2.GaussianBlur(mask, (0, 0), r / 3.0, borderType=cv2.BORDER_REPLICATE)

    print(json.dumps({"version": cv2.__version__, "threads": default_threads}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        if cmd["cmd"] == "time":
            cv2.setNumThreads(1 if cmd["threads"] == 1 else default_threads)
            t0, c0 = time.perf_counter(), time.process_time()
            run(cmd["op"], cmd["radius"], ellipse)
            t1, c1 = time.perf_counter(), time.process_time()
            cv2.setNumThreads(default_threads)
            reply = {"ms": (t1 - t0) * 1000.0, "cpu": (c1 - c0) * 1000.0}
        else:
            run(cmd["op"], cmd["radius"], disc).tofile(cmd["path"])
            reply = {"ok": True}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
