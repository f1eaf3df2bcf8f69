// `npx tsx scripts/visualize-grid.ts [STEPS]`: remakes examples/visualize-grid.jpg, the README's
// grid of feature visualizations — three ImageNet classes above three channels, each 224×224,
// 4 px apart, JPEG quality 88. Every cell is what
//   inceptionism visualize --class LABEL -o OUT --steps STEPS
//   inceptionism visualize --layer NAME --channels N -o OUT --steps STEPS
// writes (seed 0; STEPS defaults to 128, the default of visualize), since both run visualize() with the same options, and
// it prints how the net classifies each class cell.
import { visualize } from "../src/dream/visualize.js";
import type { RgbImage } from "../src/io/image/image.js";
import { writeImage } from "../src/io/image/image-file.js";
import { classify } from "../src/models/classify.js";
import { findClass } from "../src/models/labels.js";
import { loadGoogLeNet, loadImageNetClasses, loadImageNetLabels } from "../src/models/load.js";
import "../src/threads/node-host.js";
import { shutdownThreads } from "../src/threads/pool.js";

const CLASSES = ["banana", "flamingo", "strawberry"] as const;
const CHANNELS = [
  ["inception_3b/output", 353],
  ["inception_4a/output", 97],
  ["inception_4c/output", 11],
] as const;

const steps = Number(process.argv[2] ?? 128);
const net = await loadGoogLeNet();
const [synsets, labels] = [await loadImageNetClasses(), await loadImageNetLabels()];
const cells: RgbImage[] = [];
for (const label of CLASSES) {
  const start = performance.now();
  const image = await visualize({ model: net, classes: [findClass(label, synsets)], steps });
  const [top] = classify(net, image, { labels, top: 1 });
  console.log(`${label}: top-1 ${top!.label} (${top!.probability.toFixed(3)}), ${((performance.now() - start) / 1000).toFixed(0)} s`);
  cells.push(image);
}
for (const [layer, channel] of CHANNELS) {
  const start = performance.now();
  cells.push(await visualize({ model: net, layer, channels: [channel], steps }));
  console.log(`${layer} channel ${channel}: ${((performance.now() - start) / 1000).toFixed(0)} s`);
}
await writeImage(new URL("../examples/visualize-grid.jpg", import.meta.url).pathname, grid(cells, 3, 4), { quality: 88 });
shutdownThreads();

/** Equal-sized pictures in rows of `columns`, `gap` white pixels between them. */
function grid(parts: readonly RgbImage[], columns: number, gap: number): RgbImage {
  const { width: w, height: h } = parts[0]!;
  const rows = Math.ceil(parts.length / columns);
  const width = columns * w + (columns - 1) * gap,
    height = rows * h + (rows - 1) * gap;
  const data = new Float32Array(width * height * 3).fill(255);
  parts.forEach((p, k) => {
    const x0 = (k % columns) * (w + gap),
      y0 = Math.floor(k / columns) * (h + gap);
    for (let y = 0; y < h; y++) data.set(p.data.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * width + x0) * 3);
  });
  return { width, height, data };
}
