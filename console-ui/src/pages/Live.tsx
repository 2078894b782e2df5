// Live charts: messages/s and bytes/s per topic, and the sensor readings as they arrive.

import { useMemo } from 'preact/hooks'
import { Chart } from '../Chart.tsx'
import { bytes, rate } from '../format.ts'
import { useStats } from '../hooks.ts'
import { rateSeries, readingSeries } from '../series.ts'

export function Live () {
  const stats = useStats()
  const messages = useMemo(() => rateSeries(stats.rates, 'messagesPerSec'), [stats.rates])
  const byteRates = useMemo(() => rateSeries(stats.rates, 'bytesPerSec'), [stats.rates])
  const readings = useMemo(() => readingSeries(stats.readings), [stats.readings])
  return (
    <div class="page" id="page-live">
      <div class="title-row">
        <h2>Live</h2>
        <span class="spacer" />
        <span class={stats.connected ? 'pill on' : 'pill'} id="live-status">{stats.connected ? `● sampling every ${stats.intervalMs / 1000} s` : '○ connecting…'}</span>
      </div>
      <div class="charts">
        <Chart id="chart-messages" title="Messages per second, by topic" series={messages.series} data={messages.data} format={rate} />
        <Chart id="chart-bytes" title="Bytes per second, by topic" series={byteRates.series} data={byteRates.data} format={v => `${bytes(v)}/s`} />
      </div>
      <Chart id="chart-sensors" title={`Sensor readings (topic ${stats.sensorTopic})`} series={readings.series} data={readings.data} height={280} />
      {readings.series.length === 0
        ? <p class="muted">No readings yet. Start a sensor: <code>samsa sensor --bootstrap-server localhost:9092</code> (JSON values with numeric fields, e.g. temperature and humidity).</p>
        : null}
    </div>
  )
}
