// ImageNet classes by name: which of the classifier's 1000 outputs a user means by "banana".
//
// synset_words.txt lists the classes in the order of the classifier's outputs, one a line: a
// WordNet synset id and its comma-separated names ("n02123045 tabby, tabby cat"). A label is
//   an index            "954"        the output itself, 0–999;
//   a synset id         "n07753592"  the WordNet id;
//   a name              "tabby cat"  any of a class's names, whole (case and punctuation aside);
//   a word of a name    "shepherd"   a whole word or run of words inside one name.
// Several classes can share a name ("crane" is a bird and a machine) or a word ("cat"): such a
// label is refused with the candidates listed, since a dream toward the wrong one wastes minutes.
// A label that matches nothing is refused with the names nearest to it by edit distance.

import { OptionError } from "../errors.js";
import { editDistance } from "./closest-names.js";

/** One class of a classifier: its output index, WordNet id and names. */
export interface Synset {
  /** Its classifier output index: its line in the file, blank lines skipped. */
  index: number;
  /** The WordNet id, e.g. "n07753592". */
  id: string;
  /** Every name, in the file's order: ["tabby", "tabby cat"]. */
  names: string[];
}

/** The classes of a `synset_words.txt`, in classifier order (blank lines skipped). */
export function parseSynsets(text: string): Synset[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const [, id = "", rest = ""] = /^\s*(\S+)\s*(.*)$/.exec(line) ?? [];
      return {
        index,
        id,
        names: rest
          .split(",")
          .map((n) => n.trim())
          .filter((n) => n !== ""),
      };
    });
}

/** Most candidates an error message lists. */
const LISTED = 8;

/**
 * The class index that `label` means (see the header): an index, a synset id, a name or a word
 * of one name.
 * @throws {OptionError} for an index out of range, an unknown label (naming the closest), or a
 * label several classes match (listing them with their indices).
 */
export function findClass(label: string | number, synsets: readonly Synset[]): number {
  const text = String(label).trim();
  if (typeof label === "number" || /^\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n >= synsets.length) {
      throw new OptionError(`class ${text} is out of range: the classes are numbered 0–${synsets.length - 1}`);
    }
    return n;
  }
  if (/^n\d{8}$/i.test(text)) {
    const found = synsets.find((s) => s.id.toLowerCase() === text.toLowerCase());
    if (found === undefined) throw new OptionError(`no class has the synset id "${text}"`);
    return found.index;
  }
  const key = words(text);
  if (key === "") throw new OptionError(`a class label cannot be empty; give an index, a synset id or a name`);
  const exact = synsets.filter((s) => s.names.some((n) => words(n) === key));
  if (exact.length === 1) return exact[0]!.index;
  const matches = exact.length > 1 ? exact : synsets.filter((s) => s.names.some((n) => ` ${words(n)} `.includes(` ${key} `)));
  if (matches.length === 1) return matches[0]!.index;
  if (matches.length > 1) {
    const more = matches.length > LISTED ? `, and ${matches.length - LISTED} more` : "";
    throw new OptionError(
      `"${text}" could be ${matches.length} classes: ${matches.slice(0, LISTED).map(describe).join(", ")}${more}; ` +
        `give the index or a longer name`,
    );
  }
  // Nearest to a whole name, or to as many words of one as the label has ("shephard" → shepherd).
  const count = key.split(" ").length;
  const distance = (name: string): number => {
    const w = words(name).split(" ");
    let d = editDistance(key, w.join(" "));
    for (let i = 0; i + count <= w.length; i++) d = Math.min(d, editDistance(key, w.slice(i, i + count).join(" ")));
    return d;
  };
  const nearest = synsets.map((s) => ({ s, d: Math.min(...s.names.map(distance)) })).sort((a, b) => a.d - b.d || a.s.index - b.s.index);
  const close = nearest.filter((c) => c.d <= nearest[0]!.d + 1).slice(0, 5); // not a list of 5 when one is near
  const which =
    close.length === 1 ? `the closest is ${describe(close[0]!.s)}` : `the closest are ${close.map((c) => describe(c.s)).join(", ")}`;
  throw new OptionError(`no ImageNet class is called "${text}"; ${which}`);
}

/** "tabby (281)": the first name and the index. */
function describe(s: Synset): string {
  return `${s.names[0] ?? s.id} (${s.index})`;
}

/** Lower case, and every run of other characters than letters and digits one space. */
function words(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
