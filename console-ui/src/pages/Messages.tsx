// The message browser: pick a topic, filter on key and value text and a time range, read the
// newest or oldest matches, or follow new ones live (server-sent events); and produce a message.

import { useEffect, useRef, useState } from 'preact/hooks'
import { type BrowseResult, enc, get, type Message, post, type TopicSummary } from '../api.ts'
import { count, fromLocalInput, time } from '../format.ts'
import { href, useAsync } from '../hooks.ts'

/** Messages the live tail keeps on screen. */
const MAX_SHOWN = 500

interface Filters { key: string, value: string, from: string, to: string, partition: string, limit: string, order: 'newest' | 'oldest' }

function query (f: Filters, forTail: boolean): string {
  const q = new URLSearchParams()
  if (f.key !== '') q.set('key', f.key)
  if (f.value !== '') q.set('value', f.value)
  const from = fromLocalInput(f.from)
  const to = fromLocalInput(f.to)
  if (from !== undefined) q.set('from', String(from))
  if (to !== undefined) q.set('to', String(to))
  if (!forTail) {
    if (f.partition !== '') q.set('partition', f.partition)
    q.set('limit', f.limit)
    q.set('order', f.order)
  }
  return q.toString()
}

function Produce ({ topic, partitions, onSent }: { topic: string, partitions: number, onSent: () => void }) {
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const [partition, setPartition] = useState('')
  const [headers, setHeaders] = useState('')
  const [status, setStatus] = useState<{ ok: boolean, text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const send = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    try {
      const h: Record<string, string> = {}
      for (const line of headers.split('\n')) {
        const l = line.trim()
        if (l === '') continue
        const eq = l.indexOf('=')
        if (eq <= 0) throw new Error(`header '${l}' is not key=value`)
        h[l.slice(0, eq)] = l.slice(eq + 1)
      }
      const r = await post<{ partition: number, offset: number }>(`/api/topics/${enc(topic)}/messages`, {
        key: key === '' ? null : key,
        value,
        ...(partition !== '' ? { partition: Number(partition) } : {}),
        headers: h,
      })
      setStatus({ ok: true, text: `Sent to partition ${r.partition} at offset ${r.offset}` })
      onSent()
    } catch (err) {
      setStatus({ ok: false, text: (err as Error).message })
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="card form" id="produce-form" onSubmit={e => { void send(e) }}>
      <h3>Produce a message to {topic}</h3>
      <div class="row">
        <label>Key<input name="key" value={key} onInput={e => setKey(e.currentTarget.value)} placeholder="(none)" /></label>
        <label class="narrow">Partition
          <select name="partition" value={partition} onChange={e => setPartition(e.currentTarget.value)}>
            <option value="">by key</option>
            {Array.from({ length: partitions }, (_, i) => <option key={i} value={String(i)}>{i}</option>)}
          </select>
        </label>
      </div>
      <label>Value<textarea name="value" rows={3} value={value} onInput={e => setValue(e.currentTarget.value)} placeholder='{"sensor_id":"sensor-1","temperature":21.5}' /></label>
      <label>Headers, one key=value a line<textarea name="headers" rows={1} value={headers} onInput={e => setHeaders(e.currentTarget.value)} /></label>
      <div class="row actions">
        <button type="submit" class="primary" disabled={busy}>Send</button>
        {status !== null ? <span class={status.ok ? 'ok' : 'error'} role="status" id="produce-status">{status.text}</span> : null}
      </div>
    </form>
  )
}

function MessageRow ({ m }: { m: Message }) {
  const [open, setOpen] = useState(false)
  const value = m.value === null ? <span class="muted">null</span> : m.valueEncoding === 'base64' ? <span title="binary, shown as base64">{m.value}</span> : m.value
  return (
    <tr data-offset={m.offset} data-partition={m.partition} onClick={() => setOpen(!open)} class={open ? 'open' : ''}>
      <td class="num">{m.partition}</td>
      <td class="num">{m.offset}</td>
      <td class="nowrap">{time(m.timestamp)}</td>
      <td class="key">{m.key === null ? <span class="muted">null</span> : m.key}</td>
      <td class="value"><div class={open ? 'full' : 'clip'}>{value}{m.truncated ? <span class="muted"> … ({count(m.size)} bytes)</span> : null}</div>
        {open && m.headers.length > 0 ? <div class="headers">{m.headers.map(([k, v]) => <code key={k}>{k}={v ?? 'null'} </code>)}</div> : null}
      </td>
    </tr>
  )
}

export function Messages ({ topic }: { topic: string | undefined }) {
  const topics = useAsync(() => get<TopicSummary[]>('/api/topics'), [])
  const [filters, setFilters] = useState<Filters>({ key: '', value: '', from: '', to: '', partition: '', limit: '50', order: 'newest' })
  const [messages, setMessages] = useState<Message[]>([])
  const [note, setNote] = useState<string>('')
  const [error, setError] = useState<string | null>(null)
  const [live, setLive] = useState(false)
  const [busy, setBusy] = useState(false)
  const tail = useRef<EventSource | null>(null)
  const list = topics.data ?? []
  const current = list.find(t => t.name === topic)

  const search = async (): Promise<void> => {
    if (topic === undefined) return
    setBusy(true)
    try {
      const r = await get<BrowseResult>(`/api/topics/${enc(topic)}/messages?${query(filters, false)}`)
      setMessages(r.messages)
      setError(null)
      setNote(`${count(r.messages.length)} shown, ${count(r.scanned)} read${r.complete ? '' : ' (stopped early: narrow the filters or the time range)'}`)
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  useEffect(() => { setMessages([]); setNote(''); setLive(false); if (topic !== undefined) void search() }, [topic])

  useEffect(() => {
    if (!live || topic === undefined) return
    const es = new EventSource(`/api/topics/${enc(topic)}/tail?${query(filters, true)}`)
    tail.current = es
    setNote('Live: waiting for new messages…')
    es.addEventListener('ready', () => setNote('Live: following new messages'))
    es.addEventListener('messages', e => {
      const batch = JSON.parse((e as MessageEvent<string>).data) as Message[]
      setMessages(prev => [...batch.reverse(), ...prev].slice(0, MAX_SHOWN))
    })
    es.addEventListener('dropped', e => setNote(`Live: ${(JSON.parse((e as MessageEvent<string>).data) as { count: number }).count} updates dropped (the page was too slow)`))
    es.addEventListener('tail-error', e => { setError((JSON.parse((e as MessageEvent<string>).data) as { message: string }).message); setLive(false) })
    return () => { es.close(); tail.current = null }
  }, [live, topic, filters.key, filters.value, filters.from, filters.to])

  const set = (k: keyof Filters) => (e: Event) => setFilters({ ...filters, [k]: (e.currentTarget as HTMLInputElement).value })
  return (
    <div class="page" id="page-messages">
      <h2>Messages</h2>
      <section class="card form">
        <div class="row">
          <label>Topic
            <select name="topic" value={topic ?? ''} onChange={e => { window.location.hash = href('messages', e.currentTarget.value) }}>
              <option value="" disabled>choose a topic</option>
              {list.map(t => <option key={t.name} value={t.name}>{t.name}</option>)}
            </select>
          </label>
          <label>Key contains<input name="filter-key" value={filters.key} onInput={set('key')} /></label>
          <label>Value contains<input name="filter-value" value={filters.value} onInput={set('value')} /></label>
        </div>
        <div class="row">
          <label>From<input name="filter-from" type="datetime-local" step="1" value={filters.from} onInput={set('from')} /></label>
          <label>To<input name="filter-to" type="datetime-local" step="1" value={filters.to} onInput={set('to')} /></label>
          <label class="narrow">Partition
            <select name="filter-partition" value={filters.partition} onChange={set('partition')}>
              <option value="">all</option>
              {Array.from({ length: current?.partitions ?? 0 }, (_, i) => <option key={i} value={String(i)}>{i}</option>)}
            </select>
          </label>
          <label class="narrow">Show
            <select name="filter-order" value={filters.order} onChange={set('order')}>
              <option value="newest">newest</option>
              <option value="oldest">oldest</option>
            </select>
          </label>
          <label class="narrow">Limit<input name="filter-limit" type="number" min="1" max="500" value={filters.limit} onInput={set('limit')} /></label>
        </div>
        <div class="row actions">
          <button type="button" class="primary" id="search" disabled={topic === undefined || busy || live} onClick={() => { void search() }}>Search</button>
          <button type="button" id="live-toggle" class={live ? 'live on' : 'live'} disabled={topic === undefined} onClick={() => setLive(!live)}>{live ? '■ Stop live tail' : '● Live tail'}</button>
          <span class="muted" id="browse-note">{note}</span>
        </div>
      </section>
      {error !== null ? <p class="error">{error}</p> : null}
      {topic !== undefined
        ? (
          <section class="card">
            <table class="grid messages" id="messages-table">
              <thead><tr><th class="num">Partition</th><th class="num">Offset</th><th>Timestamp</th><th>Key</th><th>Value</th></tr></thead>
              <tbody>
                {messages.map(m => <MessageRow key={`${m.partition}:${m.offset}`} m={m} />)}
                {messages.length === 0 ? <tr><td colSpan={5} class="empty">{live ? 'No new messages yet.' : 'No messages match.'}</td></tr> : null}
              </tbody>
            </table>
          </section>
          )
        : <p class="muted">Choose a topic to browse its messages.</p>}
      {topic !== undefined ? <Produce topic={topic} partitions={current?.partitions ?? 0} onSent={() => { if (!live) void search() }} /> : null}
    </div>
  )
}
