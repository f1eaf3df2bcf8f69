// Adam's update against a computation by hand, step by step, and its climb on a simple score.
import { describe, expect, it } from "vitest";
import { adamAscend, adamState } from "../../src/dream/adam.js";

describe("adamAscend", () => {
  it("takes the steps of the paper's formulas, worked out by hand", () => {
    // One parameter, lr 0.1, β₁ 0.5, β₂ 0.75, ε 0, gradients 2 then −1.
    const theta = new Float64Array([1]);
    const s = adamState(1);
    const o = { learningRate: 0.1, beta1: 0.5, beta2: 0.75, epsilon: 0 };
    adamAscend(theta, [2], s, o);
    // m = 0.5·2 = 1, v = 0.25·4 = 1; m̂ = 1/0.5 = 2, v̂ = 1/0.25 = 4; θ = 1 + 0.1·2/2 = 1.1.
    expect(s.m[0]).toBe(1);
    expect(s.v[0]).toBe(1);
    expect(theta[0]).toBeCloseTo(1.1, 15);
    adamAscend(theta, [-1], s, o);
    // m = 0.5·1 + 0.5·(−1) = 0, so θ stays; v = 0.75·1 + 0.25·1 = 1.
    expect(s.m[0]).toBe(0);
    expect(s.v[0]).toBe(1);
    expect(theta[0]).toBeCloseTo(1.1, 15);
    adamAscend(theta, [3], s, o);
    // m = 1.5, v = 0.75 + 2.25 = 3; m̂ = 1.5/0.875, v̂ = 3/(1 − 0.421875); θ = 1.1 + 0.1·m̂/√v̂.
    const step = (0.1 * (1.5 / 0.875)) / Math.sqrt(3 / 0.578125);
    expect(theta[0]).toBeCloseTo(1.1 + step, 15);
    expect(s.t).toBe(3);
  });

  it("with the defaults, moves each parameter by about lr whatever its gradient's scale, and climbs −(θ − 3)²", () => {
    const theta = new Float64Array([0, 0]);
    adamAscend(theta, [1e-6, 1e6], adamState(2), {});
    expect(theta[0]).toBeCloseTo(0.05, 3);
    expect(theta[1]).toBeCloseTo(0.05, 9);
    const x = new Float64Array([0]);
    const s = adamState(1);
    for (let i = 0; i < 400; i++) adamAscend(x, [-2 * (x[0]! - 3)], s, { learningRate: 0.1 });
    expect(x[0]).toBeCloseTo(3, 1);
  });
});
