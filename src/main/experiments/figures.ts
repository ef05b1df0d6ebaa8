import * as echarts from 'echarts'
import type { ArmCurve } from './curves'

// Figures rendered without a browser: ECharts' server-side SVG renderer. Each arm is its mean
// line with its 95% band drawn as a stacked area between the lower and upper bound.

const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B']

export interface FigureSpec {
  title: string
  yName: string
  curves: ArmCurve[]
  width?: number
  height?: number
}

export function renderFigure(f: FigureSpec): string {
  const width = f.width ?? 560
  const height = f.height ?? 340
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  const series: echarts.SeriesOption[] = []
  f.curves.forEach((c, i) => {
    const color = PALETTE[i % PALETTE.length]!
    const stack = `band-${i}`
    series.push({
      type: 'line', name: `${c.arm} band low`, stack, symbol: 'none', silent: true, lineStyle: { opacity: 0 },
      data: c.step.map((s, j) => [s, c.lo[j]!]), tooltip: { show: false }
    })
    series.push({
      type: 'line', name: `${c.arm} band`, stack, symbol: 'none', silent: true, lineStyle: { opacity: 0 },
      areaStyle: { color, opacity: 0.15 }, data: c.step.map((s, j) => [s, c.hi[j]! - c.lo[j]!])
    })
    series.push({
      type: 'line', name: c.arm, symbol: c.step.length <= 12 ? 'circle' : 'none', symbolSize: 4,
      lineStyle: { color, width: 1.8 }, itemStyle: { color }, data: c.step.map((s, j) => [s, c.mean[j]!])
    })
  })
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: f.title, left: 'center', textStyle: { fontSize: 13 } },
    legend: { bottom: 0, data: f.curves.map((c) => c.arm), textStyle: { fontSize: 11 } },
    grid: { left: 56, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, min: 'dataMin', max: 'dataMax' },
    yAxis: { type: 'value', name: f.yName, nameLocation: 'middle', nameGap: 42, scale: true },
    series
  })
  const svg = chart.renderToSVGString()
  chart.dispose()
  return svg
}
