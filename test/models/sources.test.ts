// Where a model comes from: bytes, a Response, a URL fetched (../../src/models/sources.ts, the
// core, as a browser uses it) and, in Node, a path or a file: URL (../../src/models/load.ts).
// A local HTTP server stands in for the web; its answers include the two failures a web
// developer meets: a 404, and the HTML page many servers send for a missing file.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ModelError } from "../../src/errors.js";
import * as node from "../../src/models/load.js";
import * as core from "../../src/models/sources.js";

const MODEL_PATH = new URL("../fixtures/models/squeezenet_v1.1.caffemodel", import.meta.url).pathname;
const MODEL = readFileSync(MODEL_PATH);
/** What the fixture is, as a loaded net sees it. */
const isSqueezeNet = (net: { name: string; weightBytes: number }): boolean => net.name === "SqueezeNet" && net.weightBytes === 4_941_984;

let server: Server;
let origin = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/squeezenet.caffemodel") response.writeHead(200, { "Content-Type": "application/octet-stream" }).end(MODEL);
    else if (request.url === "/app/squeezenet.caffemodel")
      response.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html>\n<html><body>app</body></html>");
    else response.writeHead(404, "Not Found").end();
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  origin = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise((closed) => server.close(closed)));
afterEach(() => vi.unstubAllGlobals());

/** The ModelError that `p` rejects with. */
async function modelError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(ModelError);
  return (e as Error).message;
}

describe("loadCaffeModel in the core (a browser's)", () => {
  it("loads from a URL, a URL string, a Response, an ArrayBuffer and a Uint8Array alike", async () => {
    const bytes = new Uint8Array(MODEL);
    for (const source of [
      new URL("/squeezenet.caffemodel", origin),
      `${origin}/squeezenet.caffemodel`,
      await fetch(`${origin}/squeezenet.caffemodel`),
      new Response(bytes),
      bytes.slice().buffer,
      bytes,
    ]) {
      expect(isSqueezeNet(await core.loadCaffeModel(source))).toBe(true);
    }
  });

  it("names the URL and the HTTP status of a failed request", async () => {
    expect(await modelError(core.loadCaffeModel(`${origin}/missing.caffemodel`))).toBe(
      `cannot fetch the model from ${origin}/missing.caffemodel: HTTP 404 Not Found; check the URL and that the server serves the file`,
    );
    expect(await modelError(core.loadCaffeModel(new Response("", { status: 500, statusText: "Internal Server Error" })))).toBe(
      "cannot fetch the model from a Response: HTTP 500 Internal Server Error; check the URL and that the server serves the file",
    );
  });

  it("says so when a Response's body cannot be read (already read, say)", async () => {
    const response = await fetch(`${origin}/squeezenet.caffemodel`);
    await response.arrayBuffer();
    expect(await modelError(core.loadCaffeModel(response))).toMatch(
      new RegExp(`^cannot read the model from ${origin}/squeezenet\\.caffemodel: .+`),
    );
  });

  it("says that a server's HTML page is not a model", async () => {
    expect(await modelError(core.loadCaffeModel(`${origin}/app/squeezenet.caffemodel`))).toBe(
      `${origin}/app/squeezenet.caffemodel: got an HTML or XML page, not a .caffemodel (a server's page for a missing file?); check the URL`,
    );
  });

  it("names the URL when the network fails, and other bytes as not a model", async () => {
    const closed = createServer();
    await new Promise<void>((ready) => closed.listen(0, "127.0.0.1", ready));
    const port = (closed.address() as { port: number }).port;
    await new Promise((done) => closed.close(done));
    expect(await modelError(core.loadCaffeModel(`http://127.0.0.1:${port}/x.caffemodel`))).toMatch(
      new RegExp(`^cannot fetch the model from http://127\\.0\\.0\\.1:${port}/x\\.caffemodel: .+; check the URL and the network$`),
    );
    expect(await modelError(core.loadCaffeModel(new TextEncoder().encode('name: "not binary"')))).toMatch(/^not a Caffe model file/);
  });

  it("fetches the bundled labels from synsetWordsUrl, where a bundler put them", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (url: URL | string) => {
      asked.push(String(url));
      return new Response(readFileSync(new URL(String(url))));
    });
    const classes = await core.loadImageNetClasses();
    expect(classes.length).toBe(1000);
    expect(classes[954]).toEqual({ index: 954, id: "n07753592", names: ["banana"] });
    expect((await core.loadImageNetLabels())[954]).toBe("banana");
    expect(asked).toEqual([core.synsetWordsUrl.href]); // fetched once
    expect(core.googlenetUrl.href).toMatch(/\/models\/bvlc_googlenet\.caffemodel$/);
  });

  it("forgets a failed load, so that the next call tries again", async () => {
    let calls = 0;
    const load = core.once(async () => {
      if (++calls === 1) throw new ModelError("offline");
      return calls;
    });
    await expect(load()).rejects.toThrow("offline");
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
  });
});

describe("loadCaffeModel in Node", () => {
  it("also reads a path, a file: URL and a file: URL string, and fetches http URLs", async () => {
    for (const source of [MODEL_PATH, pathToFileURL(MODEL_PATH), pathToFileURL(MODEL_PATH).href, `${origin}/squeezenet.caffemodel`]) {
      expect(isSqueezeNet(await node.loadCaffeModel(source))).toBe(true);
    }
  });

  it("names a missing file by its path, however it was given", async () => {
    const missing = `${MODEL_PATH}.missing`;
    expect(await modelError(node.loadCaffeModel(missing))).toBe(`cannot read model file "${missing}": ENOENT`);
    expect(await modelError(node.loadCaffeModel(pathToFileURL(missing)))).toBe(`cannot read model file "${missing}": ENOENT`);
  });

  it("loads the bundled GoogLeNet and labels from googlenetUrl and synsetWordsUrl", async () => {
    expect((await node.loadGoogLeNet()).outputNames).toContain("inception_4c/output");
    expect((await node.loadImageNetLabels()).length).toBe(1000);
  });
});
