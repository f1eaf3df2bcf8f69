// The layers of the design, kept honest: no cycle of runtime imports between source files, nor
// between src/'s top-level folders (tensor, autograd, layers, models, dream, io, threads, cli,
// and the entry files at the top, each a node of its own). Type-only imports are left out: they
// vanish from the JavaScript. A cycle is printed as the chain of files or folders it runs through.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The relative modules `file` imports at run time (not `import type` / `export type`), as src-relative .ts paths. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!),
  ];
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(SRC, resolve(dirname(file), s.replace(/\.js$/, ".ts"))));
}

/** A cycle in `graph` as the list of its nodes (first repeated at the end), or null. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found !== null) return found;
      }
    }
    path.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found !== null) return found;
    }
  }
  return null;
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));
const fileGraph = new Map(files.map((f) => [f, new Set(runtimeImports(join(SRC, f)))]));
const folderOf = (f: string): string => (f.includes("/") ? f.split("/")[0]! : f);
const folderGraph = new Map<string, Set<string>>();
for (const [f, deps] of fileGraph) {
  const from = folderOf(f);
  const set = folderGraph.get(from) ?? new Set<string>();
  for (const d of deps) if (folderOf(d) !== from) set.add(folderOf(d));
  folderGraph.set(from, set);
}

describe("runtime imports", () => {
  it("find the sources and their imports", () => {
    expect(files.length).toBeGreaterThan(40);
    expect(fileGraph.get("dream/dream.ts")).toContain("dream/objective.ts");
  });

  it("form no cycle between files", () => {
    expect(findCycle(fileGraph)?.join(" → ") ?? null).toBeNull();
  });

  it("form no cycle between src/'s top-level folders", () => {
    expect(findCycle(folderGraph)?.join(" → ") ?? null).toBeNull();
  });

  it("the cycle finder finds a cycle where there is one", () => {
    const g = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a"])],
      ["d", new Set(["a"])],
    ]);
    expect(findCycle(g)).toEqual(["a", "b", "c", "a"]);
    expect(
      findCycle(
        new Map([
          ["a", new Set(["b"])],
          ["b", new Set<string>()],
        ]),
      ),
    ).toBeNull();
  });
});
