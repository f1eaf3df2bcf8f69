"""The Caffe DeepDream notebook's algorithm (deepdream.ipynb), ported to PyTorch and scipy (bench only).

bench/notebook-parity.ts runs this next to our dream on the same decoded picture, with the same
mean pixel and jitter 0, and compares the two results. It follows the notebook line by line:

    octaves = [preprocess(img)]
    for i in range(octave_n - 1):
        octaves.append(nd.zoom(octaves[-1], (1, 1/octave_scale, 1/octave_scale), order=1))
    detail = zeros like the smallest octave
    for each octave, smallest first, of size (h, w):
        if not the first: detail = nd.zoom(detail, (1, h/h1, w/w1), order=1)
        src = octave_base + detail
        iter_n times make_step: roll by (ox, oy) in [-jitter, jitter], forward to `end`,
            diff = data (the gradient of 0.5*sum(a^2)), backward,
            src += step_size / mean(|g|) * g, roll back, clip to [-mean, 255 - mean]
        detail = src - octave_base

The net is googlenet_step.py's (the weights bench/pytorch/export-weights.ts writes). Arrays stay
float32 as Caffe's blobs are; the step arithmetic is numpy's, as in the notebook.

Input and output are raw little-endian float32 H x W x 3 RGB pictures in 0-255; the output is
the notebook's deprocess (BGR planes plus the mean, back to RGB) before its cast to uint8.
Two modes for looking at single steps (one octave, no pyramid):
  --one-step         the input holds N pictures; the output, each one after one step;
  --every-step       the output holds the picture after each of the --iterations steps.

And the notebook's whole program, for bench/dream.bench.ts to time as a process against our CLI:
--image IN --save OUT.png reads a photo with PIL and writes np.uint8(np.clip(dream, 0, 255)) as a
PNG, as the notebook's showarray does; --config picks googlenet_step.py's way of running the net
(the bench tries each and keeps the fastest).
"""
import argparse
import os
import sys

import numpy as np
import scipy.ndimage as nd
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from googlenet_step import CONFIGS, build, step  # noqa: E402


def make_step(forward, src, bias, step_size, jitter, rng):
    """One gradient-ascent step on `src` (3 x h x w float32, BGR minus the mean), in place."""
    ox, oy = rng.integers(-jitter, jitter + 1, 2)
    src[:] = np.roll(np.roll(src, ox, -1), oy, -2)
    _, g = step(forward, torch.from_numpy(src[None].copy()))
    g = g[0].numpy()
    src += step_size / np.abs(g).mean() * g
    src[:] = np.roll(np.roll(src, -ox, -1), -oy, -2)
    src[:] = np.clip(src, -bias, 255 - bias)


def deepdream(forward, base, bias, octave_n, octave_scale, iter_n, step_size, jitter, seed, every_step=None):
    """The notebook's deepdream; `every_step`, if a list, receives a copy of src after each step."""
    rng = np.random.default_rng(seed)
    octaves = [base]
    for _ in range(octave_n - 1):
        octaves.append(nd.zoom(octaves[-1], (1, 1.0 / octave_scale, 1.0 / octave_scale), order=1))
    detail = np.zeros_like(octaves[-1])
    for octave, octave_base in enumerate(octaves[::-1]):
        h, w = octave_base.shape[-2:]
        if octave > 0:
            h1, w1 = detail.shape[-2:]
            detail = nd.zoom(detail, (1, 1.0 * h / h1, 1.0 * w / w1), order=1)
        src = octave_base + detail
        for _ in range(iter_n):
            make_step(forward, src, bias, step_size, jitter, rng)
            if every_step is not None:
                every_step.append(src.copy())
        detail = src - octave_base
        print(f"octave {octave + 1}/{len(octaves)}: {h}x{w}", file=sys.stderr)
    return src


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--input", help="raw float32 H x W x 3 RGB, 0-255")
    ap.add_argument("--width", type=int)
    ap.add_argument("--height", type=int)
    ap.add_argument("--output", help="raw float32 H x W x 3 RGB, 0-255")
    ap.add_argument("--image", help="a photo to read with PIL instead of --input")
    ap.add_argument("--save", help="with --image: the PNG to write, as the notebook saves it")
    ap.add_argument("--config", default="default", choices=CONFIGS, help="how PyTorch runs the net (googlenet_step.py)")
    ap.add_argument("--mean", default="104,117,123", help="B,G,R mean pixel (the notebook's is 104,116,122)")
    ap.add_argument("--layer", default="inception_4c/output")
    ap.add_argument("--octaves", type=int, default=4)
    ap.add_argument("--octave-scale", type=float, default=1.4)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--step", type=float, default=1.5)
    ap.add_argument("--jitter", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--one-step", action="store_true", help="one step from each input picture")
    ap.add_argument("--every-step", action="store_true", help="write the picture after every step")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    forward = build(args.net, args.weights, args.layer, args.config)
    bias = np.float32([float(m) for m in args.mean.split(",")]).reshape(3, 1, 1)
    preprocess = lambda img: np.float32(np.rollaxis(img, 2)[::-1]) - bias  # RGB -> BGR planes
    deprocess = lambda x: np.dstack((x + bias)[::-1])
    if args.image:
        from PIL import Image
        img = np.float32(Image.open(args.image).convert("RGB"))
        out = deepdream(forward, preprocess(img), bias, args.octaves, args.octave_scale, args.iterations,
                        args.step, args.jitter, args.seed)
        Image.fromarray(np.uint8(np.clip(deprocess(out), 0, 255))).save(args.save)
        return
    pictures = np.fromfile(args.input, dtype="<f4").reshape(-1, args.height, args.width, 3)
    if args.one_step:
        rng = np.random.default_rng(args.seed)
        outs = []
        for img in pictures:
            src = preprocess(img)
            make_step(forward, src, bias, args.step, args.jitter, rng)
            outs.append(src)
    else:
        steps = [] if args.every_step else None
        out = deepdream(forward, preprocess(pictures[0]), bias, args.octaves, args.octave_scale, args.iterations,
                        args.step, args.jitter, args.seed, steps)
        outs = steps if args.every_step else [out]
    np.ascontiguousarray(np.stack([deprocess(x) for x in outs]), dtype="<f4").tofile(args.output)


if __name__ == "__main__":
    main()
