// An in-memory __consumer_offsets for unit tests: records per partition, with switches to fail
// the next append or hold appends and loads until released.
import type { CoordinatorLog, LoadedEntry } from '../../../src/group/CoordinatorLog.ts'
import { KafkaError } from '../../../src/protocol/KafkaError.ts'
import { decodeCoordinatorRecord, type CoordinatorRecord, type SerializedRecord } from '../../../src/group/records.ts'

export class MemoryCoordinatorLog implements CoordinatorLog {
  readonly partitions = new Map<number, LoadedEntry[]>()
  /** Error code the next append fails with, once. */
  failNextAppend: number | null = null
  private gate: Promise<void> | null = null
  private openGate: (() => void) | null = null
  appends = 0

  /** Holds appends and loads until release(). */
  hold (): void {
    this.gate = new Promise(resolve => { this.openGate = resolve })
  }

  release (): void {
    this.openGate?.()
    this.gate = null
    this.openGate = null
  }

  async append (partition: number, records: readonly SerializedRecord[]): Promise<void> {
    if (this.gate !== null) await this.gate
    this.appends++
    if (this.failNextAppend !== null) {
      const code = this.failNextAppend
      this.failNextAppend = null
      throw new KafkaError(code)
    }
    let list = this.partitions.get(partition)
    if (list === undefined) this.partitions.set(partition, list = [])
    for (const r of records) list.push({ kind: 'record', key: r.key, value: r.value, producerId: -1n, offset: BigInt(list.length) })
  }

  /** Appends a record as a transactional producer would (for replay tests). */
  appendRaw (partition: number, entry: LoadedEntry): void {
    let list = this.partitions.get(partition)
    if (list === undefined) this.partitions.set(partition, list = [])
    list.push(entry)
  }

  async load (partition: number, visit: (entry: LoadedEntry) => boolean | void): Promise<void> {
    if (this.gate !== null) await this.gate
    for (const e of this.partitions.get(partition) ?? []) if (visit(e) === false) return
  }

  /** Every decoded record, in partition then offset order. */
  records (): CoordinatorRecord[] {
    const out: CoordinatorRecord[] = []
    for (const p of [...this.partitions.keys()].sort((a, b) => a - b)) {
      for (const e of this.partitions.get(p) ?? []) {
        if (e.kind !== 'record' || e.key === null) continue
        const r = decodeCoordinatorRecord(e.key, e.value)
        if (r !== null) out.push(r)
      }
    }
    return out
  }
}
