// Turns the stats histories into uPlot's aligned arrays: x in seconds, one array per series.

import type { LagPoint, RatePoint, Reading } from './api.ts'

export interface Aligned { series: string[], data: Array<Array<number | null>> }

function align<P extends { t: number }> (points: readonly P[], names: (p: P) => string[], value: (p: P, name: string) => number | undefined): Aligned {
  const all = new Set<string>()
  for (const p of points) for (const n of names(p)) all.add(n)
  const series = [...all].sort()
  const data: Array<Array<number | null>> = [points.map(p => p.t / 1000)]
  for (const s of series) data.push(points.map(p => value(p, s) ?? null))
  return { series, data }
}

export function rateSeries (points: readonly RatePoint[], metric: 'messagesPerSec' | 'bytesPerSec'): Aligned {
  return align(points, p => Object.keys(p.topics), (p, name) => p.topics[name]?.[metric])
}

export function lagSeries (points: readonly LagPoint[], only?: string): Aligned {
  return align(points, p => only === undefined ? Object.keys(p.groups) : (only in p.groups ? [only] : []), (p, name) => p.groups[name])
}

export function readingSeries (readings: readonly Reading[]): Aligned {
  return align(readings, r => Object.keys(r.values), (r, name) => r.values[name])
}
