// Sigmoid, TanH, ELU, Power and AbsVal (src/layers/pointwise.ts): values and input gradients at
// points worked out by hand from Caffe's formulas (Caffe's special cases of Power included), the
// fast range kernels against their textbook twins on awkward sizes, and the same bits on 1, 2
// and 3 threads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import {
  absval,
  elu,
  pointwiseBackwardInThreads,
  pointwiseBackwardNaive,
  pointwiseForwardInThreads,
  pointwiseForwardNaive,
  power,
  sigmoid,
  tanh,
  type Pointwise,
  type PowerParams,
} from "../../src/layers/pointwise.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { pieceRange, shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const f64 = (values: number[], requiresGrad = true): Tensor => new Tensor(Float64Array.from(values), [values.length], requiresGrad);

/** y = op(x) and dL/dx for L = Σ y (dy = 1). */
function valueAndGradient(op: (x: Tensor) => Tensor, values: number[]): { y: number[]; dx: number[] } {
  const x = f64(values);
  const y = op(x);
  backward(y, new Float64Array(values.length).fill(1));
  return { y: Array.from(y.data), dx: Array.from(x.grad!) };
}

const close = { atol: 0, rtol: 1e-15 };

describe("values and gradients as Caffe computes them", () => {
  it("Sigmoid: 0.5·tanh(0.5x) + 0.5, and y(1 − y) from the output", () => {
    const { y, dx } = valueAndGradient(sigmoid, [-2, 0, 0.5, 3]);
    expect(y).toBeAllClose([0.11920292202211757, 0.5, 0.6224593312018546, 0.9525741268224333], close);
    expect(dx).toBeAllClose([0.10499358540350653, 0.25, 0.2350037122015945, 0.0451766597309121], close);
  });

  it("Sigmoid is Caffe's tanh form all the way: 0 at x = −40, where 1 / (1 + e⁴⁰) would be 4.2e-18", () => {
    const y = sigmoid(new Tensor(Float64Array.from([-40, -20, 40]), [3]));
    expect(y.data[0]).toBe(0);
    expect(y.data[1]).toBe(0.5 * Math.tanh(-10) + 0.5);
    expect(y.data[1]).toBeCloseTo(2.0611536181902037e-9, 16);
    expect(y.data[2]).toBe(1);
  });

  it("TanH: tanh x, and 1 − y²", () => {
    const { y, dx } = valueAndGradient(tanh, [-1, 0, 0.5]);
    expect(y).toBeAllClose([-0.7615941559557649, 0, 0.46211715726000974], close);
    expect(dx).toBeAllClose([0.41997434161402614, 1, 0.7864477329659274], close);
  });

  it("ELU α = 0.5: α(eˣ − 1) below 0, and the gradient α + y there, α itself at x = 0 (Caffe's x ≤ 0)", () => {
    const { y, dx } = valueAndGradient((x) => elu(x, 0.5), [-1, 0, 2]);
    expect(y).toBeAllClose([-0.31606027941427883, 0, 2], close);
    expect(dx).toBeAllClose([0.18393972058572117, 0.5, 1], close);
  });

  it("ELU defaults to α = 1", () => {
    const { y, dx } = valueAndGradient((x) => elu(x), [-1]);
    expect(y).toBeAllClose([Math.exp(-1) - 1], close);
    expect(dx).toBeAllClose([Math.exp(-1)], close);
  });

  it("AbsVal: |x|, and sign x with sign 0 = 0", () => {
    const { y, dx } = valueAndGradient(absval, [-1.5, 0, 2]);
    expect(y).toEqual([1.5, 0, 2]);
    expect(dx).toEqual([-1, 0, 1]);
  });

  describe("Power: (shift + scale·x)^power", () => {
    const powerOf = (p: Partial<PowerParams>) => (x: Tensor) => power(x, p);

    it("power 2, by Caffe's 2·scale·(shift + scale·x): 9 and 12 at x = 1, 0 and 0 where the base is 0", () => {
      const { y, dx } = valueAndGradient(powerOf({ power: 2, scale: 2, shift: 1 }), [1, -0.5, -2]);
      expect(y).toEqual([9, 0, 9]);
      expect(dx).toEqual([12, 0, -12]);
    });

    it("an integer power on a negative base, shift 0 (Caffe's power·y/x): (−0.5·2)³ = −1, slope −1.5", () => {
      const { y, dx } = valueAndGradient(powerOf({ power: 3, scale: -0.5 }), [2, -2]);
      expect(y).toEqual([-1, 1]);
      expect(dx).toEqual([-1.5, -1.5]);
    });

    it("a fractional power with a shift (Caffe's power·scale·y/base): √(1 + 3) = 2, slope 0.25", () => {
      const { y, dx } = valueAndGradient(powerOf({ power: 0.5, shift: 1 }), [3]);
      expect(y).toEqual([2]);
      expect(dx).toEqual([0.25]);
    });

    it("a zero base: the derivative (0 for power 3, ∞ for power 0.5), not Caffe's 0/0 = NaN", () => {
      expect(valueAndGradient(powerOf({ power: 3 }), [0]).dx).toEqual([0]);
      expect(valueAndGradient(powerOf({ power: 3, scale: 2, shift: -1 }), [0.5]).dx).toEqual([0]);
      expect(valueAndGradient(powerOf({ power: 0.5 }), [0]).dx).toEqual([Number.POSITIVE_INFINITY]);
    });

    it("power 1 is shift + scale·x with gradient scale", () => {
      const { y, dx } = valueAndGradient(powerOf({ power: 1, scale: -2, shift: 0.5 }), [1, -1]);
      expect(y).toEqual([-1.5, 2.5]);
      expect(dx).toEqual([-2, -2]);
    });

    it("power 0, or scale 0, ignores x, even a NaN: 1, or shift^power, with gradient 0", () => {
      expect(valueAndGradient(powerOf({ power: 0, scale: 3, shift: 2 }), [Number.NaN, 5])).toEqual({ y: [1, 1], dx: [0, 0] });
      expect(valueAndGradient(powerOf({ power: 2, scale: 0, shift: 3 }), [Number.NaN, -4])).toEqual({ y: [9, 9], dx: [0, 0] });
    });

    it("defaults to the identity (power 1, scale 1, shift 0)", () => {
      expect(valueAndGradient(powerOf({}), [-0.75, 2])).toEqual({ y: [-0.75, 2], dx: [1, 1] });
    });

    it("a negative base with a fractional power is NaN, as in Caffe", () => {
      expect(valueAndGradient(powerOf({ power: 0.5 }), [-4]).y).toEqual([Number.NaN]);
    });
  });

  it("keeps the input's dtype, does not write into it, and records under Caffe's name", () => {
    const x = new Tensor(Float32Array.from([-1, 2]), [2], true);
    for (const [op, name] of [
      [sigmoid, "sigmoid"],
      [tanh, "tanh"],
      [elu, "elu"],
      [power, "power"],
      [absval, "absval"],
    ] as const) {
      const y = op(x);
      expect(y.data).toBeInstanceOf(Float32Array);
      expect(y.node!.op).toBe(name);
    }
    expect(Array.from(x.data)).toEqual([-1, 2]);
  });
});

// Every function with parameters where the fast kernels take each of their paths.
const FUNCTIONS: Array<[string, Pointwise, [number, number]]> = [
  ["sigmoid", { fn: "sigmoid" }, [-6, 6]],
  ["tanh", { fn: "tanh" }, [-3, 3]],
  ["elu α=1", { fn: "elu", alpha: 1 }, [-3, 3]],
  ["elu α=0.3", { fn: "elu", alpha: 0.3 }, [-3, 3]],
  ["elu α=2.5", { fn: "elu", alpha: 2.5 }, [-3, 3]],
  ["power 3 mixed-sign base", { fn: "power", power: 3, scale: -0.7, shift: 0.2 }, [-2, 2]],
  ["power 3 shift 0", { fn: "power", power: 3, scale: 2, shift: 0 }, [-2, 2]],
  ["power 2", { fn: "power", power: 2, scale: 1.5, shift: 0.5 }, [-2, 2]],
  ["power 1.5 positive base", { fn: "power", power: 1.5, scale: 0.25, shift: 1 }, [-3, 3]],
  ["power −2 positive base", { fn: "power", power: -2, scale: 0.1, shift: 1 }, [-3, 3]],
  ["power 1", { fn: "power", power: 1, scale: -3, shift: 0.5 }, [-3, 3]],
  ["power 0", { fn: "power", power: 0, scale: 2, shift: 1 }, [-3, 3]],
  ["power scale 0", { fn: "power", power: 2, scale: 0, shift: -1.5 }, [-3, 3]],
  ["absval", { fn: "absval" }, [-3, 3]],
];

describe("the fast kernels against their textbook twins", () => {
  for (const [Ctor, tolerance] of [
    [Float64Array, { atol: 1e-14, rtol: 1e-12 }],
    [Float32Array, { atol: 1e-7, rtol: 3e-7 }],
  ] as const) {
    for (const [name, f, range] of FUNCTIONS) {
      it(`${name}, ${Ctor.name}, n = 1, 7, 63, 65, 1000`, () => {
        for (const n of [1, 7, 63, 65, 1000]) {
          const x = random(n, n, Ctor, range);
          if (n > 3) x[2] = 0; // AbsVal's sign and ELU's left derivative at 0
          const dy = random(n, n + 1, Ctor);
          const y = new Ctor(n),
            yRef = new Ctor(n);
          pointwiseForwardInThreads(f, y, x);
          pointwiseForwardNaive(f, yRef, x);
          expect(y, `forward, n = ${n}`).toBeAllClose(yRef, tolerance);
          const dx = new Ctor(n).fill(0.5),
            dxRef = new Ctor(n).fill(0.5); // both accumulate
          pointwiseBackwardInThreads(f, dx, dy, x, y);
          pointwiseBackwardNaive(f, dxRef, dy, x);
          expect(dx, `backward, n = ${n}`).toBeAllClose(dxRef, tolerance);
        }
      });
    }
  }

  it("the forward and backward of a range write only inside it", async () => {
    const { pointwiseForwardJob, pointwiseBackwardJob } = await import("../../src/layers/pointwise.js");
    const n = 101;
    const [start, end] = pieceRange(n, 1, 3);
    expect([start, end]).toEqual([34, 68]);
    for (const [name, f, range] of FUNCTIONS) {
      const x = random(n, 3, Float64Array, range),
        dy = random(n, 4, Float64Array);
      const yRef = new Float64Array(n),
        dxRef = new Float64Array(n).fill(7);
      pointwiseForwardNaive(f, yRef, x);
      pointwiseBackwardNaive(f, dxRef, dy, x);
      // Piece 1 of 3 is [34, 68); the sentinel 7 is no value any function here gives.
      const y = new Float64Array(n).fill(7),
        dx = new Float64Array(n).fill(7);
      pointwiseForwardJob.piece({ f, y, x }, 1, 3);
      pointwiseBackwardJob.piece({ f, dx, dy, x, y: yRef }, 1, 3);
      for (let i = 0; i < n; i++) {
        const inside = i >= start && i < end;
        expect(y[i], `${name} forward at ${i}`).toBeCloseTo(inside ? yRef[i]! : 7, 12);
        expect(dx[i], `${name} backward at ${i}`).toBeCloseTo(inside ? dxRef[i]! : 7, 12);
      }
    }
  });
});

describe("the same bits on 1, 2 and 3 threads", () => {
  beforeAll(() => threadsReady(3));
  afterAll(() => shutdownThreads());

  const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;

  for (const [name, f, range] of FUNCTIONS) {
    it(name, () => {
      // 100 003 values: above the size at which a job is split, with a ragged last piece.
      const compute = (): Float32Array[] => {
        const x = random(100_003, 8, float32s, range),
          y = float32s(x.length),
          dx = random(x.length, 9, float32s);
        pointwiseForwardInThreads(f, y, x);
        pointwiseBackwardInThreads(f, dx, random(x.length, 10, float32s), x, y);
        return [y, dx];
      };
      const one = withThreads(1, compute).map((a) => Array.from(a));
      for (const n of [2, 3]) {
        withThreads(n, compute).forEach((a, k) => {
          expect(Array.from(a), `output ${k} at ${n} threads`).toEqual(one[k]);
        });
      }
    });
  }
});
