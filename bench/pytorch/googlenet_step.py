"""One DeepDream step in PyTorch, for bench/pytorch.bench.ts to compare against (bench only).

Builds BVLC GoogLeNet up to a blob from the files bench/pytorch/export-weights.ts writes (the
layer list with Caffe's parameters, and the weights as raw float32), then times the step: forward
to the blob, and the gradient of 0.5 * sum(a^2) with respect to the input (the weights need none).

PyTorch's speed here depends on how it is asked, so the step is built in several configurations
(CONFIGS) and each is timed; the caller takes the fastest. Left to its defaults at one thread,
PyTorch 1.13 sends small and 1x1 convolutions to a slower path than oneDNN's; forcing oneDNN for
every convolution (torch.mkldnn_convolution) avoids it. Before timing, every configuration must
give the golden cat's loss and input gradient (from the independent reference implementation),
so that only a configuration computing the same step can win.

Caffe semantics: max pooling rounds its output size up (ceil_mode); LRN across channels is
x * (k + alpha/n * sum of x^2 over n channels)^-beta, which is local_response_norm's formula.

Prints one JSON object on the last line:
  {"torch", "threads", "configs": {name: {"loss", "gradRelErr", "ms": {side: median wall ms},
   "cpuMs": {side: median CPU ms of the process}} or {"error"}}, "best": {side: name}}.

With --serve it times nothing by itself: it validates the configurations, prints that object
(without times), and then runs one step per line read from standard input, "CONFIG THREADS SIDE",
answering each with a line {"ms", "cpuMs"} — so that the caller can alternate PyTorch's steps
with its own, one by one, on a machine whose speed drifts.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


# How each configuration runs a layer. "mkldnn-tensors" keeps activations as oneDNN tensors
# (.to_mkldnn()); PyTorch 1.13 has no LRN or concat for them (nor convolution weights as oneDNN
# tensors under autograd), so those layers go through dense tensors and back.
CONFIGS = ["default", "mkldnn-conv", "channels-last", "mkldnn-tensors"]


def build(net_json, weights_path, target, config="default"):
    """Returns f(x) -> the blob `target`, running the layers in file order until it is made."""
    assert config in CONFIGS, config
    last = config == "channels-last"
    mk = config == "mkldnn-tensors"
    dense = (lambda f: lambda x: f(x.to_dense()).to_mkldnn()) if mk else (lambda f: f)
    net = json.load(open(net_json))
    flat = np.fromfile(weights_path, dtype="<f4")

    def blob(b):
        n = int(np.prod(b["shape"]))
        t = torch.from_numpy(flat[b["offset"]:b["offset"] + n].reshape(b["shape"]).copy())
        return t.contiguous(memory_format=torch.channels_last) if last and t.dim() == 4 else t

    steps = []  # (op, bottoms, top)
    for layer in net["layers"]:
        t, bottoms, top = layer["type"], layer["bottoms"], layer["tops"][0]
        if t == "Convolution":
            p = layer["convolution"]
            w = blob(layer["blobs"][0])
            b = blob(layer["blobs"][1]).reshape(-1) if p["biasTerm"] else None
            if config == "mkldnn-conv":
                op = (lambda w, b, p: lambda x: torch.mkldnn_convolution(
                    x, w, b, p["pad"], p["stride"], p["dilation"], p["group"]))(w, b, p)
            else:
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
            op = dense((lambda p: lambda x: F.local_response_norm(x, p["localSize"], p["alpha"], p["beta"], p["k"]))(p))
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

    def concat(xs):
        return torch.cat([x.to_dense() for x in xs], 1).to_mkldnn() if mk else torch.cat(xs, 1)

    def forward(x):
        if last:
            x = x.contiguous(memory_format=torch.channels_last)
        blobs = {net["inputs"][0]["name"]: x.to_mkldnn() if mk else x}
        for op, bottoms, top in steps:
            blobs[top] = concat([blobs[b] for b in bottoms]) if op == "concat" else op(blobs[bottoms[0]])
        return blobs[target].to_dense() if mk else blobs[target]

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
    ap.add_argument("--golden-grad", required=True, help="float64 [1,3,224,224], d(0.5*sum(a^2))/dx there")
    ap.add_argument("--golden-loss", type=float, required=True)
    ap.add_argument("--sizes", default="224,448,512")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--serve", action="store_true", help="after validating, time one step per line of stdin")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    cat = torch.from_numpy(np.fromfile(args.golden_input, dtype="<f4").reshape(1, 3, 224, 224).copy())
    golden = np.fromfile(args.golden_grad, dtype="<f8")
    sides = [int(s) for s in args.sizes.split(",")]
    inputs = {side: random_input(side) for side in sides}

    configs, forwards = {}, {}
    for config in args.configs.split(","):
        try:
            forward = build(args.net, args.weights, args.layer, config)
            loss, grad = step(forward, cat)
        except Exception as e:  # a configuration this build of PyTorch cannot run
            configs[config] = {"error": str(e).splitlines()[0][:200]}
            continue
        g = grad.double().numpy().reshape(-1)
        grad_err = float(np.abs(g - golden).max() / np.abs(golden).max())
        loss_err = abs(loss - args.golden_loss) / args.golden_loss
        entry = {"loss": loss, "lossRelErr": loss_err, "gradRelErr": grad_err, "ms": {}, "cpuMs": {}}
        configs[config] = entry
        if not (loss_err < 1e-4 and grad_err < 1e-3):
            entry["error"] = f"wrong step: loss rel. error {loss_err:.1e}, gradient {grad_err:.1e}"
            continue
        forwards[config] = forward
        if args.serve:
            continue  # timed by request, in serve()
        for side in sides:
            step(forward, inputs[side])  # warm-up: oneDNN picks its kernels on first use
            times, cpu = [], []
            for _ in range(args.reps):
                t0, c0 = time.perf_counter(), time.process_time()
                step(forward, inputs[side])
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            entry["ms"][side] = float(np.median(times))
            entry["cpuMs"][side] = float(np.median(cpu))
    ok = {name: c for name, c in configs.items() if "error" not in c}
    if args.serve:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "configs": configs, "best": {}}), flush=True)
        serve(forwards)
        return
    best = {side: min(ok, key=lambda name: ok[name]["ms"][side]) for side in sides} if ok else {}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "configs": configs, "best": best}))


def random_input(side):
    """A [1, 3, side, side] input in the range of a mean-subtracted picture, seeded by its side."""
    return torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(side)) * 200 - 100


def serve(forwards):
    """One step per line of stdin, "CONFIG THREADS SIDE", on random_input(SIDE)."""
    inputs = {}
    for line in sys.stdin:
        config, threads, side = line.split()
        threads, side = int(threads), int(side)
        if side not in inputs:
            inputs[side] = random_input(side)
        torch.set_num_threads(threads)
        t0, c0 = time.perf_counter(), time.process_time()
        step(forwards[config], inputs[side])
        ms, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        print(json.dumps({"ms": ms, "cpuMs": cpu}), flush=True)


if __name__ == "__main__":
    main()
