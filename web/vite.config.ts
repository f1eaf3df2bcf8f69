// The demo page's Vite configuration: `npm run web` serves it, `npm run build:web` writes the
// static site to web/dist.
//
// The engine shares memory between its threads (SharedArrayBuffer), which a browser allows only
// on a cross-origin-isolated page, one served with these two headers. The dev server and
// `vite preview` send them; a static host needs them too, or falls back on ./public/coi-sw.js.
import { defineConfig } from "vite";

const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset paths: the built site works from any folder of any host, not only from "/".
  base: "./",
  server: { headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  // The engine's worker starts helper workers of its own, and both import modules: ES workers.
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
