// Consumer groups: state, members and total lag, with the lag of every group over time.

import { useMemo } from 'preact/hooks'
import { get, type GroupSummary } from '../api.ts'
import { Chart } from '../Chart.tsx'
import { count } from '../format.ts'
import { href, useAsync, useStats } from '../hooks.ts'
import { lagSeries } from '../series.ts'

export function Groups () {
  const groups = useAsync(() => get<GroupSummary[]>('/api/groups'), [], 5000)
  const stats = useStats()
  const lag = useMemo(() => lagSeries(stats.lag), [stats.lag])
  const list = groups.data ?? []
  return (
    <div class="page" id="page-groups">
      <h2>Consumer groups</h2>
      {groups.error !== undefined ? <p class="error">{groups.error}</p> : null}
      <section class="card">
        <table class="grid" id="groups-table">
          <thead><tr><th>Group</th><th>State</th><th>Protocol</th><th class="num">Members</th><th class="num">Lag</th></tr></thead>
          <tbody>
            {list.map(g => (
              <tr key={g.groupId} data-group={g.groupId}>
                <td><a href={href('groups', g.groupId)}>{g.groupId}</a></td>
                <td><span class={`state state-${g.state.toLowerCase()}`}>{g.state}</span></td>
                <td>{g.protocolType}</td>
                <td class="num">{g.members}</td>
                <td class="num">{count(g.lag)}</td>
              </tr>
            ))}
            {list.length === 0 && !groups.loading ? <tr><td colSpan={5} class="empty">No consumer groups.</td></tr> : null}
          </tbody>
        </table>
      </section>
      <Chart id="chart-lag" title="Lag per group (messages behind)" series={lag.series} data={lag.data} format={count} />
    </div>
  )
}
