// Topics: the list with partitions, messages and size; create a topic; delete one.

import { useState } from 'preact/hooks'
import { del, enc, get, post, type TopicSummary } from '../api.ts'
import { bytes, count } from '../format.ts'
import { href, useAsync } from '../hooks.ts'

function parseConfigs (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const l = line.trim()
    if (l === '' || l.startsWith('#')) continue
    const eq = l.indexOf('=')
    if (eq <= 0) throw new Error(`'${l}' is not key=value`)
    out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim()
  }
  return out
}

function CreateTopic ({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [partitions, setPartitions] = useState('1')
  const [replicas, setReplicas] = useState('1')
  const [configs, setConfigs] = useState('')
  const [status, setStatus] = useState<{ ok: boolean, text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    try {
      await post('/api/topics', { name: name.trim(), partitions: Number(partitions), replicationFactor: Number(replicas), configs: parseConfigs(configs) })
      setStatus({ ok: true, text: `Created ${name.trim()}` })
      setName('')
      setConfigs('')
      onCreated()
    } catch (err) {
      setStatus({ ok: false, text: (err as Error).message })
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="card form" id="create-topic" onSubmit={e => { void submit(e) }}>
      <h3>Create a topic</h3>
      <div class="row">
        <label>Name<input name="name" required value={name} onInput={e => setName(e.currentTarget.value)} placeholder="sensors" /></label>
        <label class="narrow">Partitions<input name="partitions" type="number" min="1" value={partitions} onInput={e => setPartitions(e.currentTarget.value)} /></label>
        <label class="narrow">Replicas<input name="replicas" type="number" min="1" value={replicas} onInput={e => setReplicas(e.currentTarget.value)} /></label>
      </div>
      <label>Configs, one key=value a line<textarea name="configs" rows={2} value={configs} onInput={e => setConfigs(e.currentTarget.value)} placeholder="retention.ms=86400000" /></label>
      <div class="row actions">
        <button type="submit" class="primary" disabled={busy}>Create</button>
        {status !== null ? <span class={status.ok ? 'ok' : 'error'} role="status">{status.text}</span> : null}
      </div>
    </form>
  )
}

export function Topics () {
  const topics = useAsync(() => get<TopicSummary[]>('/api/topics'), [], 5000)
  const [error, setError] = useState<string | null>(null)
  const remove = async (name: string): Promise<void> => {
    if (!window.confirm(`Delete topic ${name} and all its records?`)) return
    try {
      await del(`/api/topics/${enc(name)}`)
      setError(null)
      topics.reload()
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const list = topics.data ?? []
  return (
    <div class="page" id="page-topics">
      <h2>Topics</h2>
      {topics.error !== undefined ? <p class="error">{topics.error}</p> : null}
      {error !== null ? <p class="error">{error}</p> : null}
      <section class="card">
        <table class="grid" id="topics-table">
          <thead><tr><th>Name</th><th class="num">Partitions</th><th class="num">Messages</th><th class="num">Size</th><th /></tr></thead>
          <tbody>
            {list.map(t => (
              <tr key={t.name} data-topic={t.name}>
                <td><a href={href('topics', t.name)}>{t.name}</a></td>
                <td class="num">{t.partitions}</td>
                <td class="num">{count(t.messages)}</td>
                <td class="num">{bytes(t.sizeBytes)}</td>
                <td class="actions">
                  <a class="button" href={href('messages', t.name)}>Messages</a>
                  <button type="button" class="danger" onClick={() => { void remove(t.name) }}>Delete</button>
                </td>
              </tr>
            ))}
            {list.length === 0 && !topics.loading ? <tr><td colSpan={5} class="empty">No topics yet.</td></tr> : null}
          </tbody>
        </table>
      </section>
      <CreateTopic onCreated={topics.reload} />
    </div>
  )
}
