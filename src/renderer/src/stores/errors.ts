import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ErrorCounts, ErrorTaxonomy, JudgeConfigView, LabelFilter, QueueItem } from '../../../shared/api/errors'
import type { JobProgress } from '../../../shared/api/jobs'
import { invoke, onEvent } from '../api/client'
import { plainError } from '../lib/plainErrors'

/** Failures loaded at a time; labelled ones leave the queue on the next load. */
const QUEUE_PAGE = 200

interface UndoEntry {
  rolloutId: number
  /** The manual label before the change; null = there was none. */
  before: string | null
}

/** Error types of one run: Figure 3 counts, the labelling queue, rule and judge jobs. */
export const useErrorsStore = defineStore('errors', () => {
  const runId = ref<number | null>(null)
  const source = ref<LabelFilter>('effective')
  const taxonomy = ref<ErrorTaxonomy | null>(null)
  const counts = ref<ErrorCounts | null>(null)
  const queue = ref<QueueItem[]>([])
  const queueTotal = ref(0)
  const cursor = ref(0)
  const undoStack = ref<UndoEntry[]>([])
  const judge = ref<JudgeConfigView | null>(null)
  const jobs = ref<Record<'rules' | 'judge', JobProgress | null>>({ rules: null, judge: null })
  const jobReport = ref<Record<'rules' | 'judge', unknown>>({ rules: null, judge: null })
  const error = ref<string | null>(null)
  /** Why a rules or judge job could not start, in plain words, shown beside its button. */
  const startErrors = ref<Record<'rules' | 'judge', string | null>>({ rules: null, judge: null })
  /** Failures with no label of any source: what the counts table calls unlabelled under "effective". */
  const noLabel = ref<number | null>(null)
  let subscribed = false
  /** Bumped when a queue load starts and when a label is sent and written: a page asked for
   *  before the last bump may miss a label (or hold an item it took out), so it is asked again. */
  let queueEpoch = 0
  let latestLoad = 0

  const fail = (err: unknown) => { error.value = (err as Error).message }

  async function loadTaxonomy() {
    taxonomy.value = await invoke('errors/taxonomy', {})
  }

  async function refreshCounts() {
    if (runId.value === null) return
    try {
      const [c, eff] = await Promise.all([
        invoke('errors/counts', { runId: runId.value, source: source.value }),
        // The queue names the effective count whatever the chart's source: one more call then.
        source.value === 'effective' ? null : invoke('errors/counts', { runId: runId.value, source: 'effective' })
      ])
      counts.value = c
      noLabel.value = (eff ?? c).unlabelled.reduce((a, b) => a + b, 0)
    } catch (err) {
      fail(err)
    }
  }

  async function loadQueue() {
    if (runId.value === null) return
    try {
      let page
      for (;;) {
        const epoch = latestLoad = ++queueEpoch
        page = await invoke('errors/queue', { runId: runId.value, limit: QUEUE_PAGE })
        if (epoch === queueEpoch) break
        if (latestLoad !== epoch) return // a newer load answers instead
      }
      queue.value = page.items
      queueTotal.value = page.total
      cursor.value = Math.min(cursor.value, Math.max(0, page.items.length - 1))
    } catch (err) {
      fail(err)
    }
  }

  async function open(id: number) {
    runId.value = id
    cursor.value = 0
    undoStack.value = []
    error.value = null
    await Promise.all([loadTaxonomy(), refreshCounts(), loadQueue()])
  }

  function manualOf(item: QueueItem): string | null {
    return item.labels.find((l) => l.source === 'manual')?.errorType ?? null
  }

  // Writes a manual label (errorType, null to clear, or a copy of another source's); the
  // rollout's labels after it, or null on failure (said in `error`). A queue page asked for
  // while it is on its way is asked again (loadQueue).
  async function writeLabel(rolloutId: number, errorType: string | null, accept?: 'judge' | 'rule' | 'truth') {
    queueEpoch++
    try {
      const res = accept ? await invoke('errors/label', { rolloutId, accept }) : await invoke('errors/label', { rolloutId, errorType })
      error.value = null
      return res.labels
    } catch (err) {
      fail(err)
      return null
    } finally {
      queueEpoch++
    }
  }

  /** Sets (or, with null, clears) the manual label of a queue item; the item stays in view for undo. */
  async function label(item: QueueItem, errorType: string | null, accept?: 'judge' | 'rule' | 'truth', record = true) {
    const before = manualOf(item)
    const labels = await writeLabel(item.id, errorType, accept)
    if (labels === null) return
    item.labels = labels
    // The queue counts failures without a manual label: keep it in step with the table.
    const after = manualOf(item)
    if (before === null && after !== null) queueTotal.value = Math.max(0, queueTotal.value - 1)
    else if (before !== null && after === null) queueTotal.value++
    if (record) undoStack.value.push({ rolloutId: item.id, before })
    await refreshCounts()
  }

  async function undo() {
    const last = undoStack.value.pop()
    if (!last) return
    const at = queue.value.findIndex((q) => q.id === last.rolloutId)
    if (at >= 0) {
      cursor.value = at
      await label(queue.value[at]!, last.before, undefined, false)
      return
    }
    // The item left the loaded page (a reload after its label): undo it all the same, then bring it back.
    if ((await writeLabel(last.rolloutId, last.before)) === null) return
    await Promise.all([refreshCounts(), loadQueue()])
    const back = queue.value.findIndex((q) => q.id === last.rolloutId)
    if (back >= 0) cursor.value = back
  }

  async function startRules() {
    if (runId.value === null) return
    startErrors.value.rules = null
    try {
      const { jobId } = await invoke('errors/rules', { runId: runId.value })
      track('rules', jobId)
    } catch (err) {
      startErrors.value.rules = plainError((err as Error).message)
    }
  }

  async function loadJudge() {
    judge.value = await invoke('errors/judgeConfig', {})
  }

  async function saveJudge(patch: { baseUrl?: string; model?: string; apiKey?: string; prompt?: string; concurrency?: number; timeoutSeconds?: number }) {
    try {
      judge.value = await invoke('errors/setJudgeConfig', patch)
      error.value = null
      return true
    } catch (err) {
      fail(err)
      return false
    }
  }

  async function startJudge(redo = false) {
    if (runId.value === null) return
    startErrors.value.judge = null
    try {
      const { jobId } = await invoke('errors/judge', { runId: runId.value, redo })
      track('judge', jobId)
    } catch (err) {
      startErrors.value.judge = plainError((err as Error).message)
    }
  }

  async function cancel(kind: 'rules' | 'judge') {
    const j = jobs.value[kind]
    if (j) await invoke('jobs/cancel', { id: j.jobId })
  }

  const watching = new Map<number, 'rules' | 'judge'>()
  function track(kind: 'rules' | 'judge', jobId: number) {
    watching.set(jobId, kind)
    jobReport.value[kind] = null
    jobs.value[kind] = { jobId, kind: `errors.${kind}`, runId: runId.value, status: 'running', done: 0, total: null, unit: 'responses', rate: null, etaSeconds: null, message: null }
    // The job may finish before its first event reaches us; ask once for its state.
    void invoke('errors/job', { jobId }).then((r) => {
      if (r.status !== 'running' && watching.has(jobId)) finish(jobId, kind, r.status, r.done, r.total, r.error)
    })
  }

  function finish(jobId: number, kind: 'rules' | 'judge', status: string, done: number, total: number | null, message: string | null) {
    watching.delete(jobId)
    const prev = jobs.value[kind]
    jobs.value[kind] = { ...(prev ?? { jobId, kind: `errors.${kind}`, runId: runId.value, unit: 'responses', rate: null, etaSeconds: null }),
      status: status as JobProgress['status'], done, total, message } as JobProgress
    void invoke('errors/job', { jobId }).then((r) => {
      jobReport.value[kind] = r
      if (r.error) jobs.value[kind] = { ...jobs.value[kind]!, message: r.error }
    })
    void refreshCounts()
    void loadQueue()
  }

  function subscribe() {
    if (subscribed) return
    subscribed = true
    onEvent('jobs/progress', (p) => {
      const kind = watching.get(p.jobId)
      if (!kind) return
      if (p.status === 'running') jobs.value[kind] = p
      else finish(p.jobId, kind, p.status, p.done, p.total, p.message)
    })
    onEvent('errors/changed', (e) => {
      if (e.runId === runId.value) void refreshCounts()
    })
    // A live run (training, importing) adds steps with their failures: re-count at most once a second.
    let pending: ReturnType<typeof setTimeout> | null = null
    onEvent('metrics/appended', (e) => {
      if (e.runId !== runId.value || pending) return
      pending = setTimeout(() => {
        pending = null
        void refreshCounts()
      }, 1000)
    })
  }

  return {
    runId, source, taxonomy, counts, queue, queueTotal, cursor, undoStack, judge, jobs, jobReport, error, startErrors, noLabel,
    open, refreshCounts, loadQueue, label, undo, manualOf, startRules, loadJudge, saveJudge, startJudge, cancel, subscribe
  }
})
