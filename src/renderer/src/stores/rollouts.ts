import { defineStore } from 'pinia'
import { ref } from 'vue'
import { invoke } from '../api/client'
import type { RolloutDetail, RolloutFilter, RolloutSummary } from '../components/rollouts/types'

export type Filters = Omit<RolloutFilter, 'runId' | 'offset' | 'limit'>

/** One run's rollouts, a page at a time, and the one opened in detail. */
export const useRolloutsStore = defineStore('rollouts', () => {
  const runId = ref<number | null>(null)
  const filters = ref<Filters>({})
  const offset = ref(0)
  const limit = ref(25)
  const total = ref(0)
  const items = ref<RolloutSummary[]>([])
  const detail = ref<RolloutDetail | null>(null)
  const shares = ref<{ high_entropy_planning_share: number | null; planning_high_entropy_share: number | null } | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function load() {
    if (runId.value === null) return
    const mine = ++seq
    loading.value = true
    try {
      const page = await invoke('rollouts/page',
        { runId: runId.value, ...filters.value, offset: offset.value, limit: limit.value })
      // A slower, older query must not overwrite a newer one.
      if (mine !== seq) return
      total.value = page.total
      items.value = page.items
      error.value = null
    } catch (err) {
      if (mine === seq) error.value = (err as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /**
   * Opens the rollout `delta` rows away from the open one (j/k): across a page boundary the next
   * page is loaded and its first (or the previous page's last) row opened.
   */
  async function move(delta: 1 | -1) {
    if (items.value.length === 0) return
    const at = detail.value ? items.value.findIndex((r) => r.id === detail.value!.id) : -1
    let next = at < 0 ? (delta > 0 ? 0 : items.value.length - 1) : at + delta
    if (next >= items.value.length) {
      if (offset.value + limit.value >= total.value) return
      offset.value += limit.value
      await load()
      next = 0
    } else if (next < 0) {
      if (offset.value === 0) return
      offset.value = Math.max(0, offset.value - limit.value)
      await load()
      next = items.value.length - 1
    }
    const r = items.value[next]
    if (r) await open(r.id)
  }

  async function open(id: number) {
    try {
      const d = await invoke('rollouts/get', { id })
      detail.value = d
      error.value = null
      await loadShares(d.runId, d.step)
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  /** The step's two high-entropy shares (SPEC §4) as the run stored them. */
  async function loadShares(run: number, step: number) {
    shares.value = null
    const keys = ['high_entropy_planning_share', 'planning_high_entropy_share'] as const
    const res = await invoke('metrics/series', { runIds: [run], keys: [...keys], stepMin: step, stepMax: step })
    const at = (k: string) => {
      const s = res.series.find((x) => x.key === k)
      const i = s ? s.step.indexOf(step) : -1
      return s && i >= 0 ? s.last[i]! : null
    }
    shares.value = { high_entropy_planning_share: at(keys[0]), planning_high_entropy_share: at(keys[1]) }
  }

  async function setRun(id: number, initial: Filters = {}) {
    runId.value = id
    filters.value = initial
    offset.value = 0
    detail.value = null
    await load()
  }

  async function setFilters(f: Filters) {
    filters.value = f
    offset.value = 0
    await load()
  }

  async function page(delta: number) {
    const next = offset.value + delta * limit.value
    if (next < 0 || next >= total.value) return
    offset.value = next
    await load()
  }

  return { runId, filters, offset, limit, total, items, detail, shares, loading, error, load, open, move, setRun, setFilters, page }
})
