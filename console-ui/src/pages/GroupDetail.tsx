// One consumer group: members with their assignments, lag per partition, and lag over time.

import { useMemo } from 'preact/hooks'
import { enc, get, type GroupDetail as Detail } from '../api.ts'
import { Chart } from '../Chart.tsx'
import { count } from '../format.ts'
import { href, useAsync, useStats } from '../hooks.ts'
import { lagSeries } from '../series.ts'

export function GroupDetail ({ id }: { id: string }) {
  const group = useAsync(() => get<Detail>(`/api/groups/${enc(id)}`), [id], 3000)
  const stats = useStats()
  const lag = useMemo(() => lagSeries(stats.lag, id), [stats.lag, id])
  const g = group.data
  return (
    <div class="page" id="page-group">
      <p class="crumbs"><a href={href('groups')}>Consumer groups</a> / {id}</p>
      <h2>{id}</h2>
      {group.error !== undefined ? <p class="error">{group.error}</p> : null}
      {g !== undefined
        ? (
          <>
            <p class="muted"><span class={`state state-${g.state.toLowerCase()}`}>{g.state}</span> · {g.members.length} members · protocol {g.protocol || '–'} · total lag <strong id="group-lag">{count(g.lag)}</strong></p>
            <section class="card">
              <h3>Partitions</h3>
              <table class="grid" id="group-partitions">
                <thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Committed</th><th class="num">End offset</th><th class="num">Lag</th><th>Member</th></tr></thead>
                <tbody>
                  {g.partitions.map(p => (
                    <tr key={`${p.topic}:${p.partition}`}>
                      <td><a href={href('topics', p.topic)}>{p.topic}</a></td>
                      <td class="num">{p.partition}</td>
                      <td class="num">{count(p.committedOffset)}</td>
                      <td class="num">{count(p.highWatermark)}</td>
                      <td class={p.lag > 0 ? 'num lagging' : 'num'}>{count(p.lag)}</td>
                      <td>{p.clientId !== null ? `${p.clientId} (${p.host ?? ''})` : <span class="muted">unassigned</span>}</td>
                    </tr>
                  ))}
                  {g.partitions.length === 0 ? <tr><td colSpan={6} class="empty">No committed offsets.</td></tr> : null}
                </tbody>
              </table>
            </section>
            <section class="card">
              <h3>Members</h3>
              <table class="grid" id="group-members">
                <thead><tr><th>Client</th><th>Host</th><th>Assigned</th></tr></thead>
                <tbody>
                  {g.members.map(m => (
                    <tr key={m.memberId} title={m.memberId}>
                      <td>{m.clientId}</td>
                      <td>{m.host}</td>
                      <td>{m.assignments.map(a => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') || '–'}</td>
                    </tr>
                  ))}
                  {g.members.length === 0 ? <tr><td colSpan={3} class="empty">No members (the group is empty).</td></tr> : null}
                </tbody>
              </table>
            </section>
          </>
          )
        : null}
      <Chart id="chart-group-lag" title="Lag over time" series={lag.series} data={lag.data} format={count} />
    </div>
  )
}
