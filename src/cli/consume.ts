// `samsa consume TOPIC [--group G] [--from beginning|end|OFFSET|-N|@TIME] [--exit-at-end] [-n N] [--format F]`
// The exercise's printer (src/tools/printer.ts): readable JSON on a terminal, one JSON line per
// record when piped.

import { parseStartPosition, runPrinter } from '../tools/printer.ts'
import { CONNECTION_OPTIONS, defineCommand, parseChoice, parseInteger, UsageError } from './args.ts'
import { formatRecord, isStdoutClosed, RECORD_FORMATS, type RecordFormat, writeOut } from './output.ts'
import { runCommand } from './runCommand.ts'

const spec = defineCommand({
  name: 'consume',
  synopsis: 'TOPIC [options]',
  summary: 'Prints the records of a topic (kafka-console-consumer).',
  details: `Without --group it reads every partition and commits nothing; with --group it reads the
partitions the group assigns it, from the group's committed offsets, and commits what it printed.
--format pretty (the default on a terminal) shows each record's position, time and key above its
value as indented JSON; json (the default when piped) prints one JSON object per line: topic,
partition, offset, timestamp (ms), key, value, headers. A key or value that is a JSON object or
array is embedded as JSON, other text as a string. value prints only the values, as written.`,
  positionals: { min: 0, max: 1 },
  options: {
    topic: { type: 'string', arg: 'TOPIC', help: 'the topic (or give it as the argument)' },
    group: { type: 'string', arg: 'G', help: 'consume in this consumer group and commit offsets' },
    from: { type: 'string', arg: 'WHERE', help: 'without a committed offset start at: beginning, end (default), an OFFSET, -N (the last N of each partition) or @TIME (ISO 8601 or ms)' },
    'from-beginning': { type: 'boolean', help: 'same as --from beginning' },
    partition: { type: 'string', arg: 'P', multiple: true, help: 'only this partition (repeatable; not with --group)' },
    'exit-at-end': { type: 'boolean', short: 'e', help: 'exit once every partition has been read to its end' },
    'max-messages': { type: 'string', short: 'n', arg: 'N', help: 'exit after N records' },
    format: { type: 'string', arg: 'FORMAT', help: `${RECORD_FORMATS.join(', ')} (default pretty on a terminal, json otherwise)` },
    ...CONNECTION_OPTIONS,
  },
  examples: [
    'samsa consume sensors --from beginning',
    'samsa consume sensors --group printers',
    'samsa consume sensors --from -5 --exit-at-end --format json | jq .value.temperature',
  ],
})

export async function run (argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values, positionals }, { signal, client, out, err }) => {
    const topic = positionals[0] ?? values.topic
    if (topic === undefined) throw new UsageError('missing argument: TOPIC')
    if (positionals[0] !== undefined && values.topic !== undefined && values.topic !== positionals[0]) throw new UsageError('give the topic once')
    if (values.from !== undefined && values['from-beginning'] === true) throw new UsageError('give --from or --from-beginning, not both')
    const from = values['from-beginning'] === true ? { kind: 'beginning' as const } : values.from !== undefined ? parseStart(values.from) : undefined
    const partitions = values.partition?.map(p => parseInteger('partition', p, { min: 0 }) as number)
    if (partitions !== undefined && values.group !== undefined) throw new UsageError('--partition cannot be used with --group (the group assigns partitions)')
    const maxMessages = parseInteger('max-messages', values['max-messages'], { min: 1 })
    const format: RecordFormat = parseChoice('format', values.format, RECORD_FORMATS) ?? (process.stdout.isTTY === true ? 'pretty' : 'json')
    const stop = new AbortController()
    signal.addEventListener('abort', () => stop.abort(), { once: true })
    const result = await runPrinter({
      ...client,
      topic,
      ...(values.group !== undefined ? { group: values.group } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(partitions !== undefined ? { partitions } : {}),
      exitAtEnd: values['exit-at-end'] === true,
      ...(maxMessages !== undefined ? { maxMessages } : {}),
      signal: stop.signal,
      onRecord: async (record) => {
        await writeOut(formatRecord(record, format, out))
        if (isStdoutClosed()) stop.abort()
      },
    })
    if (process.stderr.isTTY === true && !isStdoutClosed()) process.stderr.write(err.dim(`${result.count} record${result.count === 1 ? '' : 's'}`) + '\n')
    return 0
  })
}

function parseStart (text: string): ReturnType<typeof parseStartPosition> {
  try {
    return parseStartPosition(text)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
