"""One DeepDream step in PyTorch, for bench/pytorch.bench.ts to compare against (bench only).

Builds BVLC GoogLeNet up to a blob from the files bench/pytorch/export-weights.ts writes (the
layer list with Caffe's parameters, and the weights as raw float32), checks the loss on the golden
cat input against the reference value, then times the step: forward to the blob, and the gradient
of 0.5 * sum(a^2) with respect to the input (the weights need none).

Caffe semantics: max pooling rounds its output size up (ceil_mode); LRN across channels is
x * (k + alpha/n * sum of x^2 over n channels)^-beta, which is local_response_norm's formula.

Prints one JSON object on the last line: {"torch", "threads", "loss", "ms": {side: median}}.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F


def build(net_json, weights_path, target):
    """Returns f(x) -> the blob `target`, running the layers in file order until it is made."""
    net = json.load(open(net_json))
    flat = np.fromfile(weights_path, dtype="<f4")

    def blob(b):
        n = int(np.prod(b["shape"]))
        return torch.from_numpy(flat[b["offset"]:b["offset"] + n].reshape(b["shape"]).copy())

    steps = []  # (op, bottoms, top)
    for layer in net["layers"]:
        t, bottoms, top = layer["type"], layer["bottoms"], layer["tops"][0]
        if t == "Convolution":
            p = layer["convolution"]
            w = blob(layer["blobs"][0])
            b = blob(layer["blobs"][1]).reshape(-1) if p["biasTerm"] else None
            op = (lambda w, b, p: lambda x: F.conv2d(
                x, w, b, stride=p["stride"], padding=p["pad"], dilation=p["dilation"], groups=p["group"]))(w, b, p)
        elif t == "ReLU":
            op = F.relu
        elif t == "Pooling":
            p = layer["pooling"]
            assert p["method"] == "max" and not p["globalPooling"], layer["name"]
            op = (lambda p: lambda x: F.max_pool2d(x, p["kernel"], p["stride"], p["pad"], ceil_mode=True))(p)
        elif t == "LRN":
            p = layer["lrn"]
            assert p["normRegion"] == "across", layer["name"]
            op = (lambda p: lambda x: F.local_response_norm(x, p["localSize"], p["alpha"], p["beta"], p["k"]))(p)
        elif t == "Concat":
            assert layer["concat"]["axis"] == 1, layer["name"]
            op = "concat"
        else:
            raise ValueError(f"layer {layer['name']}: {t} is not needed before {target}")
        steps.append((op, bottoms, top))
        if top == target:
            break
    else:
        raise ValueError(f"no blob named {target}")

    def forward(x):
        blobs = {net["inputs"][0]["name"]: x}
        for op, bottoms, top in steps:
            blobs[top] = torch.cat([blobs[b] for b in bottoms], 1) if op == "concat" else op(blobs[bottoms[0]])
        return blobs[target]

    return forward


def step(forward, x):
    """The loss 0.5 * sum(a^2) at x and its gradient with respect to x."""
    x = x.detach().requires_grad_(True)
    a = forward(x)
    loss = 0.5 * (a * a).sum()
    loss.backward()
    return loss.item(), x.grad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--layer", default="inception_4c/output")
    ap.add_argument("--golden-input", required=True, help="float32 [1,3,224,224] BGR minus mean")
    ap.add_argument("--sizes", default="224,448,512")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    forward = build(args.net, args.weights, args.layer)
    cat = torch.from_numpy(np.fromfile(args.golden_input, dtype="<f4").reshape(1, 3, 224, 224).copy())
    loss, _ = step(forward, cat)

    ms = {}
    gen = torch.Generator().manual_seed(0)
    for side in [int(s) for s in args.sizes.split(",")]:
        x = torch.rand(1, 3, side, side, generator=gen) * 200 - 100
        step(forward, x)  # warm-up: oneDNN picks its kernels on first use
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            step(forward, x)
            times.append((time.perf_counter() - t0) * 1000)
        ms[side] = float(np.median(times))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "loss": loss, "ms": ms}))


if __name__ == "__main__":
    main()
