// `samsa sensor [--topic sensors] [--interval 10s] [--sensors N] [--count N]`
// The exercise's sensor (src/tools/sensor.ts). Prints each acknowledged reading: one JSON line
// when piped, a short coloured line on a terminal.

import { type Reading, runSensor } from '../tools/sensor.ts'
import { CONNECTION_OPTIONS, defineCommand, parseDuration, parseInteger } from './args.ts'
import { type Style, toJson, writeOut } from './output.ts'
import { runCommand } from './runCommand.ts'

const spec = defineCommand({
  name: 'sensor',
  synopsis: '[options]',
  summary: 'Sends simulated sensor readings, one per interval per sensor (the exercise\'s producer).',
  details: `Each reading is JSON, keyed by the sensor id, as examples/producer.py sends it:
  {"sensor_id":"sensor-1","seq":0,"timestamp":1712345678.123,"temperature":21.04,"humidity":44.1}
timestamp is seconds since the epoch; temperature and humidity drift slowly around each sensor's
own level. The broker creates the topic on first use if it creates topics on use.`,
  positionals: { min: 0, max: 0 },
  options: {
    topic: { type: 'string', arg: 'TOPIC', help: 'where readings go (default sensors)' },
    interval: { type: 'string', arg: 'DURATION', help: 'time between readings of a sensor: 500ms, 10s, 1m; a bare number is seconds (default 10s)' },
    sensors: { type: 'string', arg: 'N', help: 'how many sensors (default 1): sensor-1 ... sensor-N' },
    count: { type: 'string', arg: 'N', help: 'readings per sensor, then exit (default: until Ctrl-C)' },
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa sensor', 'samsa sensor --sensors 3 --interval 1s --count 10'],
})

function describeReading (r: Reading, style: Style): string {
  return `${style.bold(r.sensor_id)} ${style.dim(`#${r.seq}`)} ${style.yellow(`${r.temperature.toFixed(2)} °C`)} ${style.cyan(`${r.humidity.toFixed(1)} %`)} ${style.dim(new Date(r.timestamp * 1000).toISOString())}\n`
}

export async function run (argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values }, { signal, client, out }) => {
    const intervalMs = parseDuration('interval', values.interval) ?? 10_000
    const sensors = parseInteger('sensors', values.sensors, { min: 1, max: 10_000 }) ?? 1
    const count = parseInteger('count', values.count, { min: 1 })
    const pretty = process.stdout.isTTY === true
    await runSensor({
      ...client,
      topic: values.topic ?? 'sensors',
      intervalMs,
      sensors,
      ...(count !== undefined ? { count } : {}),
      signal,
      onReading: r => writeOut(pretty ? describeReading(r, out) : toJson(r) + '\n'),
    })
    return 0
  })
}
