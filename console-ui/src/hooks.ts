// Shared hooks: the hash route, loading data, the theme in effect, and the live stats stream.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import type { LagPoint, RatePoint, Reading, StatsSnapshot } from './api.ts'
import { effectiveTheme, onThemeChange } from './theme.ts'

/** Samples and readings kept in the page, as the server keeps them. */
const MAX_POINTS = 300
const MAX_READINGS = 600

export function currentRoute (): string[] {
  const hash = window.location.hash.replace(/^#\/?/, '')
  return hash === '' ? [] : hash.split('/').map(s => decodeURIComponent(s))
}

export function useRoute (): string[] {
  const [route, setRoute] = useState(currentRoute)
  useEffect(() => {
    const on = (): void => setRoute(currentRoute())
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return route
}

export function href (...parts: string[]): string {
  return '#/' + parts.map(p => encodeURIComponent(p)).join('/')
}

export interface Loaded<T> { data: T | undefined, error: string | undefined, loading: boolean, reload: () => void }

/** Loads with `fn` when deps change (and every refreshMs if given); keeps the last data while reloading. */
export function useAsync<T> (fn: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick(x => x + 1), [])
  useEffect(() => {
    let live = true
    setLoading(true)
    fn().then(d => { if (live) { setData(d); setError(undefined) } }, (e: unknown) => { if (live) setError(e instanceof Error ? e.message : String(e)) })
      .finally(() => { if (live) setLoading(false) })
    return () => { live = false }
  }, [...deps, tick])
  useEffect(() => {
    if (refreshMs === undefined) return
    const timer = window.setInterval(reload, refreshMs)
    return () => window.clearInterval(timer)
  }, [refreshMs, reload])
  return { data, error, loading, reload }
}

export function useTheme (): 'light' | 'dark' {
  const [theme, setTheme] = useState(effectiveTheme)
  useEffect(() => onThemeChange(() => setTheme(effectiveTheme())), [])
  return theme
}

export interface LiveStats extends StatsSnapshot { connected: boolean, dropped: number }

function bounded<T> (list: T[], item: T, max: number): T[] {
  const next = list.length >= max ? list.slice(list.length - max + 1) : list.slice()
  next.push(item)
  return next
}

/** The chart data: the server's histories, then its live samples, for as long as the page shows. */
export function useStats (): LiveStats {
  const [stats, setStats] = useState<LiveStats>({ intervalMs: 1000, sensorTopic: 'sensors', rates: [], lag: [], readings: [], connected: false, dropped: 0 })
  const source = useRef<EventSource | null>(null)
  useEffect(() => {
    const es = new EventSource('/api/stats/stream')
    source.current = es
    es.addEventListener('snapshot', e => {
      const s = JSON.parse((e as MessageEvent<string>).data) as StatsSnapshot
      setStats(prev => ({ ...s, connected: true, dropped: prev.dropped }))
    })
    es.addEventListener('rates', e => {
      const p = JSON.parse((e as MessageEvent<string>).data) as RatePoint
      setStats(prev => ({ ...prev, rates: bounded(prev.rates, p, MAX_POINTS) }))
    })
    es.addEventListener('lag', e => {
      const p = JSON.parse((e as MessageEvent<string>).data) as LagPoint
      setStats(prev => ({ ...prev, lag: bounded(prev.lag, p, MAX_POINTS) }))
    })
    es.addEventListener('reading', e => {
      const r = JSON.parse((e as MessageEvent<string>).data) as Reading
      setStats(prev => ({ ...prev, readings: bounded(prev.readings, r, MAX_READINGS) }))
    })
    es.addEventListener('dropped', e => {
      const d = JSON.parse((e as MessageEvent<string>).data) as { count: number }
      setStats(prev => ({ ...prev, dropped: prev.dropped + d.count }))
    })
    es.onerror = () => setStats(prev => ({ ...prev, connected: false }))
    es.onopen = () => setStats(prev => ({ ...prev, connected: true }))
    return () => { es.close(); source.current = null }
  }, [])
  return stats
}
