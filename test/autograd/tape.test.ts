import { describe, expect, it } from "vitest";
import { backward, record } from "../../src/autograd/tape.js";
import { Tensor, type Floats } from "../../src/tensor/tensor.js";

// Two throwaway ops, written here so the engine is tested on its own.
function mul(a: Tensor, b: Tensor): Tensor {
  const y = new Tensor(
    a.data.map((v, i) => v * b.data[i]!),
    a.shape,
  );
  // d(ab) = b da + a db
  return record(y, "mul", [a, b], (dy) => [dy.map((g, i) => g * b.data[i]!), dy.map((g, i) => g * a.data[i]!)]);
}
function add(a: Tensor, b: Tensor): Tensor {
  const y = new Tensor(
    a.data.map((v, i) => v + b.data[i]!),
    a.shape,
  );
  return record(y, "add", [a, b], (dy) => [dy, dy]); // the same buffer twice: the engine must copy
}

const f64 = (...v: number[]): Float64Array => Float64Array.from(v);

describe("tape", () => {
  it("accumulates gradients over fan-out: d/dx (x·x + x) = 2x + 1", () => {
    const x = new Tensor(f64(1, 2, -3), [3], true);
    const y = add(mul(x, x), x);
    backward(y);
    expect(x.grad).toBeAllClose([3, 5, -5], { atol: 0, rtol: 0 });
  });

  it("passes a seed as dL/dy and leaves tensors without requiresGrad alone", () => {
    const x = new Tensor(f64(1, 2), [2], true);
    const c = new Tensor(f64(10, 20), [2]);
    backward(mul(x, c), f64(1, -1));
    expect(x.grad).toBeAllClose([10, -20], { atol: 0, rtol: 0 });
    expect(c.grad).toBeNull();
  });

  it("records nothing when no input needs a gradient", () => {
    const y = mul(new Tensor(f64(1), [1]), new Tensor(f64(2), [1]));
    expect(y.node).toBeNull();
    expect(() => backward(y)).toThrow(/does not depend/);
  });

  it("names the op whose gradient has the wrong shape", () => {
    const x = new Tensor(f64(1, 2), [2], true);
    const bad = record(new Tensor(f64(0), [1]), "broken", [x], (): Floats[] => [f64(1)]);
    expect(() => backward(bad)).toThrow(/op "broken" input 0: gradient has 1 Float64Array values but the tensor is \[2\]/);
  });

  it("rejects a data length that disagrees with the shape", () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/5 values but shape \[2, 3\] needs 6/);
  });
});

describe("tape with several outputs", () => {
  it("sums ⟨seed_k, y_k⟩ over outputs that share a subgraph", () => {
    const x = new Tensor(f64(1, 2), [2], true);
    const sq = mul(x, x); // x²
    const y2 = add(sq, x); // x² + x
    // L = ⟨(1,1), x²⟩ + ⟨(2,0), x² + x⟩ → dL/dx = 2x + (2·(2x + 1), 0)
    backward([sq, y2], [f64(1, 1), f64(2, 0)]);
    expect(x.grad).toBeAllClose([2 + 6, 4], { atol: 0, rtol: 0 });
  });
});

describe("gradients added in place (`into`)", () => {
  /** y = scale·x, whose backward adds into `into` when offered (and `use` says so). */
  const scaled = (x: Tensor, scale: number, seen: Array<Floats | undefined>, use: boolean): Tensor =>
    record(
      new Tensor(
        x.data.map((v) => v * scale),
        x.shape,
      ),
      "scaled",
      [x],
      (dy, into) => {
        seen.push(into[0]);
        const g = into[0] !== undefined && use ? into[0] : new Float64Array(dy.length);
        for (let i = 0; i < dy.length; i++) g[i]! += scale * dy[i]!;
        return [g];
      },
    );
  const sum = (a: Tensor, b: Tensor): Tensor =>
    record(
      new Tensor(
        a.data.map((v, i) => v + b.data[i]!),
        a.shape,
      ),
      "sum",
      [a, b],
      (dy) => [dy, dy],
    );

  it("offers the second path the first path's gradient, and takes the array it returns as the sum", () => {
    for (const use of [true, false]) {
      const x = new Tensor(Float64Array.from([1, 2, 3]), [3], true);
      const seen: Array<Floats | undefined> = [];
      backward(sum(scaled(x, 2, seen, use), scaled(x, 5, seen, use)));
      expect(Array.from(x.grad!)).toEqual([7, 7, 7]); // 2 + 5, in place or summed by the tape
      expect(seen[0]).toBeUndefined(); // the first path has nothing to add into
      expect(seen[1]).toBeDefined();
    }
  });

  it("offers nothing for an input an op reads twice", () => {
    const x = new Tensor(Float64Array.from([1, 2]), [2], true);
    const seen: Array<Floats | undefined> = [];
    const twice = record(
      new Tensor(
        x.data.map((v) => v * v),
        x.shape,
      ),
      "square",
      [x, x],
      (dy, into) => {
        seen.push(...into);
        return [dy.map((v, i) => v * x.data[i]!), dy.map((v, i) => v * x.data[i]!)];
      },
    );
    backward(sum(twice, scaled(x, 1, [], true)));
    expect(seen).toEqual([undefined, undefined]);
    expect(Array.from(x.grad!)).toEqual([3, 5]); // 2x + 1
  });
});
