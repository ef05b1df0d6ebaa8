import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { RunSummary } from '../../../shared/api/runs'
import { invoke, onEvent } from '../api/client'

export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  let subscribed = false

  async function refresh() {
    loading.value = true
    try {
      runs.value = await invoke('runs/list', {})
      error.value = null
      loaded.value = true
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  function subscribe() {
    if (subscribed) return
    subscribed = true
    onEvent('runs/changed', () => void refresh())
  }

  async function rename(id: number, name: string) {
    await invoke('runs/rename', { id, name })
    await refresh()
  }

  async function remove(id: number) {
    await invoke('runs/delete', { id })
    await refresh()
  }

  return { runs, loading, loaded, error, refresh, subscribe, rename, remove }
})
