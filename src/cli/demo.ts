// `samsa demo`: the whole classic exercise in one command. An embedded broker, the sensor sending
// readings, the aggregator turning them into window stats, the web console, and, started late on
// purpose, the printer, which still receives every reading sent before it started (the log keeps
// them: time decoupling). Every line says which part printed it.
//
// With --count N the sensors send N readings each; the demo then ends once the printer has
// received all of them, checking that none is missing (exit 0) or saying which are (exit 1).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { startConsole } from '../console/server.ts'
import { createLogger, startBroker } from '../index.ts'
import { runAggregator } from '../tools/aggregator.ts'
import { runPrinter } from '../tools/printer.ts'
import { type Reading, runSensor } from '../tools/sensor.ts'
import { createTopic } from '../tools/topicAdmin.ts'
import { describeError } from '../tools/ToolError.ts'
import { defineCommand, parseCommand, parseDuration, parseInteger, UsageError } from './args.ts'
import { decodePayload, type Style, styleFor, writeOut } from './output.ts'
import { withAdmin } from './runCommand.ts'

const spec = defineCommand({
  name: 'demo',
  synopsis: '[options]',
  summary: 'Runs the whole exercise: a broker, sensors, the aggregator, the web console, and a printer started late that still gets every past reading.',
  details: `Topics: sensors (readings, one partition so the printer shows them in order) and
sensors.stats (window stats). The broker's data goes to a temporary directory removed on exit
unless --data-dir is given. Ctrl-C stops everything cleanly.`,
  positionals: { min: 0, max: 0 },
  options: {
    port: { type: 'string', arg: 'N', help: 'the broker\'s port (default 9092; 0 picks a free one)' },
    'data-dir': { type: 'string', arg: 'DIR', help: 'keep the broker\'s data here (default: a temporary directory)' },
    sensors: { type: 'string', arg: 'N', help: 'how many sensors (default 3)' },
    interval: { type: 'string', arg: 'DURATION', help: 'time between readings of a sensor (default 1s)' },
    window: { type: 'string', arg: 'DURATION', help: 'the aggregator\'s window (default 10s)' },
    'printer-delay': { type: 'string', arg: 'DURATION', help: 'start the printer this late (default 5s)' },
    count: { type: 'string', arg: 'N', help: 'readings per sensor; exit once the printer has them all' },
    'console-port': { type: 'string', arg: 'N', help: 'the web console\'s port (default 8080; 0 picks a free one)' },
    'no-console': { type: 'boolean', help: 'do not start the web console' },
  },
  examples: ['samsa demo', 'samsa demo --sensors 5 --interval 500ms --window 5s', 'samsa demo --port 0 --count 10'],
})

const SENSORS_TOPIC = 'sensors'
const STATS_TOPIC = 'sensors.stats'

function prefix (name: string, style: Style): string {
  const colour = name === 'sensor' ? style.yellow : name === 'printer' ? style.green : name === 'aggregate' ? style.magenta : style.cyan
  return colour(`[${name}]`.padEnd(12))
}

function readingLine (r: Reading): string {
  return `${r.sensor_id} #${r.seq} ${r.temperature.toFixed(2)} °C ${r.humidity.toFixed(1)} %`
}

export async function run (argv: string[]): Promise<number> {
  const err = styleFor(process.stderr)
  const out = styleFor(process.stdout)
  let port: number, sensors: number, intervalMs: number, windowMs: number, printerDelayMs: number, consolePort: number
  let count: number | undefined
  let dataDir: string | undefined
  let withConsole: boolean
  try {
    const args = parseCommand(spec, argv)
    if (args === undefined) return 0
    const v = args.values
    port = parseInteger('port', v.port, { min: 0, max: 65535 }) ?? 9092
    sensors = parseInteger('sensors', v.sensors, { min: 1, max: 1000 }) ?? 3
    intervalMs = parseDuration('interval', v.interval) ?? 1000
    windowMs = parseDuration('window', v.window) ?? 10_000
    printerDelayMs = parseDuration('printer-delay', v['printer-delay']) ?? 5000
    count = parseInteger('count', v.count, { min: 1 })
    consolePort = parseInteger('console-port', v['console-port'], { min: 0, max: 65535 }) ?? 8080
    dataDir = v['data-dir']
    withConsole = v['no-console'] !== true
    if (windowMs <= 0) throw new UsageError('--window must be positive')
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${err.red('samsa demo:')} ${error.message}\n(see \`samsa demo --help\`)\n`)
      return 2
    }
    throw error
  }

  const say = (part: string, text: string): Promise<void> => writeOut(`${prefix(part, out)}${text}\n`)
  const controller = new AbortController()
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const ownDir = dataDir === undefined
  const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'samsa-demo-'))
  const cleanups: Array<() => Promise<void>> = []
  try {
    let broker
    try {
      broker = await startBroker({
        config: { listeners: `PLAINTEXT://localhost:${port}`, 'log.dirs': dir, 'group.initial.rebalance.delay.ms': 0 },
        logger: createLogger({ level: 'warn' }),
      })
    } catch (error) {
      const e = error as NodeJS.ErrnoException
      if (e.code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use (is another broker running?); pick another with --port, or --port 0`)
      throw error
    }
    cleanups.push(() => broker.close())
    const bootstrap = `localhost:${broker.port}`
    const client = { bootstrapServers: [bootstrap] }
    await say('broker', `listening on ${bootstrap}, data in ${dir}${ownDir ? ' (removed on exit)' : ''}`)
    await withAdmin(client, async admin => {
      await createTopic(admin, { topic: SENSORS_TOPIC, partitions: 1, ifNotExists: true })
      await createTopic(admin, { topic: STATS_TOPIC, partitions: 1, ifNotExists: true })
    })

    if (withConsole) {
      try {
        const running = await startConsole({ bootstrapServers: bootstrap, port: consolePort })
        cleanups.push(() => running.close())
        await say('console', `open ${out.bold(running.url)}`)
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        const why = e.code === 'EADDRINUSE' ? `port ${consolePort} is in use; pick another with --console-port` : describeError(error)
        await say('console', `not started (${why}); start it with \`samsa console --bootstrap-server ${bootstrap}\``)
      }
    }

    const sent = new Map<string, number>()
    let sentTotal = 0
    const expected = count !== undefined ? count * sensors : undefined
    let firstSent: () => void = () => {}
    const firstSentPromise = new Promise<void>(resolve => { firstSent = resolve })
    const sensorTask = runSensor({
      ...client,
      topic: SENSORS_TOPIC,
      intervalMs,
      sensors,
      ...(count !== undefined ? { count } : {}),
      signal: controller.signal,
      onReading: async (r) => {
        sent.set(r.sensor_id, r.seq + 1)
        sentTotal++
        firstSent()
        await say('sensor', `sent ${readingLine(r)}`)
      },
    })
    sensorTask.catch(() => {})

    const aggregateStop = new AbortController()
    controller.signal.addEventListener('abort', () => aggregateStop.abort(), { once: true })
    const aggregateTask = runAggregator({
      ...client,
      input: SENSORS_TOPIC,
      output: STATS_TOPIC,
      windowMs,
      signal: aggregateStop.signal,
      onOutput: async (windows) => {
        for (const w of windows) {
          const t = w.fields.temperature
          await say('aggregate', `${w.sensorId} ${new Date(w.startMs).toISOString().slice(11, 19)}+${windowMs / 1000}s n=${w.count}` +
            (t !== undefined ? ` temperature min ${t.min} max ${t.max} mean ${t.mean}` : ''))
        }
      },
    })
    aggregateTask.catch(() => {})

    // The printer starts late, after some readings were sent, and reads from the beginning.
    await Promise.race([firstSentPromise, sensorTask])
    await delay(printerDelayMs, undefined, { signal: controller.signal }).catch(() => {})
    if (controller.signal.aborted) return 0
    const sentBeforePrinter = sentTotal
    await say('printer', `starting now, ${sentBeforePrinter} readings were sent before; reading from the beginning`)
    const received = new Map<string, number[]>()
    const printerStop = new AbortController()
    controller.signal.addEventListener('abort', () => printerStop.abort(), { once: true })
    // A sensor that fails ends the wait for readings that will never come.
    sensorTask.catch(() => printerStop.abort())
    const printed = await runPrinter({
      ...client,
      topic: SENSORS_TOPIC,
      from: { kind: 'beginning' },
      ...(expected !== undefined ? { maxMessages: expected } : {}),
      signal: printerStop.signal,
      onRecord: async (record) => {
        const { value } = decodePayload(record.value)
        const r = value as Reading
        if (typeof r === 'object' && r !== null && typeof r.sensor_id === 'string') {
          const seqs = received.get(r.sensor_id) ?? []
          seqs.push(r.seq)
          received.set(r.sensor_id, seqs)
          await say('printer', `@${record.offset} ${readingLine(r)}`)
        }
      },
    })
    const sensorResult = await sensorTask
    aggregateStop.abort()
    await aggregateTask.catch(() => {})
    if (expected === undefined) return 0
    // Every reading of every sensor, exactly once and in order (one partition).
    const missing: string[] = []
    for (const [id, n] of sent) {
      const seqs = received.get(id) ?? []
      const want = Array.from({ length: n }, (_, i) => i)
      if (seqs.join(',') !== want.join(',')) missing.push(`${id}: got seq [${seqs.join(',')}], sent 0..${n - 1}`)
    }
    if (printed.count !== sensorResult.sent || missing.length > 0) {
      await say('printer', err.red(`did not receive every reading: printed ${printed.count} of ${sensorResult.sent}; ${missing.join('; ')}`))
      return 1
    }
    await say('printer', out.green(`received all ${printed.count} readings, ${sentBeforePrinter} of them sent before it started`))
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${err.red('samsa demo:')} ${error.message}\n`)
      return 1
    }
    process.stderr.write(`${err.red('samsa demo:')} ${describeError(error)}\n`)
    if ((process.env.SAMSA_DEBUG ?? '') !== '') process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    return 1
  } finally {
    controller.abort()
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
    if (ownDir) await rm(dir, { recursive: true, force: true })
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
