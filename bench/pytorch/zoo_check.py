"""Any Caffe net from bench/pytorch/zoo-check.ts's export, rebuilt with torch ops (bench only).

Reads net.json (our decoder's layers with Caffe's parameters, defaults filled in) and
weights.f32, runs the layers in file order in Float64 on input.f32, and for each requested blob
compares the forward and the input gradient of 0.5 * sum(a^2) with ours (blobK.f64, gradK.f64,
computed by our net in Float32, or in Float64 with zoo-check.ts --float64). Prints a line per blob and, last, one JSON object.

Caffe semantics as torch ops:
  Pooling      output size rounds up (ceil_mode); AVE divides by the window clipped to the padded
               input (count_include_pad), which is avg_pool2d's rule in ceil mode too; global
               pooling is one window the size of the plane.
  LRN          across channels: local_response_norm's formula, x * (k + alpha/n sum x^2)^-beta;
               within a channel: x * (1 + alpha * avg_pool(x^2, n, pad (n-1)/2))^-beta.
  BatchNorm    mean = blob0 / s, var = blob1 / s with s = blob2[0] (1/s = 0 when s = 0), floats
               as Caffe holds them;
               (x - mean) / sqrt(var + eps), the stored statistics (inference).
  Scale, Bias  the parameter spans axes axis .. axis+num_axes-1 (the second bottom's shape when
               there is one), broadcast over the others.
  Deconvolution conv_transpose2d, whose weight layout [in, out/groups, kh, kw] is Caffe's.
  Reshape      0 copies the input's dimension, -1 is inferred; Crop takes bottom 1's sizes from
               `axis` on, at the offsets.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

SKIP = {"Input", "Data", "ImageData", "HDF5Data", "MemoryData", "WindowData", "DummyData", "AnnotatedData",
        "SoftmaxWithLoss", "EuclideanLoss", "Accuracy", "Silence"}


def axis_of(axis, rank):
    return axis + rank if axis < 0 else axis


def span(x, p, axes, axis):
    """p reshaped to broadcast over x on axes axis .. axis+axes-1."""
    return p.reshape([1] * axis + list(x.shape[axis:axis + axes]) + [1] * (x.dim() - axis - axes))


def run_layer(layer, xs, w):
    t = layer["type"]
    x = xs[0]
    if t == "Convolution":
        p = layer["convolution"]
        b = w[1].reshape(-1) if p["biasTerm"] else None
        return [F.conv2d(x, w[0].reshape(p["numOutput"], -1, *p["kernel"]), b, p["stride"], p["pad"], p["dilation"], p["group"])]
    if t == "Deconvolution":
        p = layer["convolution"]
        b = w[1].reshape(-1) if p["biasTerm"] else None
        weight = w[0].reshape(x.shape[1], -1, *p["kernel"])
        return [F.conv_transpose2d(x, weight, b, p["stride"], p["pad"], 0, p["group"], p["dilation"])]
    if t == "Pooling":
        p = layer["pooling"]
        k, s, pad = (list(x.shape[2:]), 1, 0) if p["globalPooling"] else (p["kernel"], p["stride"], p["pad"])
        if p["method"] == "max":
            return [F.max_pool2d(x, k, s, pad, ceil_mode=True)]
        return [F.avg_pool2d(x, k, s, pad, ceil_mode=True, count_include_pad=True)]
    if t == "LRN":
        p = layer["lrn"]
        n = p["localSize"]
        if p["normRegion"] == "across":
            return [F.local_response_norm(x, n, p["alpha"], p["beta"], p["k"])]
        mean_sq = F.avg_pool2d(x * x, n, 1, (n - 1) // 2, ceil_mode=True, count_include_pad=True)
        return [x * (1 + p["alpha"] * mean_sq) ** -p["beta"]]
    if t == "InnerProduct":
        p = layer["innerProduct"]
        flat = x.flatten(axis_of(p["axis"], x.dim()))
        weight = w[0].reshape(-1, p["numOutput"]).t() if p["transpose"] else w[0].reshape(p["numOutput"], -1)
        return [F.linear(flat, weight, w[1].reshape(-1) if p["biasTerm"] else None)]
    if t == "Softmax":
        return [F.softmax(x, axis_of(layer.get("softmax", {"axis": 1})["axis"], x.dim()))]
    if t == "ReLU":
        slope = layer.get("relu", {"negativeSlope": 0})["negativeSlope"]
        return [F.relu(x) if slope == 0 else torch.where(x > 0, x, slope * x)]
    if t in ("Dropout",):
        return [x]
    if t == "Split":
        return [x for _ in layer["tops"]]
    if t == "Concat":
        return [torch.cat(xs, axis_of(layer.get("concat", {"axis": 1})["axis"], x.dim()))]
    if t == "Eltwise":
        p = layer.get("eltwise", {"operation": "sum", "coeff": []})
        if p["operation"] == "sum":
            coeff = p["coeff"] or [1.0] * len(xs)
            return [sum(c * v for c, v in zip(coeff, xs))]
        out = xs[0]
        for v in xs[1:]:
            out = out * v if p["operation"] == "prod" else torch.maximum(out, v)
        return [out]
    if t == "BatchNorm":
        p = layer.get("batchNorm", {"eps": 1e-5})
        # Caffe holds the statistics as floats: 1/s and each product rounded to Float32.
        s = np.float32(w[2].reshape(-1)[0])
        f = np.float32(0) if s == 0 else np.float32(1) / s
        mean = span(x, (w[0].float() * float(f)).double(), 1, 1)
        var = span(x, (w[1].float() * float(f)).double(), 1, 1)
        return [(x - mean) / torch.sqrt(var + p["eps"])]
    if t in ("Scale", "Bias"):
        p = layer.get("scale" if t == "Scale" else "bias", {"axis": 1, "numAxes": 1})
        axis = axis_of(p["axis"], x.dim())
        params = ([xs[1]] if len(xs) > 1 else []) + w
        axes = xs[1].dim() if len(xs) > 1 else (x.dim() - axis if p["numAxes"] < 0 else p["numAxes"])
        if t == "Bias":
            return [x + span(x, params[0], axes, axis)]
        y = x * span(x, params[0], axes, axis)
        return [y + span(x, params[1], axes, axis) if p.get("biasTerm") else y]
    if t == "PReLU":
        return [F.prelu(x, w[0].reshape(-1))]
    if t == "Sigmoid":
        return [torch.sigmoid(x)]
    if t == "TanH":
        return [torch.tanh(x)]
    if t == "AbsVal":
        return [x.abs()]
    if t == "ELU":
        return [F.elu(x, layer.get("elu", {"alpha": 1.0})["alpha"])]
    if t == "Power":
        p = layer["power"]
        return [(p["shift"] + p["scale"] * x) ** p["power"]]
    if t == "Flatten":
        p = layer.get("flatten", {"axis": 1, "endAxis": -1})
        return [torch.flatten(x, axis_of(p["axis"], x.dim()), axis_of(p["endAxis"], x.dim()))]
    if t == "Reshape":
        p = layer["reshape"]
        start = p["axis"] if p["axis"] >= 0 else x.dim() + p["axis"] + 1
        end = x.dim() if p["numAxes"] == -1 else start + p["numAxes"]
        middle = [x.shape[start + i] if d == 0 else d for i, d in enumerate(p["shape"])]
        return [x.reshape(list(x.shape[:start]) + middle + list(x.shape[end:]))]
    if t == "Slice":
        p = layer.get("slice", {"axis": 1, "slicePoints": []})
        axis = axis_of(p["axis"], x.dim())
        points = p["slicePoints"]
        if points:
            sizes = [b - a for a, b in zip([0] + points, points + [x.shape[axis]])]
        else:
            sizes = [x.shape[axis] // len(layer["tops"])] * len(layer["tops"])
        return list(torch.split(x, sizes, axis))
    if t == "Crop":
        p = layer.get("crop", {"axis": 2, "offset": []})
        axis = axis_of(p["axis"], x.dim())
        y = x
        for i in range(axis, x.dim()):
            off = 0 if not p["offset"] else p["offset"][0] if len(p["offset"]) == 1 else p["offset"][i - axis]
            y = y.narrow(i, off, xs[1].shape[i])
        return [y]
    raise ValueError(f"layer {layer['name']}: no torch version of {t}")


def forward(net, flat, x, targets):
    """The named blobs by CaffeNet's rule: a layer's name is its first top right after it ran."""
    def blob(b):
        n = int(np.prod(b["shape"]))
        return torch.from_numpy(flat[b["offset"]:b["offset"] + n].astype(np.float64).reshape(b["shape"]))

    current = {(net["inputs"][0]["name"] if net["inputs"] else "data"): x}
    by_layer = {}
    wanted = set(targets)
    for layer in net["layers"]:
        if layer["type"] in SKIP or layer.get("phase") == "train":
            continue
        tops = run_layer(layer, [current[b] for b in layer["bottoms"]], [blob(b) for b in layer["blobs"]])
        by_layer.setdefault(layer["name"], tops[0])
        for name, value in zip(layer["tops"], tops):
            current[name] = value
        if wanted <= set(by_layer):
            break  # every target is a layer that has run; the rest of the net is not needed
    return [by_layer.get(t, current.get(t)) for t in targets]


def main():
    net_json, weights, folder, shape, *targets = sys.argv[1:]
    net = json.load(open(net_json))
    flat = np.fromfile(weights, dtype="<f4")
    shape = json.loads(shape)
    data = np.fromfile(f"{folder}/input.f32", dtype="<f4").astype(np.float64).reshape(shape)
    results = {}
    for k, target in enumerate(targets):
        x = torch.from_numpy(data.copy()).requires_grad_(True)
        (a,) = forward(net, flat, x, [target])
        (0.5 * (a * a).sum()).backward()
        ours = np.fromfile(f"{folder}/blob{k}.f64", dtype="<f8")
        ours_grad = np.fromfile(f"{folder}/grad{k}.f64", dtype="<f8")
        ref, ref_grad = a.detach().numpy().reshape(-1), x.grad.numpy().reshape(-1)
        # The largest difference over the largest value, and the relative L2 norm of the
        # difference: a max pooling whose two largest inputs are within Float32's rounding can
        # route one gradient value to another cell (a large max error, a small L2 one).
        fwd = float(np.abs(ours - ref).max() / np.abs(ref).max())
        grad = float(np.abs(ours_grad - ref_grad).max() / np.abs(ref_grad).max())
        grad_l2 = float(np.linalg.norm(ours_grad - ref_grad) / np.linalg.norm(ref_grad))
        results[target] = {"shape": list(a.shape), "forwardRelErr": fwd, "gradRelErr": grad, "gradRelL2": grad_l2}
        print(f"{target:28s} {'x'.join(map(str, a.shape)):>14s}  forward {fwd:.2e}  "
              f"input gradient {grad:.2e} (L2 {grad_l2:.2e})")
    print(json.dumps({"torch": torch.__version__, "blobs": results}))


if __name__ == "__main__":
    main()
