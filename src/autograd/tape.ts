// Reverse-mode automatic differentiation on a tape.
//
// Every op computes its output eagerly and, if any input requires a gradient, calls `record()`
// with a backward closure. The closure receives dL/dy (same shape as y) and returns dL/dx for
// each input — or null where that input needs none (DeepDream never needs weight gradients).
// `backward(y)` sorts the recorded graph topologically and walks it in reverse, summing the
// contributions that reach a tensor along several paths (fan-out: z = f(x) + g(x)).
//
// Summing costs a pass over memory per extra path (in GoogLeNet every inception module's input
// feeds four branches). So the tape offers each op the gradient an input has gathered so far,
// `into`: an op whose backward can add its contribution into that array at no cost to the bits
// (a convolution whose GEMM would start from zeros starts from it instead) returns it, and the
// tape then has nothing to add. Every other op ignores `into`, and the tape sums as before.
//
// The chain rule is all there is: for y = f(x1, …, xn),  dL/dxi += J_f,i(x)ᵀ · dL/dy.

import { allocLike, copyOf, formatShape, type Floats, type Tensor } from "../tensor/tensor.js";
import { activeProfiler, defineJob, pieceRange, piecesFor } from "../threads/pool.js";

/** How an op output was made: its op name, inputs and the vector–Jacobian product. */
export interface Node {
  /** The op's name, e.g. "conv2d", for messages. */
  readonly op: string;
  /** The tensors the op read, in the order `backward` returns their gradients. */
  readonly inputs: readonly Tensor[];
  /**
   * Given dL/dy, the gradient w.r.t. each input (null if not needed). dL/dy is the closure's
   * to use up: the tape never reads it again, so it may be overwritten (a fused ReLU does).
   * `into[k]`, where given, is the gradient input k has gathered from other paths, the tape's
   * own array: the op may add its gradient into it and return that very array, which must then
   * hold exactly what adding the two would (the same bits); or ignore it.
   */
  readonly backward: (dy: Floats, into: ReadonlyArray<Floats | undefined>) => ReadonlyArray<Floats | null>;
}

/** True if any of the tensors needs a gradient, i.e. the op must be recorded. */
export function needsGrad(...inputs: readonly Tensor[]): boolean {
  return inputs.some((t) => t.requiresGrad);
}

/**
 * Attaches `backward` to `y` if any input requires a gradient; otherwise records nothing.
 * Returns `y` for chaining.
 */
export function record(y: Tensor, op: string, inputs: readonly Tensor[], backward: Node["backward"]): Tensor {
  if (!needsGrad(...inputs)) return y;
  y.requiresGrad = true;
  y.node = { op, inputs, backward };
  activeProfiler()?.forward(op);
  return y;
}

/**
 * Back-propagates from `y` (or from several outputs at once). `seed` is dL/dy (default: ones,
 * i.e. L = Σy); with several outputs, L = Σ_k ⟨seed_k, y_k⟩. Afterwards every leaf tensor with
 * `requiresGrad` holds its accumulated `grad`; the intermediate gradients are dropped as soon
 * as they are used, to bound memory.
 */
export function backward(y: Tensor | readonly Tensor[], seed?: Floats | readonly Floats[]): void {
  const roots = Array.isArray(y) ? (y as readonly Tensor[]) : [y as Tensor];
  const seeds = seed === undefined ? [] : Array.isArray(seed) ? (seed as readonly Floats[]) : [seed as Floats];
  if (seed !== undefined && seeds.length !== roots.length) {
    throw new Error(`backward: ${seeds.length} seeds for ${roots.length} outputs`);
  }
  const grads = new Map<Tensor, Floats>();
  // Gradient buffers are summed into in place, so each must belong to exactly one tensor: an op
  // may hand back the same array for two inputs (a sum passes dy to both), and then we copy it.
  const owned = new Set<Floats>();
  const give = (x: Tensor, gx: Floats): void => {
    const prev = grads.get(x);
    if (prev !== undefined) addIntoInThreads(prev, gx);
    else if (owned.has(gx)) grads.set(x, copyOf(gx));
    else {
      grads.set(x, gx);
      owned.add(gx);
    }
  };
  roots.forEach((r, k) => {
    if (!r.requiresGrad) throw new Error("backward: the output does not depend on any tensor that requires a gradient");
    const s = seeds[k];
    const dy = s === undefined ? allocLike(r.data).fill(1) : copyOf(s);
    checkGradient(dy, r, "backward seed");
    give(r, dy);
  });

  const order = topologicalOrder(roots);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    if (g === undefined) continue;
    const node = t.node;
    if (node === null) {
      // A leaf: keep its gradient, adding to any left by an earlier backward().
      if (t.grad === null) t.grad = g;
      else addIntoInThreads(t.grad, g);
      continue;
    }
    grads.delete(t); // intermediates: release as we go
    const profiler = activeProfiler(),
      t0 = profiler === null ? 0 : performance.now();
    // What each input has gathered so far, offered to the op to add into (not for an input the op
    // reads twice, which would add into one array twice).
    const into = node.inputs.map((x, k) => (node.inputs.indexOf(x) === k && node.inputs.lastIndexOf(x) === k ? grads.get(x) : undefined));
    const inputGrads = node.backward(g, into);
    if (profiler !== null) profiler.backward(node.op, performance.now() - t0);
    if (inputGrads.length !== node.inputs.length) {
      throw new Error(`backward of op "${node.op}" returned ${inputGrads.length} gradients for ${node.inputs.length} inputs`);
    }
    node.inputs.forEach((x, k) => {
      const gx = inputGrads[k];
      if (gx === null || gx === undefined || !x.requiresGrad) return;
      checkGradient(gx, x, `op "${node.op}" input ${k}`);
      if (gx !== into[k]) give(x, gx); // else the op has added its gradient into x's
    });
  }
}

function checkGradient(g: Floats, x: Tensor, where: string): void {
  if (g.length !== x.size || g.constructor !== x.data.constructor) {
    throw new Error(
      `${where}: gradient has ${g.length} ${g.constructor.name} values but the tensor is ` +
        `${formatShape(x.shape)} ${x.data.constructor.name}`,
    );
  }
}

/** acc += g over [start, end). */
function addInto(acc: Floats, g: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) acc[i]! += g[i]!;
}

export const addIntoJob = defineJob("addInto", (a: { acc: Floats; g: Floats }, piece: number, pieces: number) =>
  addInto(a.acc, a.g, ...pieceRange(a.acc.length, piece, pieces)),
);

/** acc += g, split over threads for large arrays (../threads/pool.ts). */
function addIntoInThreads(acc: Floats, g: Floats): void {
  addIntoJob.run({ acc, g }, piecesFor(acc.length, Math.ceil(acc.length / 4096)));
}

/** Tensors reachable from the roots through recorded nodes, each after all of its inputs. */
function topologicalOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>(roots);
  // Iterative DFS: GoogLeNet is only ~150 ops deep, but user graphs may be deeper.
  const stack: Array<{ t: Tensor; next: number }> = roots.map((t) => ({ t, next: 0 })).reverse();
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.t.node?.inputs ?? [];
    if (top.next < inputs.length) {
      const x = inputs[top.next++]!;
      if (x.requiresGrad && !seen.has(x)) {
        seen.add(x);
        stack.push({ t: x, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order;
}
