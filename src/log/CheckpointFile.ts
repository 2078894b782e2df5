// Kafka's offset checkpoint files, one per log dir: `recovery-point-offset-checkpoint` and
// `log-start-offset-checkpoint` (and LogCleaner's `cleaner-offset-checkpoint`). Text, one item per line:
//
//   0                      version
//   2                      number of entries
//   orders 0 1234          topic, partition, offset separated by single spaces
//   orders 1 99
//
// Written atomically: the content goes to `<name>.tmp`, is fsynced, renamed over the file, and the
// directory is fsynced, so a crash leaves either the old or the new checkpoint, never a mix.
// A missing file reads as empty. A malformed one is reported (CheckpointFormatError): the caller
// falls back to the safe values (recover everything, start offsets from the segments).

import { open, readFile, rename } from 'node:fs/promises'
import { basename, dirname } from 'node:path'

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint'
export const CHECKPOINT_VERSION = 0

export interface TopicPartitionOffset {
  topic: string
  partition: number
  offset: number
}

export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError'
}

export class CheckpointFile {
  readonly path: string

  constructor (path: string) {
    this.path = path
  }

  async write (entries: readonly TopicPartitionOffset[]): Promise<void> {
    let text = `${CHECKPOINT_VERSION}\n${entries.length}\n`
    for (const e of entries) text += `${e.topic} ${e.partition} ${e.offset}\n`
    const tmp = this.path + '.tmp'
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.path)
    await fsyncDir(dirname(this.path))
  }

  /** The entries, [] when the file does not exist; throws CheckpointFormatError when malformed. */
  async read (): Promise<TopicPartitionOffset[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return parseCheckpoint(text, basename(this.path))
  }
}

export function parseCheckpoint (text: string, what = 'checkpoint'): TopicPartitionOffset[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const bad = (why: string): never => { throw new CheckpointFormatError(`${what}: ${why}`) }
  if (lines[0] !== String(CHECKPOINT_VERSION)) bad(`unsupported version line '${lines[0] ?? ''}'`)
  const count = /^\d+$/.test(lines[1] ?? '') ? Number(lines[1]) : bad(`bad count line '${lines[1] ?? ''}'`)
  if (lines.length - 2 !== count) bad(`expected ${count} entries, found ${lines.length - 2}`)
  const out: TopicPartitionOffset[] = []
  for (let i = 2; i < lines.length; i++) {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(lines[i] as string)
    if (m === null) bad(`malformed line ${i + 1}: '${lines[i] ?? ''}'`)
    const [, topic, partition, offset] = m as RegExpExecArray
    const p = Number(partition)
    const o = Number(offset)
    if (!Number.isSafeInteger(p) || p > 0x7fffffff || !Number.isSafeInteger(o)) bad(`numbers out of range on line ${i + 1}`)
    out.push({ topic: topic as string, partition: p, offset: o })
  }
  return out
}

/** fsyncs a directory so a rename in it is durable (a no-op where directories cannot be opened). */
export async function fsyncDir (dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err
  } finally {
    await fh?.close()
  }
}
