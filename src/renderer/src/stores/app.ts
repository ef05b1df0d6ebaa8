import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../shared/api/app'
import { invoke } from '../api/client'

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const error = ref<string | null>(null)
  async function load() {
    try {
      info.value = await invoke('app/info', {})
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }
  return { info, error, load }
})
