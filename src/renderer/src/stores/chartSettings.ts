import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { XMode } from '../lib/chartData'

const KEY = 'hicra.chartSettings'

/** The x axis and smoothing every dashboard shares, kept across views and restarts. */
export const useChartSettings = defineStore('chartSettings', () => {
  let saved: { xMode?: XMode; smoothing?: number; smoothShort?: boolean } = {}
  try { saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as typeof saved } catch { saved = {} }
  const xMode = ref<XMode>(saved.xMode === 'relative' || saved.xMode === 'wall' ? saved.xMode : 'step')
  const smoothing = ref(typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : 0.6)
  /** Smooth series of only a handful of points too (off by default: they are drawn as their points). */
  const smoothShort = ref(saved.smoothShort === true)
  watch([xMode, smoothing, smoothShort], () =>
    localStorage.setItem(KEY, JSON.stringify({ xMode: xMode.value, smoothing: smoothing.value, smoothShort: smoothShort.value })))
  return { xMode, smoothing, smoothShort }
})
