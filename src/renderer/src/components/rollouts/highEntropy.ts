/**
 * The top ⌈fraction·N⌉ tokens by entropy within one response, ties going to the earlier token: the
 * selection rule of SPEC §4's high-entropy shares, applied to the tokens shown (the paper's Figure 8
 * view of one response). The step's two shares themselves come from the stored metrics.
 */
export function topEntropyMask(entropies: readonly number[], fraction = 0.3): Uint8Array {
  const n = entropies.length
  const mask = new Uint8Array(n)
  const top = Math.min(n, Math.ceil(fraction * n - 1e-9))
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => entropies[b]! - entropies[a]! || a - b)
  for (let k = 0; k < top; k++) mask[order[k]!] = 1
  return mask
}

/** A heat colour for entropy `h` on [0, max]: pale yellow → deep red. */
export function heat(h: number, max: number): string {
  const t = max > 0 ? Math.max(0, Math.min(1, h / max)) : 0
  const hue = 55 - 55 * t
  const light = 92 - 47 * t
  return `hsl(${hue.toFixed(0)}, 90%, ${light.toFixed(0)}%)`
}

/** Text colour that stays readable on `heat(h, max)`. */
export function heatText(h: number, max: number): string {
  return max > 0 && h / max > 0.6 ? '#ffffff' : 'inherit'
}
