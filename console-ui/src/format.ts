// How numbers, sizes and times are shown.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 })

export function count (n: number): string { return integer.format(n) }

export function rate (n: number): string { return n >= 100 ? integer.format(n) : decimal.format(n) }

export function bytes (n: number): string {
  if (n < 0) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? integer.format(n) : decimal.format(n)} ${units[i] ?? ''}`
}

export function time (ms: number): string {
  const d = new Date(ms)
  const pad = (x: number, w = 2): string => String(x).padStart(w, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** A datetime-local input's value as ms since the epoch, or undefined when empty. */
export function fromLocalInput (v: string): number | undefined {
  if (v === '') return undefined
  const ms = new Date(v).getTime()
  return Number.isFinite(ms) ? ms : undefined
}
