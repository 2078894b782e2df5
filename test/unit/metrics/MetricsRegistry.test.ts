import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, MetricsRegistry } from '../../../src/metrics/MetricsRegistry.ts'
import { parsePrometheusText } from '../../helpers/prometheusText.ts'

test('counters, histograms and collected gauges render as Prometheus text that parses back', async () => {
  const r = new MetricsRegistry()
  const requests = r.counter('x_requests_total', 'Requests.\nSecond line with \\ backslash.', ['request'])
  requests.labels('Produce').inc()
  requests.labels('Produce').inc(2)
  requests.labels('Fe"tch\\\n').inc()
  const h = r.histogram('x_time_ms', 'Time.', [1, 10, 100], ['request'])
  const hp = h.labels('Produce')
  for (const v of [0.5, 1, 5, 50, 500, 1000]) hp.observe(v)
  r.collect(out => {
    out.family('x_size', 'gauge', 'Size.')
    out.sample('x_size', ['topic', 'partition'], ['a', '0'], 12)
    out.sample('x_size', ['topic', 'partition'], ['a', '1'], 0)
  })
  const text = await r.render()
  const p = parsePrometheusText(text)
  assert.equal(p.value('x_requests_total', { request: 'Produce' }), 3)
  assert.equal(p.value('x_requests_total', { request: 'Fe"tch\\\n' }), 1, 'label values escape quote, backslash and newline')
  assert.equal(p.families.get('x_requests_total')?.type, 'counter')
  assert.equal(p.families.get('x_requests_total')?.help, 'Requests.\\nSecond line with \\\\ backslash.')
  assert.deepEqual(p.find('x_time_ms_bucket', { request: 'Produce' }).map(s => [s.labels.le, s.value]), [['1', 2], ['10', 3], ['100', 4], ['+Inf', 6]])
  assert.equal(p.value('x_time_ms_count', { request: 'Produce' }), 6)
  assert.equal(p.value('x_time_ms_sum', { request: 'Produce' }), 1556.5)
  assert.equal(p.value('x_size', { topic: 'a', partition: '0' }), 12)
  assert.equal(p.families.get('x_size')?.type, 'gauge')
})

test('a family can forget a label combination', async () => {
  const r = new MetricsRegistry()
  const c = r.counter('y_total', 'Y.', ['topic'])
  c.labels('a').inc()
  c.labels('b').inc()
  c.remove('a')
  const p = parsePrometheusText(await r.render())
  assert.equal(p.value('y_total', { topic: 'a' }), undefined)
  assert.equal(p.value('y_total', { topic: 'b' }), 1)
})

test('bad names, non-_total counters and duplicate families are refused', () => {
  const r = new MetricsRegistry()
  assert.throws(() => r.counter('bad name_total', 'x'))
  assert.throws(() => r.counter('requests', 'x'), /_total/)
  assert.throws(() => r.counter('z_total', 'x', ['bad-label']))
  r.counter('z_total', 'x')
  assert.throws(() => r.counter('z_total', 'x'), /twice/)
  assert.throws(() => new Histogram([1, 1]), /ascend/)
})

test('the Prometheus reader used by the tests rejects what the format forbids', () => {
  assert.throws(() => parsePrometheusText('a 1'), /newline/)
  assert.throws(() => parsePrometheusText('a{l="x} 1\n'), /unterminated/)
  assert.throws(() => parsePrometheusText('a{l="\\x"} 1\n'), /escape/)
  assert.throws(() => parsePrometheusText('a 1\n# TYPE a gauge\n'), /TYPE after samples/)
  assert.throws(() => parsePrometheusText('a 1\nb 1\na{x="1"} 2\n'), /not together/)
  assert.throws(() => parsePrometheusText('a 1\na 2\n'), /repeated/)
  assert.throws(() => parsePrometheusText('a one\n'), /not a number/)
  assert.throws(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /cumulative/)
  assert.throws(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'), /_count/)
  assert.throws(() => parsePrometheusText('# TYPE c counter\nc_total -1\n# TYPE c_total counter\n'))
  assert.equal(parsePrometheusText('# a comment\n\nx{a="1",b="2"} +Inf 123\n').value('x', { a: '1', b: '2' }), Infinity)
})
