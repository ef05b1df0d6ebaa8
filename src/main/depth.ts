/**
 * How deep requests may nest. Validation, storing (JSON.stringify) and every later reader recurse,
 * so a 5,000-deep value would exhaust the stack somewhere inside; the boundary refuses it instead.
 * Nothing the API takes comes near this depth.
 */
export const MAX_REQUEST_DEPTH = 64

/** Whether a parsed value nests objects/arrays deeper than `limit` (iterative: never recurses itself). */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (d > limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1])
    }
  }
  return false
}

/** The same for JSON text before it is parsed: brackets outside strings. */
export function jsonTextDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true
    } else if (c === 125 || c === 93) depth--
  }
  return false
}
