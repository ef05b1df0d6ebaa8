/**
 * Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k) / C(n, k), computed as
 * 1 − Π_{i=n−c+1..n} (1 − k/i), a product of c factors in (0, 1] with no large binomials,
 * so it stays exact to rounding for any n (1024 and beyond).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new RangeError(`pass@k needs integers, got n=${n} c=${c} k=${k}`)
  }
  if (n < 0 || c < 0 || c > n) throw new RangeError(`pass@k needs 0 ≤ c ≤ n, got n=${n} c=${c}`)
  if (k < 1 || k > n) throw new RangeError(`pass@k needs 1 ≤ k ≤ n, got k=${k} n=${n}`)
  if (n - c < k) return 1
  let prod = 1
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i
  return 1 - prod
}
