/**
 * The tooltip of a planning highlight over characters [start, end): the Strategic Grams whose
 * occurrences overlap it (overlapping occurrences are drawn as one mark).
 */
export function gramTitle(spans: readonly [number, number][], grams: readonly string[] | undefined, start: number, end: number): string | undefined {
  if (!grams) return undefined
  const hit = new Set<string>()
  spans.forEach(([s, e], i) => { if (s < end && e > start && grams[i] !== undefined) hit.add(grams[i]!) })
  if (hit.size === 0) return undefined
  return `Strategic Gram${hit.size > 1 ? 's' : ''}: ${[...hit].map((g) => `"${g}"`).join(', ')}`
}
