/** One line of a panel: a metric of one run, or of a group of runs drawn as mean with a min–max band. */
export interface ChartLine {
  id: string
  label: string
  color: string
  key: string
  runIds: number[]
  /** 1 puts the line on a second y axis (e.g. response length beside accuracy). */
  yAxis?: 0 | 1
}
