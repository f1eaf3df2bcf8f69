// A service worker that makes the demo page cross-origin isolated on a host that cannot send
// headers (GitHub Pages, a plain bucket, …). Installed by ../isolation.ts only when the page is
// not isolated already.
//
// The engine's threads share memory, and a browser gives a page SharedArrayBuffer only when the
// page and its workers were served with
//     Cross-Origin-Opener-Policy: same-origin
//     Cross-Origin-Embedder-Policy: require-corp
// A service worker sits between the page and the network: every request the page, and every
// worker it starts, makes from this folder goes through `fetch` below, which passes it on and
// hands back the response with the two headers added. The browser decides isolation from the
// headers of the response it receives, so from the first reload on (the page that installed
// the worker was loaded before it existed) the page is isolated, as if the host had sent them.
// Same-origin responses are all this page loads, so require-corp blocks nothing it needs.

self.addEventListener("install", () => self.skipWaiting()); // take over without waiting for old tabs to close
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Chromium throws on this combination (a cache-only request for another origin): leave it be.
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(
    fetch(request).then((response) => {
      // An opaque response (another origin, no CORS) cannot be read or changed.
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set("Cross-Origin-Opener-Policy", "same-origin");
      headers.set("Cross-Origin-Embedder-Policy", "require-corp");
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
