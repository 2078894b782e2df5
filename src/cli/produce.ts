// `samsa produce TOPIC [--key K | --key-separator S] [--header k=v]... [--partition P] [--compression C]`
// Sends each line of stdin as a record (src/tools/lineProducer.ts), as kafka-console-producer does.
// On a terminal (stderr) it shows progress for large inputs: a bar when stdin is a file of known
// size, a running count otherwise; nothing when stdin itself is the terminal.

import { fstatSync } from 'node:fs'
import { produceLines, type Compression } from '../tools/lineProducer.ts'
import { CONNECTION_OPTIONS, defineCommand, parseChoice, parseInteger, parsePairs, UsageError } from './args.ts'
import { runCommand } from './runCommand.ts'

/** Inputs smaller than this finish too fast for a progress display to help. */
const PROGRESS_MIN_BYTES = 1024 * 1024
const PROGRESS_REDRAW_MS = 100
const BAR_WIDTH = 30

const spec = defineCommand({
  name: 'produce',
  synopsis: 'TOPIC [options] < lines',
  summary: 'Sends each line of stdin as one record (kafka-console-producer).',
  details: `The line is the value (without its line ending). --key gives every record the same key;
--key-separator splits each line into key and value at its first occurrence (a line without it is
an error). The broker creates a missing topic if it creates topics on use (auto.create.topics.enable).`,
  positionals: { min: 0, max: 1 },
  options: {
    topic: { type: 'string', arg: 'TOPIC', help: 'the topic (or give it as the argument)' },
    key: { type: 'string', arg: 'K', help: 'the key of every record' },
    'key-separator': { type: 'string', arg: 'S', help: 'split each line into KEY S VALUE' },
    header: { type: 'string', arg: 'k=v', multiple: true, help: 'a header on every record (repeatable)' },
    partition: { type: 'string', arg: 'P', help: 'write to this partition (default: by key, or spread)' },
    compression: { type: 'string', arg: 'CODEC', help: 'none (default), gzip, snappy, lz4, zstd' },
    acks: { type: 'string', arg: 'ACKS', help: 'all (default), 1 or 0' },
    ...CONNECTION_OPTIONS,
  },
  examples: [
    'echo \'{"hello":"world"}\' | samsa produce events',
    'samsa produce sensors --key-separator : < readings.txt',
  ],
})

function progressDisplay (totalBytes: number | undefined): { update: (p: { records: number, bytes: number }) => void, done: () => void } {
  let last = 0
  let shown = false
  const draw = (p: { records: number, bytes: number }): void => {
    let line: string
    if (totalBytes !== undefined && totalBytes > 0) {
      const fraction = Math.min(1, p.bytes / totalBytes)
      const filled = Math.round(fraction * BAR_WIDTH)
      line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${p.records} records`
    } else {
      line = `${p.records} records, ${(p.bytes / 1024 / 1024).toFixed(1)} MiB`
    }
    process.stderr.write(`\r${line}\u001b[K`)
    shown = true
  }
  return {
    update: (p) => {
      const now = Date.now()
      if (now - last < PROGRESS_REDRAW_MS || (totalBytes !== undefined && totalBytes < PROGRESS_MIN_BYTES) || (totalBytes === undefined && p.bytes < PROGRESS_MIN_BYTES)) return
      last = now
      draw(p)
    },
    done: () => {
      if (shown) process.stderr.write('\r\u001b[K')
      shown = false
    },
  }
}

export async function run (argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values, positionals }, { signal, client, err }) => {
    const topic = positionals[0] ?? values.topic
    if (topic === undefined) throw new UsageError('missing argument: TOPIC')
    if (values.key !== undefined && values['key-separator'] !== undefined) throw new UsageError('give --key or --key-separator, not both')
    if (values['key-separator'] === '') throw new UsageError('--key-separator cannot be empty')
    const headers = parsePairs('header', values.header)
    const partition = parseInteger('partition', values.partition, { min: 0 })
    const compression = parseChoice<Compression>('compression', values.compression, ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
    const acksText = parseChoice('acks', values.acks, ['all', '-1', '1', '0'])
    const acks = acksText === undefined ? undefined : acksText === 'all' ? -1 : Number(acksText)

    // Progress only for a person watching stderr while the input comes from elsewhere.
    let totalBytes: number | undefined
    let showProgress = process.stderr.isTTY === true && process.stdin.isTTY !== true
    if (showProgress) {
      try {
        const stat = fstatSync(0)
        if (stat.isFile()) totalBytes = stat.size
      } catch {
        showProgress = false
      }
    }
    const progress = showProgress ? progressDisplay(totalBytes) : undefined
    const started = Date.now()
    try {
      const result = await produceLines({
        ...client,
        topic,
        input: process.stdin,
        ...(values.key !== undefined ? { key: values.key } : {}),
        ...(values['key-separator'] !== undefined ? { keySeparator: values['key-separator'] } : {}),
        headers,
        ...(partition !== undefined ? { partition } : {}),
        ...(compression !== undefined ? { compression } : {}),
        ...(acks !== undefined ? { acks } : {}),
        signal,
        ...(progress !== undefined ? { onProgress: progress.update } : {}),
      })
      if (process.stderr.isTTY === true) {
        progress?.done()
        const seconds = (Date.now() - started) / 1000
        process.stderr.write(err.dim(`${result.records} record${result.records === 1 ? '' : 's'} sent to ${topic} in ${seconds.toFixed(1)} s`) + '\n')
      }
    } finally {
      progress?.done()
    }
    return 0
  })
}
