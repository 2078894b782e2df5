// A uPlot time-series chart. The series are given by name; the chart is rebuilt when they or the
// theme change, and otherwise only gets new data. `data-points` on the chart's element counts the
// points drawn (the browser test watches it grow).

import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useTheme } from './hooks.ts'

const PALETTE = ['#5b5bd6', '#e5484d', '#12a594', '#f76b15', '#8e4ec6', '#0090ff', '#ffb224', '#d6409f', '#46a758', '#978365']

export interface ChartProps {
  id: string
  title: string
  series: string[]
  /** x in seconds (first array), then one array per series; null where a series has no value */
  data: Array<Array<number | null>>
  format?: (v: number) => string
  height?: number
}

function cssVar (name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

export function Chart ({ id, title, series, data, format, height = 240 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const theme = useTheme()
  const key = series.join('\u0000')

  useEffect(() => {
    const el = box.current
    if (el === null) return
    const fg = cssVar('--muted')
    const grid = cssVar('--grid')
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      series: [
        {},
        ...series.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length] as string,
          width: 2,
          spanGaps: true,
          points: { show: false },
          ...(format !== undefined ? { value: (_u: uPlot, v: number | null) => v === null ? '–' : format(v) } : {}),
        })),
      ],
      axes: [axis, { ...axis, size: 84, ...(format !== undefined ? { values: (_u: uPlot, vals: number[]) => vals.map(v => format(v)) } : {}) }],
      scales: { x: { time: true } },
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    }
    const u = new uPlot(opts, data as uPlot.AlignedData, el)
    plot.current = u
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }))
    ro.observe(el)
    return () => { ro.disconnect(); u.destroy(); plot.current = null }
  }, [key, theme, height])

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData)
  }, [data])

  const points = data[0]?.length ?? 0
  return (
    <section class="card chart" id={id} data-points={points}>
      <h3>{title}</h3>
      {series.length === 0 || points === 0 ? <p class="empty">Waiting for data…</p> : null}
      <div ref={box} class="chart-box" style={series.length === 0 ? 'display:none' : ''} />
    </section>
  )
}
