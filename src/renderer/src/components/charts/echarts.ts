// Only the ECharts parts the dashboards draw with (lines, and custom series for min–max bands), so
// the bundle stays small (and nothing that needs eval, which the page's CSP forbids).
import * as echarts from 'echarts/core'
import { CustomChart, LineChart } from 'echarts/charts'
import { DataZoomInsideComponent, GridComponent, LegendComponent, ToolboxComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([LineChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, DataZoomInsideComponent, ToolboxComponent, CanvasRenderer])

export { echarts }
export type EChartsType = echarts.EChartsType

interface ChartTiming {
  testid: string
  reason: 'initial' | 'zoom' | 'live' | 'settings'
  /** ms from the request leaving to the chart's `finished` event. */
  totalMs: number
  /** ms the `metrics/series` call took. */
  queryMs: number
  points: number
  /** Buckets per series asked of `metrics/series`. */
  maxPoints: number
}

declare global {
  interface Window {
    /** Chart instances by data-testid; set only when localStorage 'hicra.exposeCharts' is '1' (tests, bench). */
    __charts?: Record<string, EChartsType>
    __chartTimings?: ChartTiming[]
  }
}

/** Tests and the UI benchmark opt in through localStorage; the app never reads these back. */
export const exposeCharts = (() => {
  try { return localStorage.getItem('hicra.exposeCharts') === '1' } catch { return false }
})()

export function exposeChart(testid: string, chart: EChartsType | null): void {
  if (!exposeCharts) return
  window.__charts ??= {}
  if (chart) window.__charts[testid] = chart
  else delete window.__charts[testid]
}

export function recordTiming(t: ChartTiming): void {
  if (!exposeCharts) return
  ;(window.__chartTimings ??= []).push(t)
}

/** Links charts so that tooltip and zoom move together (ECharts' connect). */
export function linkCharts(group: string): void {
  echarts.connect(group)
}

/** Saves text or a data URL as a file through a temporary link (works in Chromium and Electron). */
export function download(name: string, href: string): void {
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
}

export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  download(name, url)
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
