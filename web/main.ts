// The demo page: DeepDream on your own photo, in the browser, with the inceptionism package.
//
// The flow, top to bottom in this file:
//   photo ─createImageBitmap─▶ canvas ─imageFromImageData─▶ RgbImage (H×W×3 floats, 0–255)
//   ─resizeToFit─▶ the "before"
//   dreamer.dream(before, options) ─▶ RgbImage ─imageToImageData─▶ <canvas> ─toBlob─▶ PNG download
// `createDreamer()` runs the engine in a dedicated worker that the package ships: the model is
// loaded and the picture dreamed there, so this page stays responsive, and on a cross-origin-
// isolated page (see ./isolation.ts) that worker splits every step over all the cores. Progress
// and notes come back as callbacks; cancelling is an AbortSignal, as with fetch().
//
// When a dream is done the page dispatches a "dreamed" event on `document` whose `detail` holds
// the picture it dreamed, the options it used and the result, for other scripts on the page
// (the demo's test listens).
import {
  createDreamer,
  DREAM_DEFAULTS,
  findClass,
  imageFromImageData,
  imageToImageData,
  loadImageNetClasses,
  resizeToFit,
  type Dreamer,
  type DreamerDreamOptions,
  type DreamProgress,
  type RgbImage,
} from "inceptionism";
import { ensureCrossOriginIsolation } from "./isolation.js";
import { formatSeconds } from "./format.js";
import { LAYER_GROUPS } from "./layers.js";

/** The dream's own settings, as read from the form (the callbacks and the signal are added per dream). */
type DreamSettings = Omit<DreamerDreamOptions, "onProgress" | "onNote" | "signal" | "transfer">;

/** What the "dreamed" event carries. */
export interface DreamedDetail {
  input: RgbImage;
  options: DreamSettings;
  result: RgbImage;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  form: $<HTMLFormElement>("controls"),
  drop: $<HTMLDivElement>("drop"),
  photo: $<HTMLInputElement>("photo"),
  sample: $<HTMLButtonElement>("sample"),
  maxSize: $<HTMLSelectElement>("max-size"),
  layer: $<HTMLSelectElement>("layer"),
  layerHint: $<HTMLParagraphElement>("layer-hint"),
  classes: $<HTMLInputElement>("classes"),
  classHint: $<HTMLParagraphElement>("class-hint"),
  octaves: $<HTMLInputElement>("octaves"),
  iterations: $<HTMLInputElement>("iterations"),
  step: $<HTMLInputElement>("step"),
  jitter: $<HTMLInputElement>("jitter"),
  seed: $<HTMLInputElement>("seed"),
  threads: $<HTMLSelectElement>("threads"),
  dream: $<HTMLButtonElement>("dream"),
  cancel: $<HTMLButtonElement>("cancel"),
  progress: $<HTMLProgressElement>("progress"),
  status: $<HTMLParagraphElement>("status"),
  notes: $<HTMLUListElement>("notes"),
  before: $<HTMLCanvasElement>("before"),
  after: $<HTMLCanvasElement>("after"),
  download: $<HTMLAnchorElement>("download"),
  engine: $<HTMLParagraphElement>("engine"),
};

// ── The state: one dreamer, the decoded photo, the running dream ──────────────────────────────

let dreamer: Dreamer | null = null;
let dreamerReady = false; // its model is loaded
let photo: RgbImage | null = null; // as decoded, before the size limit
let running: AbortController | null = null;
let downloadUrl: string | null = null;

function setStatus(text: string, isError = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", isError);
}

/** Whose a note is: the page's stays; the dreamer's goes with it, a dream's when the next starts. */
type NoteSource = "page" | "dreamer" | "dream";

function addNote(text: string, source: NoteSource): void {
  const li = document.createElement("li");
  li.textContent = text;
  li.dataset.source = source;
  ui.notes.append(li);
}

function clearNotes(source: NoteSource): void {
  for (const note of ui.notes.querySelectorAll(`[data-source="${source}"]`)) note.remove();
}

/** The message of an error, as one line: the package's errors are written to be shown as they are. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function updateButtons(): void {
  ui.dream.disabled = running !== null || photo === null || !dreamerReady;
  ui.cancel.disabled = running === null;
  ui.threads.disabled = running !== null || ui.threads.options.length < 2;
}

// ── The form ─────────────────────────────────────────────────────────────────────────────────

function fillForm(isolated: boolean): void {
  for (const group of LAYER_GROUPS) {
    const optgroup = document.createElement("optgroup");
    optgroup.label = group.label;
    for (const name of group.layers) optgroup.append(new Option(name, name, false, name === DREAM_DEFAULTS.layer));
    ui.layer.append(optgroup);
  }
  ui.octaves.value = String(DREAM_DEFAULTS.octaves);
  ui.iterations.value = String(DREAM_DEFAULTS.iterations);
  ui.step.value = String(DREAM_DEFAULTS.stepSize);
  ui.jitter.value = String(DREAM_DEFAULTS.jitter);
  ui.seed.value = String(DREAM_DEFAULTS.seed);

  const cores = navigator.hardwareConcurrency || 1;
  if (isolated) {
    ui.threads.append(new Option(`all cores (${cores})`, ""));
    for (let n = 1; n <= cores; n++) ui.threads.append(new Option(String(n), String(n)));
  } else {
    ui.threads.append(new Option("1", "1"));
  }
}

/** A whole number from a field, or an error naming the field. */
function intField(input: HTMLInputElement, name: string): number {
  const n = Number(input.value);
  if (input.value.trim() === "" || !Number.isInteger(n)) throw new Error(`${name} must be a whole number`);
  return n;
}

/**
 * The class labels typed, resolved to ImageNet class indices as `--class` resolves them: an
 * index, a synset id, a name or a word of one, comma-separated. Throws the package's own
 * OptionError for an unknown or ambiguous label, with the candidates.
 */
async function resolveClasses(text: string): Promise<{ index: number; name: string }[]> {
  const labels = text
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (labels.length === 0) return [];
  const synsets = await loadImageNetClasses(); // fetched once, then cached by the package
  return labels.map((label) => {
    const index = findClass(label, synsets);
    return { index, name: synsets[index]!.names[0] ?? String(index) };
  });
}

// Checked as the user types, so an ambiguous "cat" is explained before anything runs. A later
// keystroke supersedes an earlier check that is still waiting for the labels.
let classCheck = 0;
async function checkClasses(): Promise<void> {
  const check = ++classCheck;
  const text = ui.classes.value;
  ui.layer.disabled = text.trim() !== "";
  ui.layerHint.textContent = ui.layer.disabled ? "A class dream uses the classifier, not a layer." : "";
  try {
    const found = await resolveClasses(text);
    if (check !== classCheck) return;
    ui.classHint.textContent = found.map((c) => `${c.name} (${c.index})`).join(", ");
    ui.classHint.classList.remove("error");
  } catch (error) {
    if (check !== classCheck) return;
    ui.classHint.textContent = messageOf(error);
    ui.classHint.classList.add("error");
  }
}

/** The options for `dream()`, read from the form. */
async function readOptions(): Promise<DreamSettings> {
  const classes = await resolveClasses(ui.classes.value);
  const stepSize = Number(ui.step.value);
  if (!(stepSize > 0)) throw new Error("Step must be a number above 0");
  return {
    ...(classes.length > 0 ? { classes: classes.map((c) => c.index) } : { layer: ui.layer.value }),
    octaves: intField(ui.octaves, "Octaves"),
    iterations: intField(ui.iterations, "Iterations"),
    stepSize,
    jitter: intField(ui.jitter, "Jitter"),
    seed: intField(ui.seed, "Seed"),
  };
}

// ── Pictures ────────────────────────────────────────────────────────────────────────────────

function draw(canvas: HTMLCanvasElement, image: RgbImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext("2d")!.putImageData(imageToImageData(image), 0, 0);
}

/** The picture to dream: the photo within the chosen size limit. */
function beforeImage(): RgbImage | null {
  const maxSide = Number(ui.maxSize.value);
  return photo === null ? null : maxSide > 0 ? resizeToFit(photo, maxSide) : photo;
}

function showBefore(): void {
  const before = beforeImage();
  if (before === null) return;
  draw(ui.before, before);
  ui.after.width = ui.after.height = 0;
  ui.download.hidden = true;
}

/**
 * A photo file as an RgbImage, decoded by the browser itself: whatever it can show (JPEG, PNG,
 * WebP, AVIF…), turned upright by its EXIF orientation, read back from a canvas.
 */
async function decodePhoto(file: Blob): Promise<RgbImage> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return imageFromImageData(context.getImageData(0, 0, canvas.width, canvas.height));
}

async function loadPhoto(file: Blob): Promise<void> {
  let decoded: RgbImage;
  try {
    decoded = await decodePhoto(file);
  } catch {
    setStatus(`This file is not a picture this browser can read (${file.type || "unknown type"}); try a JPEG or PNG.`, true);
    return;
  }
  photo = decoded;
  showBefore();
  setStatus(`${decoded.width}×${decoded.height} photo loaded. Choose the settings and dream.`);
  updateButtons();
}

async function offerDownload(): Promise<void> {
  const blob = await new Promise<Blob | null>((done) => ui.after.toBlob(done, "image/png"));
  if (blob === null) return;
  if (downloadUrl !== null) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(blob);
  ui.download.href = downloadUrl;
  ui.download.hidden = false;
}

// ── The dreamer ─────────────────────────────────────────────────────────────────────────────

/** Starts a dreamer with the chosen thread count (closing the previous one); it loads the model. */
function startDreamer(): void {
  dreamer?.close();
  clearNotes("dreamer");
  ui.engine.textContent = "";
  const threads = ui.threads.value === "" ? undefined : Number(ui.threads.value);
  const started = performance.now();
  const current = createDreamer(threads === undefined ? {} : { threads });
  dreamer = current;
  dreamerReady = false;
  updateButtons();
  setStatus("Loading the model (28 MB, once)…");
  current.ready.then(
    (info) => {
      if (dreamer !== current) return; // replaced meanwhile
      dreamerReady = true;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      setStatus(`Model ready in ${seconds} s. ${photo === null ? "Drop or choose a photo." : "Dream when you are ready."}`);
      ui.engine.textContent = `${info.threads} thread${info.threads === 1 ? "" : "s"} · ${SIMD_NAMES[info.simd ?? "none"]}`;
      ui.engine.dataset.simd = info.simd ?? "none";
      for (const note of info.notes) addNote(note, "dreamer");
      updateButtons();
    },
    (error: unknown) => {
      if (dreamer === current) setStatus(`The model could not be loaded: ${messageOf(error)}`, true);
    },
  );
}

/** How the worker multiplies matrices, as `DreamerInfo.simd` says. */
const SIMD_NAMES = { "relaxed-madd": "WebAssembly relaxed SIMD", "mul-add": "WebAssembly SIMD", none: "plain JavaScript" };

async function runDream(): Promise<void> {
  const before = beforeImage();
  if (before === null || dreamer === null || !dreamerReady || running !== null) return;
  let options: DreamSettings;
  try {
    options = await readOptions();
  } catch (error) {
    setStatus(messageOf(error), true);
    return;
  }
  const controller = new AbortController();
  running = controller;
  updateButtons();
  clearNotes("dream");
  ui.progress.value = 0;
  setStatus("Starting…");
  const started = performance.now();
  const onProgress = (p: DreamProgress): void => {
    // Later octaves have more pixels: `fraction` counts the work done, so the ETA is linear in it.
    const elapsed = (performance.now() - started) / 1000;
    const left = p.fraction > 0 ? (elapsed * (1 - p.fraction)) / p.fraction : NaN;
    ui.progress.value = p.fraction;
    setStatus(
      `Octave ${p.octave}/${p.octaves} · step ${p.iteration}/${p.iterations} · ${Math.round(100 * p.fraction)}% · ` +
        `${formatSeconds(elapsed)}${Number.isFinite(left) ? `, about ${formatSeconds(left)} left` : ""}`,
    );
  };
  try {
    const result = await dreamer.dream(before, {
      ...options,
      onProgress,
      onNote: (note) => addNote(note, "dream"),
      signal: controller.signal,
    });
    draw(ui.after, result);
    await offerDownload();
    ui.progress.value = 1;
    setStatus(`Dreamed ${result.width}×${result.height} in ${formatSeconds((performance.now() - started) / 1000)}.`);
    document.dispatchEvent(new CustomEvent<DreamedDetail>("dreamed", { detail: { input: before, options, result } }));
  } catch (error) {
    if (controller.signal.aborted) setStatus("Cancelled.");
    else setStatus(messageOf(error), true);
  } finally {
    running = null;
    updateButtons();
  }
}

// ── Wiring ──────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const isolation = await ensureCrossOriginIsolation();
  if (isolation === "reloading") return;
  fillForm(isolation === "isolated");
  if (isolation === "unavailable") {
    addNote(
      "This page is not cross-origin isolated, so the dream runs on one thread. Serve it with the headers " +
        "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to use every core.",
      "page",
    );
  }

  ui.photo.addEventListener("change", () => {
    const file = ui.photo.files?.[0];
    if (file !== undefined) void loadPhoto(file);
  });
  ui.drop.addEventListener("dragover", (event) => {
    event.preventDefault(); // this is what allows the drop
    ui.drop.classList.add("over");
  });
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  ui.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    ui.drop.classList.remove("over");
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void loadPhoto(file);
  });
  ui.sample.addEventListener("click", async () => {
    const response = await fetch(new URL("../examples/flowers.jpg", import.meta.url));
    await loadPhoto(await response.blob());
  });
  ui.maxSize.addEventListener("change", showBefore);
  ui.classes.addEventListener("input", () => void checkClasses());
  ui.threads.addEventListener("change", startDreamer);
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    void runDream();
  });
  ui.cancel.addEventListener("click", () => running?.abort());

  startDreamer();
}

void main();
