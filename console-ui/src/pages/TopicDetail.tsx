// One topic: its partitions (leader, replicas, offsets, size) and its configs.

import { useState } from 'preact/hooks'
import { del, enc, get, type TopicDetail as Detail } from '../api.ts'
import { bytes, count } from '../format.ts'
import { href, useAsync } from '../hooks.ts'

export function TopicDetail ({ name }: { name: string }) {
  const topic = useAsync(() => get<Detail>(`/api/topics/${enc(name)}`), [name], 5000)
  const [showDefaults, setShowDefaults] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const remove = async (): Promise<void> => {
    if (!window.confirm(`Delete topic ${name} and all its records?`)) return
    try {
      await del(`/api/topics/${enc(name)}`)
      window.location.hash = '#/topics'
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const t = topic.data
  const configs = (t?.configs ?? []).filter(c => showDefaults || !c.isDefault)
  const messages = (t?.partitions ?? []).reduce((a, p) => a + p.highWatermark - p.logStartOffset, 0)
  return (
    <div class="page" id="page-topic">
      <p class="crumbs"><a href={href('topics')}>Topics</a> / {name}</p>
      <div class="title-row">
        <h2>{name}</h2>
        <span class="spacer" />
        <a class="button" href={href('messages', name)}>Browse messages</a>
        <button type="button" class="danger" onClick={() => { void remove() }}>Delete topic</button>
      </div>
      {topic.error !== undefined ? <p class="error">{topic.error}</p> : null}
      {error !== null ? <p class="error">{error}</p> : null}
      {t !== undefined
        ? (
          <>
            <p class="muted">Topic id <code>{t.id}</code> · {t.partitions.length} partitions · {count(messages)} messages</p>
            <section class="card">
              <h3>Partitions</h3>
              <table class="grid" id="partitions-table">
                <thead><tr><th class="num">Partition</th><th class="num">Leader</th><th>Replicas</th><th>In sync</th><th class="num">Log start</th><th class="num">High watermark</th><th class="num">Messages</th><th class="num">Size</th></tr></thead>
                <tbody>
                  {t.partitions.map(p => (
                    <tr key={p.partition}>
                      <td class="num">{p.partition}</td>
                      <td class="num">{p.leader}</td>
                      <td>{p.replicas.join(', ')}</td>
                      <td>{p.isr.join(', ')}</td>
                      <td class="num">{count(p.logStartOffset)}</td>
                      <td class="num">{count(p.highWatermark)}</td>
                      <td class="num">{count(p.highWatermark - p.logStartOffset)}</td>
                      <td class="num">{bytes(p.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section class="card">
              <div class="title-row">
                <h3>Configs</h3>
                <span class="spacer" />
                <label class="check"><input type="checkbox" checked={showDefaults} onChange={e => setShowDefaults(e.currentTarget.checked)} /> show defaults</label>
              </div>
              <table class="grid" id="configs-table">
                <thead><tr><th>Name</th><th>Value</th><th>Source</th></tr></thead>
                <tbody>
                  {configs.map(c => (
                    <tr key={c.name} class={c.isDefault ? 'muted' : 'set'}>
                      <td><code>{c.name}</code></td>
                      <td><code>{c.sensitive ? '(hidden)' : c.value ?? '(null)'}</code></td>
                      <td>{c.source.toLowerCase().replace(/_/g, ' ')}</td>
                    </tr>
                  ))}
                  {configs.length === 0 ? <tr><td colSpan={3} class="empty">Every config has its default.</td></tr> : null}
                </tbody>
              </table>
            </section>
          </>
          )
        : null}
    </div>
  )
}
