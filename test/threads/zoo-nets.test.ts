// Whole Model-Zoo-shaped nets (test/models/zoo-nets.ts) give the same bits on 1 and 2 threads:
// the forward at the default dream layer and the input gradient of ½Σa² there, which is one
// DeepDream step's work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import { deepestFeatureMap } from "../../src/dream/default-layer.js";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { allocFloats, Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { resnet50, vgg16, zooInput, type ZooNet } from "../models/zoo-nets.js";

beforeAll(() => threadsReady(2));
afterAll(() => shutdownThreads());

/** The forward at the net's default dream layer and the input gradient, at `side`², on `threads`. */
function step(zoo: ZooNet, side: number, threads: number): number[][] {
  const net = caffeNetFromBytes(zoo.bytes, zoo.def.name);
  const layer = deepestFeatureMap(net);
  return withThreads(threads, () => {
    const input = zooInput(side, 21);
    const data = allocFloats("float32", input.data.length);
    data.set(input.data);
    const x = new Tensor(data, input.shape, true);
    const [a] = net.forward(x, [layer]);
    backward(a!, a!.data);
    return [Array.from(a!.data), Array.from(x.grad!)];
  });
}

describe("a whole net on 1 and 2 threads", () => {
  it("VGG-16-shaped: the same bits at pool5, forward and input gradient", () => {
    const zoo = vgg16();
    const [one, two] = [step(zoo, 96, 1), step(zoo, 96, 2)];
    expect(two[0]).toEqual(one[0]);
    expect(two[1]).toEqual(one[1]);
    expect(one[1]!.some((v) => v !== 0)).toBe(true);
  });
  it("ResNet-50-shaped: the same bits at res5c_relu, through the folded BatchNorms and the shortcuts", () => {
    const zoo = resnet50();
    const [one, two] = [step(zoo, 96, 1), step(zoo, 96, 2)];
    expect(two[0]).toEqual(one[0]);
    expect(two[1]).toEqual(one[1]);
    expect(one[1]!.some((v) => v !== 0)).toBe(true);
  });
});
