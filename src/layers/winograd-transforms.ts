// The transform matrices of Winograd's minimal filtering F(m, r), built from interpolation
// points (the Toom–Cook construction), so that no table of magic numbers has to be trusted.
//
// F(m, r) computes m outputs of a 1-D correlation with an r-tap filter,
//     y[i] = Σ_{k<r} g[k]·d[i + k]   (i < m),  from α = m + r − 1 inputs d,
// with only α multiplications:   y = Aᵀ [(G g) ⊙ (Bᵀ d)].
//
// Why it works. Correlation is the transpose of polynomial multiplication: if s(x) = g(x)·h(x)
// with deg g = r − 1 and deg h = m − 1, then s = T(g)·h with T(g)[n][i] = g[n − i], and the
// correlation above is y = T(g)ᵀ d. The product s (α coefficients) is fixed by its values at α
// points: α − 1 finite points a_j, where s(a_j) = g(a_j)·h(a_j), and the point ∞, where the
// "value" is the leading coefficient s_{α−1} = g_{r−1}·h_{m−1}. Lagrange interpolation gives
//     s(x) = s_∞·Π_l (x − a_l) + Σ_j s(a_j)·Π_{l≠j}(x − a_l) / f_j,   f_j = Π_{l≠j}(a_j − a_l),
// so T(g) = C·diag(E_g g)·E_h, with E the evaluation matrices (rows a_j^k, and [0 … 0 1] for ∞)
// and C the interpolation matrix (columns: the coefficients of Π_{l≠j}(x − a_l), and of
// Π_l (x − a_l) for ∞). Transposing T(g) gives y = E_hᵀ [(E_g g) ⊙ (Cᵀ d)], so
//     Aᵀ[i][j] = a_j^i                 (m × α; the ∞ column is 1 in the last row only)
//     G[j][k]  = a_j^k / f_j           (α × r; the ∞ row is [0 … 0 1])
//     Bᵀ[j][n] = [xⁿ] Π_{l≠j}(x − a_l)  (α × α; the ∞ row is [xⁿ] Π_l (x − a_l))
// where the 1/f_j of the interpolation has been moved into G, so that Bᵀ and Aᵀ hold small
// integers for integer points. In 2-D the same matrices apply along both axes (a 2-D
// correlation is a nesting of 1-D ones): Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, α² multiplications
// for m² outputs instead of m²·r².
//
// The points: 0, ±1, ±2, ±½, … in that order, the choice of Lavin & Gray (2015) and of most
// libraries: small magnitudes keep a_j^k, and so the rounding error, small. For F(2, 3) they
// are 0, 1, −1; for F(4, 3) 0, ±1, ±2; for F(6, 3) 0, ±1, ±2, ±½.

/** The three matrices of F(m, r), row-major, in Float64, and the points they were built from. */
export interface WinogradTransforms {
  m: number; // outputs per tile (per axis)
  r: number; // filter taps (per axis)
  alpha: number; // inputs per tile, m + r − 1
  points: readonly number[]; // the α − 1 finite interpolation points (∞ is implied)
  AT: Float64Array; // [m × α]: output transform
  G: Float64Array; // [α × r]: filter transform
  BT: Float64Array; // [α × α]: input transform
}

const POINTS = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1 / 3, -1 / 3];

/** The transforms of F(m, r) from the first m + r − 2 points of 0, ±1, ±2, ±½, ±3, ±⅓. */
export function winogradTransforms(m: number, r: number): WinogradTransforms {
  const alpha = m + r - 1;
  if (!Number.isInteger(m) || !Number.isInteger(r) || m < 1 || r < 1 || alpha - 1 > POINTS.length) {
    throw new RangeError(`winogradTransforms: F(${m}, ${r}) needs 1 ≤ m, 1 ≤ r, m + r − 2 ≤ ${POINTS.length}`);
  }
  const points = POINTS.slice(0, alpha - 1);
  const AT = new Float64Array(m * alpha),
    G = new Float64Array(alpha * r),
    BT = new Float64Array(alpha * alpha);
  for (let j = 0; j < alpha - 1; j++) {
    const a = points[j]!;
    let f = 1;
    for (let l = 0; l < alpha - 1; l++) if (l !== j) f *= a - points[l]!;
    for (let i = 0; i < m; i++) AT[i * alpha + j] = a ** i;
    for (let k = 0; k < r; k++) G[j * r + k] = a ** k / f;
    BT.set(
      monicFromRoots(
        points.filter((_, l) => l !== j),
        alpha,
      ),
      j * alpha,
    );
  }
  AT[(m - 1) * alpha + alpha - 1] = 1; // the point ∞
  G[(alpha - 1) * r + r - 1] = 1;
  BT.set(monicFromRoots(points, alpha), (alpha - 1) * alpha);
  return { m, r, alpha, points, AT, G, BT };
}

/** The coefficients (constant term first, `length` of them) of Π (x − root). */
function monicFromRoots(roots: readonly number[], length: number): Float64Array {
  const c = new Float64Array(length);
  c[0] = 1;
  for (const [degree, root] of roots.entries()) {
    // multiply by (x − root): c'[n] = c[n − 1] − root·c[n]
    for (let n = degree + 1; n >= 1; n--) c[n] = c[n - 1]! - root * c[n]!;
    c[0] = -root * c[0]!;
  }
  return c;
}
