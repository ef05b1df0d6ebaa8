/** The paths of a one-path-a-line text field (blank lines and surrounding spaces dropped). */
export function pathsOf(list: string): string[] {
  return list.split('\n').map((p) => p.trim()).filter(Boolean)
}

/** A one-path-a-line list with the picked paths it lacks added at the end (as it was if none). */
export function withPicked(list: string, picked: readonly string[]): string {
  const have = pathsOf(list)
  const seen = new Set(have)
  const fresh = picked.filter((p) => !seen.has(p))
  return fresh.length ? [...have, ...fresh].join('\n') : list
}
