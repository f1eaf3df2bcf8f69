// Node's dream() of the same request, through the package's Node entry (the installed tarball):
// reads the request as JSON from argv[2], writes the dreamed pixels as JSON to stdout.
import { readFileSync } from "node:fs";
import { dream } from "inceptionism";

const { width, height, pixels, options } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = await dream({ width, height, data: new Float32Array(pixels) }, { ...options, threads: 1 });
process.stdout.write(JSON.stringify({ width: out.width, height: out.height, pixels: Array.from(out.data) }));
