// `samsa aggregate --input sensors --output sensors.stats --window 1m [--lateness 0s] [--group G]`
// The pipeline's aggregation stage (src/tools/aggregator.ts). Prints each emitted window: one
// JSON line when piped, a short line on a terminal.

import { type AggregatorResult, defaultAggregateGroup, runAggregator, windowValue } from '../tools/aggregator.ts'
import type { ClosedWindow } from '../tools/TumblingWindows.ts'
import { CONNECTION_OPTIONS, defineCommand, parseChoice, parseDuration, UsageError } from './args.ts'
import { type Style, toJson, writeOut } from './output.ts'
import { runCommand } from './runCommand.ts'

const spec = defineCommand({
  name: 'aggregate',
  synopsis: '--input TOPIC --output TOPIC --window DURATION [options]',
  summary: 'Per-sensor tumbling-window stats (count, min, max, mean) from a topic of readings to another topic.',
  details: `Readings are JSON objects; the sensor is their sensor_id (else the record key), the event
time their timestamp in seconds (else the record's). Every numeric field but seq and timestamp is
aggregated. A window is emitted once it closes: when the newest reading of its partition is past
its end by --lateness, or when its sensor sends a reading for a later window. Readings for closed
windows are dropped as late.

Output: key = sensor id, value =
  {"sensor_id":"sensor-1","window_start":1712345640,"window_end":1712345700,"count":6,
   "temperature":{"min":20.8,"max":21.3,"mean":21.05},"humidity":{...}}

Input offsets are committed (in the consumer group) only after the output is acknowledged, at the
first offset of the oldest window still open, so a restart rebuilds open windows from the input.
A window emitted after the last commit may be emitted twice, with the same stats (at-least-once).`,
  positionals: { min: 0, max: 0 },
  options: {
    input: { type: 'string', arg: 'TOPIC', help: 'readings to aggregate (default sensors)' },
    output: { type: 'string', arg: 'TOPIC', help: 'where window stats go (default <input>.stats; created if missing)' },
    window: { type: 'string', arg: 'DURATION', help: 'window size: 10s, 1m, 1h; a bare number is seconds (default 1m)' },
    lateness: { type: 'string', arg: 'DURATION', help: 'how long after a window\'s end it still accepts readings (default 0)' },
    group: { type: 'string', arg: 'G', help: 'consumer group holding the progress (default samsa-aggregate-<output>)' },
    field: { type: 'string', arg: 'NAME', multiple: true, help: 'aggregate only this reading field (repeatable; default: every numeric one)' },
    from: { type: 'string', arg: 'WHERE', help: 'where a new group starts: beginning (default) or end' },
    'exit-at-end': { type: 'boolean', short: 'e', help: 'exit once the input has been read to its end' },
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa aggregate --input sensors --output sensors.stats --window 1m'],
})

function describeWindow (w: ClosedWindow, style: Style): string {
  const stats = Object.entries(w.fields).map(([name, f]) => `${name} ${style.yellow(`${f.min}..${f.max}`)} mean ${style.yellow(String(f.mean))}`).join('  ')
  return `${style.bold(w.sensorId)} ${style.dim(`${new Date(w.startMs).toISOString()} +${(w.endMs - w.startMs) / 1000}s`)}  n=${w.count}  ${stats}\n`
}

export async function run (argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values }, { signal, client, out, err }) => {
    const input = values.input ?? 'sensors'
    const output = values.output ?? `${input}.stats`
    if (input === output) throw new UsageError('--input and --output must be different topics')
    const windowMs = parseDuration('window', values.window) ?? 60_000
    if (windowMs <= 0) throw new UsageError('--window must be positive')
    const latenessMs = parseDuration('lateness', values.lateness) ?? 0
    const from = parseChoice('from', values.from, ['beginning', 'end'] as const)
    const pretty = process.stdout.isTTY === true
    const group = values.group ?? defaultAggregateGroup(output)
    if (process.stderr.isTTY === true) process.stderr.write(err.dim(`aggregating ${input} -> ${output} in ${windowMs / 1000}s windows (group ${group})`) + '\n')
    const result: AggregatorResult = await runAggregator({
      ...client,
      input,
      output,
      windowMs,
      latenessMs,
      group,
      ...(values.field !== undefined ? { fields: values.field } : {}),
      ...(from !== undefined ? { from } : {}),
      exitAtEnd: values['exit-at-end'] === true,
      signal,
      onOutput: async (windows) => {
        for (const w of windows) await writeOut(pretty ? describeWindow(w, out) : toJson(windowValue(w)) + '\n')
      },
    })
    if (process.stderr.isTTY === true) process.stderr.write(err.dim(`${result.emitted} windows emitted, ${result.late} late readings dropped, ${result.invalid} records were not readings`) + '\n')
    return 0
  })
}
