// `npx tsx scripts/examples.ts [NAME…]`: remakes the README's pictures in examples/, each with
// the dream's defaults (the notebook's: 4 octaves × 10 steps, scale 1.4, step 1.5, jitter 32,
// seed 0) — the same as `inceptionism dream IN -o OUT [--layer L] [--quality Q]`. With names,
// only those.
//   flowers-dream.jpg  examples/flowers.jpg (320×240) at inception_4c/output, JPEG quality 90
//   layers.jpg         the same photo at conv2/3x3, inception_3b/output and inception_4c/output,
//                      side by side (960×240), quality 85
//   shaping.jpg        the flowers at inception_4c/output plain, with --laplacian 4, --smooth 0.5
//                      and --tv 1, side by side (1280×240), quality 85
//   sky-dream.jpg      examples/sky.jpg (1024×575) at inception_4c/output, the README's hero,
//                      quality 85 (under 300 KB)
//   flowers-transforms.jpg  the flowers dreamed plainly and with scale 0.95–1.05 and rotate 5,
//                      side by side (640×240), quality 90
// A dream is the same for any thread count, so these are reproducible bit for bit.
import { dream, type DreamOptions } from "../src/dream/dream.js";
import type { RgbImage } from "../src/io/image/image.js";
import { readImage, writeImage } from "../src/io/image/image-file.js";
import { loadGoogLeNet } from "../src/models/load.js";
import "../src/threads/node-host.js";
import { shutdownThreads } from "../src/threads/pool.js";

const examples = (name: string): string => new URL(`../examples/${name}`, import.meta.url).pathname;

/** Pictures of one height side by side, left to right. */
function sideBySide(parts: readonly RgbImage[]): RgbImage {
  const height = parts[0]!.height;
  const width = parts.reduce((w, p) => w + p.width, 0);
  const data = new Float32Array(width * height * 3);
  let x0 = 0;
  for (const p of parts) {
    for (let y = 0; y < height; y++) data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), (y * width + x0) * 3);
    x0 += p.width;
  }
  return { width, height, data };
}

const net = await loadGoogLeNet();
const dreamed = async (input: string, layer = "inception_4c/output", extra: Partial<DreamOptions> = {}): Promise<RgbImage> =>
  dream(await readImage(examples(input)), { model: net, layer, ...extra });

/** The flowers at three depths of the net, left to right. */
async function layerStrip(): Promise<RgbImage> {
  const parts: RgbImage[] = [];
  for (const layer of ["conv2/3x3", "inception_3b/output", "inception_4c/output"]) parts.push(await dreamed("flowers.jpg", layer));
  return sideBySide(parts);
}

/** The flowers with each way of shaping the gradient, left to right. */
async function shapingStrip(): Promise<RgbImage> {
  const parts: RgbImage[] = [];
  for (const extra of [{}, { laplacian: 4 }, { smooth: 0.5 }, { tv: 1 }]) parts.push(await dreamed("flowers.jpg", undefined, extra));
  return sideBySide(parts);
}

const recipes: Record<string, { quality: number; make: () => Promise<RgbImage> }> = {
  "flowers-dream.jpg": { quality: 90, make: () => dreamed("flowers.jpg") },
  "layers.jpg": { quality: 85, make: layerStrip },
  "shaping.jpg": { quality: 85, make: shapingStrip },
  "sky-dream.jpg": { quality: 85, make: () => dreamed("sky.jpg") },
  "flowers-transforms.jpg": {
    quality: 90,
    make: async () =>
      sideBySide([await dreamed("flowers.jpg"), await dreamed("flowers.jpg", undefined, { scale: [0.95, 1.05], rotate: 5 })]),
  },
};

const chosen = process.argv.slice(2);
try {
  for (const [name, { quality, make }] of Object.entries(recipes)) {
    if (chosen.length > 0 && !chosen.includes(name)) continue;
    const t0 = performance.now();
    const img = await make();
    await writeImage(examples(name), img, { quality });
    console.log(`wrote examples/${name} (${img.width}×${img.height}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  shutdownThreads();
}
