// GoogLeNet against an independent implementation: test/fixtures/golden holds the exact input
// tensors and the float64 results (blob statistics, class probabilities, input gradients) that
// a separate reimplementation of the same network computed from the same weights
// (shared/golden/googlenet; see its manifest.json). Float64 must agree to rounding; Float32 to
// float32 rounding, which is ~1e-4–2e-3 relative at deep layers. A wrong pooling, padding or
// LRN rule is off by more than 1e-1.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { inputGradient } from "../../src/dream/objective.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { Tensor, type Floats } from "../../src/tensor/tensor.js";

const dir = new URL("../fixtures/golden/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", dir), "utf8")) as {
  cases: Array<{
    name: string;
    input: string;
    inputShape: number[];
    blobs: Record<string, { shape: number[]; sum: number }>;
    prob?: string;
    top5?: number[];
    gradient: { layer: string; loss: number; file: string };
  }>;
};

function read(file: string, type: "f32" | "f64"): Floats {
  const b = readFileSync(new URL(file, dir));
  const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return type === "f32" ? new Float32Array(copy) : new Float64Array(copy);
}

function relL2(a: Floats, b: Floats): number {
  let d = 0,
    n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

let net: CaffeNet;
beforeAll(async () => {
  net = await loadGoogLeNet();
});

for (const c of manifest.cases) {
  describe(`golden ${c.name} (${c.inputShape.join("×")})`, () => {
    const input32 = () => new Tensor(read(c.input, "f32"), c.inputShape);
    const blobNames = Object.keys(c.blobs);

    it("float32 blob sums within 1e-4 relative, shapes exact", () => {
      const outs = net.forward(input32(), blobNames);
      outs.forEach((a, k) => {
        const expected = c.blobs[blobNames[k]!]!;
        expect(a.shape).toEqual(expected.shape);
        let sum = 0;
        for (const v of a.data) sum += v;
        expect(Math.abs(sum - expected.sum) / Math.abs(expected.sum), blobNames[k]).toBeLessThan(1e-4);
      });
    });

    if (c.prob !== undefined) {
      const prob = read(c.prob, "f64");
      it("float32 probabilities within 1e-4 absolute, same top 5", () => {
        const [p] = net.forward(input32(), ["prob"]);
        expect(p!.data).toBeAllClose(prob, { atol: 1e-4, rtol: 0 });
        const top5 = Array.from(p!.data.keys())
          .sort((a, b) => p!.data[b]! - p!.data[a]!)
          .slice(0, 5);
        expect(top5).toEqual(c.top5);
      });
      it("float64 probabilities within 1e-9", () => {
        const [p] = net.forward(input32().to("float64"), ["prob"]);
        expect(p!.data).toBeAllClose(prob, { atol: 1e-9, rtol: 0 });
      });
    }

    const grad = read(c.gradient.file, "f64");
    it(`float32 gradient of ½Σa² at ${c.gradient.layer} within 5e-3 relative L2`, () => {
      const g = inputGradient(net, input32(), { layer: c.gradient.layer });
      expect(Math.abs(g.loss - c.gradient.loss) / c.gradient.loss).toBeLessThan(1e-3);
      expect(relL2(g.grad, grad)).toBeLessThan(5e-3);
    });
    it(`float64 gradient of ½Σa² at ${c.gradient.layer} within 1e-6 relative L2`, () => {
      const g = inputGradient(net, input32().to("float64"), { layer: c.gradient.layer });
      expect(Math.abs(g.loss - c.gradient.loss) / c.gradient.loss).toBeLessThan(1e-9);
      expect(relL2(g.grad, grad)).toBeLessThan(1e-6);
    });
  });
}
