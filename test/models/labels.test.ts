// Class labels as a user types them: index, synset id, name, word of a name.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OptionError } from "../../src/errors.js";
import { findClass, parseSynsets } from "../../src/models/labels.js";
import { synsetWordsUrl } from "../../src/models/sources.js";

const imagenet = parseSynsets(readFileSync(synsetWordsUrl, "utf8"));

const refused = (label: string | number): string => {
  try {
    findClass(label, imagenet);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    expect((e as Error).message).not.toMatch(/\n/);
    return (e as Error).message;
  }
  throw new Error(`findClass(${JSON.stringify(label)}) did not throw`);
};

describe("parseSynsets", () => {
  it("keeps the id and every comma-separated name, in classifier order", () => {
    expect(parseSynsets("n01440764 tench, Tinca tinca\n\nn02123045 tabby, tabby cat\n")).toEqual([
      { index: 0, id: "n01440764", names: ["tench", "Tinca tinca"] },
      { index: 1, id: "n02123045", names: ["tabby", "tabby cat"] },
    ]);
    expect(imagenet).toHaveLength(1000);
    expect(imagenet[954]).toEqual({ index: 954, id: "n07753592", names: ["banana"] });
  });
});

describe("findClass", () => {
  it("reads an index, a synset id, a name and a whole word of a name", () => {
    expect(findClass(954, imagenet)).toBe(954);
    expect(findClass("954", imagenet)).toBe(954);
    expect(findClass("n07753592", imagenet)).toBe(954);
    expect(findClass("banana", imagenet)).toBe(954);
    expect(findClass("Tabby", imagenet)).toBe(281);
    expect(findClass("tabby cat", imagenet)).toBe(281);
    expect(findClass("tiger cat", imagenet)).toBe(282);
    expect(findClass("Tinca", imagenet)).toBe(0); // a word of "Tinca tinca", the tench's second name
    expect(findClass("jack-o'-lantern", imagenet)).toBe(607);
    expect(findClass("  goldfish ", imagenet)).toBe(1);
  });

  it("refuses an ambiguous label, listing the candidates with their indices", () => {
    expect(refused("crane")).toBe('"crane" could be 2 classes: crane (134), crane (517); give the index or a longer name');
    expect(refused("cat")).toMatch(/^"cat" could be 7 classes: tabby \(281\), tiger cat \(282\), Persian cat \(283\), /);
    expect(refused("dog")).toMatch(/^"dog" could be \d+ classes: (\S[^,]* \(\d+\), ){7}\S[^,]* \(\d+\), and \d+ more; give/);
  });

  it("refuses an unknown label, naming the closest classes, and an index out of range", () => {
    expect(refused("bananna")).toBe('no ImageNet class is called "bananna"; the closest is banana (954)');
    expect(refused("shephard")).toBe('no ImageNet class is called "shephard"; the closest is German shepherd (235)');
    expect(refused("zzzzqq")).toMatch(/^no ImageNet class is called "zzzzqq"; the closest are (.* \(\d+\), ){4}.* \(\d+\)$/);
    expect(refused(1000)).toBe("class 1000 is out of range: the classes are numbered 0–999");
    expect(refused(-1)).toBe("class -1 is out of range: the classes are numbered 0–999");
    expect(refused(2.5)).toMatch(/class 2.5 is out of range/);
    expect(refused("n00000000")).toBe('no class has the synset id "n00000000"');
    expect(refused(" ")).toMatch(/cannot be empty/);
  });
});
