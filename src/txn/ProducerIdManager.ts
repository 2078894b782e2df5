// Allocates producer ids for InitProducerId, never reusing one after a restart.
//
// Kafka's controller hands brokers blocks of PRODUCER_ID_BLOCK_SIZE ids and records each block in
// the metadata log (ProducerIdsRecord); a broker that restarts abandons the rest of its block and
// takes a new one. samsa does the same with one small file in the first log dir,
// `samsa-producer-ids.json` = {"version":1,"nextBlockStart":N}: before the first id of a block is
// handed out, the file is rewritten (temp file, fsync, rename) to say the block is taken. At most
// one block write is in flight; callers that need an id meanwhile wait for it.

import { existsSync, readFileSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'

export const PRODUCER_IDS_FILE = 'samsa-producer-ids.json'
/** Ids reserved per durable write (Kafka's ProducerIdsBlock size). */
export const PRODUCER_ID_BLOCK_SIZE = 1000
/** Producer ids stay below 2^53 so the log can keep them as JS numbers. */
const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER

interface Stored { version: 1, nextBlockStart: number }

export class ProducerIdManager {
  private readonly file: string
  /** Start of the next block not yet recorded as taken. */
  private nextBlockStart: number
  private next = 0
  private blockEnd = 0
  private reserving: Promise<void> | null = null

  /** Reads the file (start-up, so synchronously); a missing file starts at 0. */
  constructor (dir: string) {
    this.file = join(dir, PRODUCER_IDS_FILE)
    let start = 0
    if (existsSync(this.file)) {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Stored>
      if (stored.version !== 1 || !Number.isSafeInteger(stored.nextBlockStart) || (stored.nextBlockStart as number) < 0) {
        throw new Error(`${this.file}: not a valid producer id block file`)
      }
      start = stored.nextBlockStart as number
    }
    this.nextBlockStart = start
  }

  /** A producer id never handed out before, by this process or an earlier one on these dirs. */
  async generateProducerId (): Promise<number> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => { this.reserving = null })
      await this.reserving
    }
    return this.next++
  }

  private async reserveBlock (): Promise<void> {
    const start = this.nextBlockStart
    const end = start + PRODUCER_ID_BLOCK_SIZE
    if (end > MAX_PRODUCER_ID) throw new Error('producer ids exhausted')
    const stored: Stored = { version: 1, nextBlockStart: end }
    const tmp = `${this.file}.tmp`
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(JSON.stringify(stored) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.file)
    this.nextBlockStart = end
    this.next = start
    this.blockEnd = end
  }
}
