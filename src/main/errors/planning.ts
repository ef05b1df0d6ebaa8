import { compileMatcher, type SgMatcher } from '../../core'
import { blobToInt32, blobToUint8 } from '../store/blobs'
import type { ErrorLabelsRepo } from '../store/errorLabels'

/** Merges overlapping or touching [start, end) spans so a highlighter draws each character once. */
export function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const out: [number, number][] = []
  for (const [s, e] of sorted) {
    const last = out[out.length - 1]
    if (last && s <= last[1]) last[1] = Math.max(last[1], e)
    else out.push([s, e])
  }
  return out
}

/**
 * Planning spans of a run's responses (SPEC §2): the occurrences of the run's Strategic Gram set
 * where the run has one; otherwise the stored per-token planning mask; otherwise none.
 */
export class PlanningSpans {
  private readonly matchers = new Map<number, SgMatcher | null>()
  constructor(private readonly repo: ErrorLabelsRepo) {}

  of(runId: number, rolloutId: number, response: string): [number, number][] {
    let m = this.matchers.get(runId)
    if (m === undefined) {
      const phrases = this.repo.runPhrases(runId)
      m = phrases && phrases.length > 0 ? compileMatcher(phrases) : null
      this.matchers.set(runId, m)
    }
    if (m) return mergeSpans(m.findOccurrences(response).map((o) => [o.start, o.end]))
    const t = this.repo.tokenPlanning(rolloutId)
    const starts = blobToInt32(t.starts), ends = blobToInt32(t.ends), mask = blobToUint8(t.mask)
    if (!starts || !ends || !mask || mask.length !== starts.length) return []
    const spans: [number, number][] = []
    for (let i = 0; i < mask.length; i++) if (mask[i]) spans.push([starts[i]!, ends[i]!])
    return mergeSpans(spans)
  }
}
