// Cross-origin isolation, which the engine's threads need: a page may use SharedArrayBuffer only
// when it is served with the two headers
//     Cross-Origin-Opener-Policy: same-origin
//     Cross-Origin-Embedder-Policy: require-corp
// A host that can set headers should send them (`npm run web` and `vite preview` do). Where it
// cannot, as on GitHub Pages, this page installs ./public/coi-sw.js, a service worker that adds
// them to every response it serves, and reloads once so that the page itself comes through it.
// Where neither works (an old browser, a page not on https or localhost, service workers turned
// off), the page dreams on one thread and says why.

/** How the page stands: isolated (threads work), reloading through the service worker, or not. */
export type Isolation = "isolated" | "reloading" | "unavailable";

// Set just before the reload: if the page is still not isolated after it, do not try again
// (a loop of reloads is worse than one thread).
const TRIED = "inceptionism-coi-reloaded";
const REGISTRATION_TIMEOUT_MS = 4000;

/** Makes the page cross-origin isolated if it can; call it before starting any work. */
export async function ensureCrossOriginIsolation(): Promise<Isolation> {
  if (self.crossOriginIsolated) {
    sessionStorage.removeItem(TRIED);
    return "isolated";
  }
  if (!("serviceWorker" in navigator) || !self.isSecureContext || sessionStorage.getItem(TRIED) !== null) return "unavailable";
  // The worker's URL is relative to the page, so that the site works from any folder. A
  // registration that is refused may also never settle (seen where service workers are
  // blocked), hence the time limit: past it, one thread is better than a page that never starts.
  const registered = navigator.serviceWorker.register(new URL("./coi-sw.js", location.href)).then(() => navigator.serviceWorker.ready);
  const gaveUp = new Promise<"timeout">((done) => setTimeout(() => done("timeout"), REGISTRATION_TIMEOUT_MS));
  try {
    if ((await Promise.race([registered, gaveUp])) === "timeout") return "unavailable";
  } catch {
    return "unavailable";
  }
  sessionStorage.setItem(TRIED, "1");
  location.reload();
  return "reloading";
}
