import { WordVocab } from './vocab'
import { splitWords } from './words'

export interface MinerOptions {
  /** n-gram sizes, default 3..5, allowed 2..8 */
  minN?: number
  maxN?: number
  /**
   * Most n-grams tracked at once. When the table passes it, entries seen in fewest responses
   * are dropped (see prune()). Default 200,000.
   */
  maxTracked?: number
}

export interface MineResponse {
  text: string
  correct: boolean
  step?: number
}

export interface CandidateOptions {
  /** minimum successful responses containing it, default 2 */
  minSupport?: number
  /** minimum cue score, default -Infinity */
  minCue?: number
  /** maximum candidates returned, default 100 */
  limit?: number
  sortBy?: 'score' | 'lift' | 'support' | 'cue'
  /** fold nested duplicates (default true) */
  fold?: boolean
}

export interface MinedCandidate {
  phrase: string
  n: number
  /** occurrences in successful / failed responses */
  successCount: number
  failureCount: number
  /** responses containing it */
  successDocs: number
  failureDocs: number
  docFreq: number
  /** ((successDocs+1)/(S+2)) / ((failureDocs+1)/(F+2)), S/F = successful/failed responses seen */
  lift: number
  steps: number[]
  cueScore: number
  /** cueScore + ln(lift): the default ranking */
  score: number
  /** shorter candidates folded into this one */
  folded: string[]
}

export const CUE_WORDS: ReadonlySet<string> = new Set([
  'wait', "let's", 'let', 'try', 'maybe', 'alternatively', 'but', 'however', 'check', 'verify',
  'suppose', 'instead', 'perhaps', 'confirm', 'actually', 'hmm', 'consider', 'assume', 'recall',
  'notice', 'note', 'since', 'because', 'therefore', 'thus', 'so', 'if', 'approach', 'step',
  'back', 'again', 'reconsider', 'mistake', 'wrong', 'need', 'use', 'fact'
])

const MATH_SYMBOL = /[=+\-*/^\\$<>|{}_%]/

interface Entry {
  ids: number[]
  successCount: number
  failureCount: number
  successDocs: number
  failureDocs: number
  steps: Set<number>
  mathOcc: number
  lastDoc: number
}

/**
 * Mines Strategic Gram candidates: n-grams (not crossing a break) of successful responses,
 * with their counts in successful and failed ones. Failed responses count toward n-grams
 * already tracked and also start new entries, so a phrase that first shows up in a failure
 * still gets an honest failure count; only n-grams seen in a successful response are offered.
 *
 * Memory is bounded by `maxTracked` entries. When the table passes it, prune() drops the
 * entries seen in the fewest responses (raising the cut until at most half remain), in the
 * spirit of lossy counting: a dropped n-gram that comes back starts from zero, so the counts
 * of a surviving candidate are lower bounds, short by at most the responses seen before its
 * last drop. `pruneFloor` reports the highest cut used so far.
 */
export class SgMiner {
  readonly minN: number
  readonly maxN: number
  readonly maxTracked: number
  private vocab = new WordVocab()
  private table = new Map<string, Entry>()
  private successResponses = 0
  private failureResponses = 0
  private docSerial = 0
  pruneFloor = 0

  constructor(opts: MinerOptions = {}) {
    this.minN = opts.minN ?? 3
    this.maxN = opts.maxN ?? 5
    this.maxTracked = opts.maxTracked ?? 200_000
    if (!(Number.isInteger(this.minN) && Number.isInteger(this.maxN) && this.minN >= 2 && this.maxN <= 8 && this.minN <= this.maxN)) {
      throw new RangeError(`n-gram sizes must satisfy 2 ≤ minN ≤ maxN ≤ 8, got ${this.minN}..${this.maxN}`)
    }
    if (!(this.maxTracked >= 16)) throw new RangeError(`maxTracked must be ≥ 16, got ${this.maxTracked}`)
  }

  get tracked(): number {
    return this.table.size
  }

  addResponse(r: MineResponse): void {
    const words = splitWords(r.text, this.vocab)
    const ids = words.ids!
    const doc = ++this.docSerial
    if (r.correct) this.successResponses++
    else this.failureResponses++
    // run = how many words end here without a break inside (joined chain length)
    let run = 0
    for (let i = 0; i < words.count; i++) {
      run = i > 0 && words.joined[i - 1] === 1 ? run + 1 : 1
      for (let n = this.minN; n <= this.maxN && n <= run; n++) {
        const first = i + 1 - n
        let key = String(ids[first])
        for (let k = first + 1; k <= i; k++) key += ',' + ids[k]
        let e = this.table.get(key)
        if (!e) {
          e = {
            ids: Array.from(ids.subarray(first, i + 1)),
            successCount: 0,
            failureCount: 0,
            successDocs: 0,
            failureDocs: 0,
            steps: new Set(),
            mathOcc: 0,
            lastDoc: 0
          }
          this.table.set(key, e)
        }
        if (r.correct) e.successCount++
        else e.failureCount++
        if (e.lastDoc !== doc) {
          e.lastDoc = doc
          if (r.correct) e.successDocs++
          else e.failureDocs++
          if (r.step !== undefined) e.steps.add(r.step)
        }
        if (MATH_SYMBOL.test(r.text.slice(words.ends[first], words.starts[i]))) e.mathOcc++
      }
    }
    if (this.table.size > this.maxTracked) this.prune()
  }

  /** Drops the least-seen entries until at most maxTracked/2 remain. */
  prune(): void {
    const target = this.maxTracked >> 1
    const byDocs = new Map<number, number>()
    for (const e of this.table.values()) {
      const d = e.successDocs + e.failureDocs
      byDocs.set(d, (byDocs.get(d) ?? 0) + 1)
    }
    const levels = [...byDocs.keys()].sort((a, b) => a - b)
    let remaining = this.table.size
    let cut = 0
    for (const d of levels) {
      if (remaining <= target) break
      remaining -= byDocs.get(d)!
      cut = d
    }
    for (const [k, e] of this.table) if (e.successDocs + e.failureDocs <= cut) this.table.delete(k)
    if (cut > this.pruneFloor) this.pruneFloor = cut
  }

  candidates(opts: CandidateOptions = {}): MinedCandidate[] {
    const minSupport = opts.minSupport ?? 2
    const minCue = opts.minCue ?? -Infinity
    const limit = opts.limit ?? 100
    const folded = new Map<string, string>() // short key → key it folded into
    const foldedInto = new Map<string, string[]>()
    if (opts.fold ?? true) this.fold(folded, foldedInto)
    const out: MinedCandidate[] = []
    const S = this.successResponses
    const F = this.failureResponses
    for (const [key, e] of this.table) {
      if (e.successDocs < minSupport || folded.has(key)) continue
      const words = e.ids.map((id) => this.vocab.words[id])
      const cue = cueScore(words, e.mathOcc / (e.successCount + e.failureCount))
      if (cue < minCue) continue
      const lift = ((e.successDocs + 1) / (S + 2)) / ((e.failureDocs + 1) / (F + 2))
      out.push({
        phrase: words.join(' '),
        n: words.length,
        successCount: e.successCount,
        failureCount: e.failureCount,
        successDocs: e.successDocs,
        failureDocs: e.failureDocs,
        docFreq: e.successDocs + e.failureDocs,
        lift,
        steps: [...e.steps].sort((a, b) => a - b),
        cueScore: cue,
        score: cue + Math.log(lift),
        folded: (foldedInto.get(key) ?? []).map((k) => this.phraseOf(k))
      })
    }
    const sortBy = opts.sortBy ?? 'score'
    const primary = (c: MinedCandidate): number =>
      sortBy === 'lift' ? c.lift : sortBy === 'support' ? c.successDocs : sortBy === 'cue' ? c.cueScore : c.score
    out.sort((a, b) => primary(b) - primary(a) || b.successDocs - a.successDocs || (a.phrase < b.phrase ? -1 : a.phrase > b.phrase ? 1 : 0))
    return out.slice(0, limit)
  }

  private phraseOf(key: string): string {
    return this.table.get(key)!.ids.map((id) => this.vocab.words[id]).join(' ')
  }

  // A shorter n-gram with the same success and failure occurrence counts as a longer one that
  // contains it occurs only inside it (each longer occurrence holds one shorter occurrence at a
  // fixed offset, so equal counts leave none outside). Longest first, so chains fold into the
  // outermost; the first longer candidate found wins when several qualify.
  private fold(folded: Map<string, string>, foldedInto: Map<string, string[]>): void {
    const byLen: string[][] = []
    for (const [key, e] of this.table) (byLen[e.ids.length] ??= []).push(key)
    for (let n = this.maxN; n > this.minN; n--) {
      for (const key of byLen[n] ?? []) {
        const root = folded.get(key) ?? key
        const e = this.table.get(key)!
        for (let m = this.minN; m < n; m++) {
          for (let off = 0; off + m <= n; off++) {
            const sub = e.ids.slice(off, off + m).join(',')
            if (folded.has(sub)) continue
            const s = this.table.get(sub)
            if (s && s.successCount === e.successCount && s.failureCount === e.failureCount) {
              folded.set(sub, root)
              const list = foldedInto.get(root) ?? []
              list.push(sub)
              foldedInto.set(root, list)
            }
          }
        }
      }
    }
  }
}

/**
 * Strategic-cue score: +1 per cue word, +0.5 more when the phrase opens with one, −1 per word
 * holding a digit, −0.5 per one-letter word other than "a"/"i" (variables), and −2 times the
 * share of occurrences with a math symbol between its words.
 */
export function cueScore(words: readonly string[], mathShare = 0): number {
  let s = 0
  for (const w of words) {
    if (CUE_WORDS.has(w)) s += 1
    if (/\p{N}/u.test(w)) s -= 1
    else if (w.length === 1 && w !== 'a' && w !== 'i') s -= 0.5
  }
  if (words.length > 0 && CUE_WORDS.has(words[0])) s += 0.5
  return s - 2 * mathShare
}
