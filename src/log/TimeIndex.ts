// A segment's sparse map from timestamps to offsets.
//
// File `<20-digit baseOffset>.timeindex`: entries of 12 bytes, big-endian, no header, no checksum:
//   timestamp int64 (ms) | relativeOffset int32 (offset - segment baseOffset)
//
// An entry (t, o) says: the largest batch maxTimestamp seen up to and including offset o is t (o is
// the last offset of the batch that carried t). LogSegment adds one alongside each offset-index
// entry when the largest timestamp grew, and a final one when the segment becomes inactive, so the
// last entry of an inactive segment's index holds its largest timestamp.
//
// Invariants: timestamps strictly increase, offsets never decrease. One slot is kept free for the
// final entry: isFull is true at maxEntries - 1, and only the final append (skipFullCheck) may use
// the last slot. lookup(t) returns the entry with the largest timestamp <= t, or (-1, baseOffset).
// Storage and persistence: see AbstractIndex.

import assert from 'node:assert/strict'
import { AbstractIndex, CorruptIndexError } from './AbstractIndex.ts'
import { readInt64, writeInt64 } from './BatchHeader.ts'

export const TIME_INDEX_ENTRY_SIZE = 12

export interface TimestampOffset {
  timestamp: number
  offset: number
}

export class TimeIndex extends AbstractIndex {
  protected readonly entrySize = TIME_INDEX_ENTRY_SIZE

  constructor (path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, TIME_INDEX_ENTRY_SIZE)
  }

  private timestampAt = (slot: number): number => readInt64(this.buf, slot * TIME_INDEX_ENTRY_SIZE)
  private relativeOffsetAt (slot: number): number { return this.buf.readInt32BE(slot * TIME_INDEX_ENTRY_SIZE + 8) }

  override get isFull (): boolean { return this.entries >= this.maxEntries - 1 }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry (): TimestampOffset {
    if (this.entries === 0) return { timestamp: -1, offset: this.baseOffset }
    const slot = this.entries - 1
    return { timestamp: this.timestampAt(slot), offset: this.baseOffset + this.relativeOffsetAt(slot) }
  }

  entry (slot: number): TimestampOffset {
    assert.ok(slot >= 0 && slot < this.entries, `slot ${slot} outside ${this.entries} entries`)
    return { timestamp: this.timestampAt(slot), offset: this.baseOffset + this.relativeOffsetAt(slot) }
  }

  /**
   * Adds (timestamp, offset) if timestamp is above the last entry's. Returns whether it was added.
   * `skipFullCheck` lets the final entry of an inactive segment use the reserved slot.
   */
  maybeAppend (timestamp: number, offset: number, skipFullCheck = false): boolean {
    if (this.entries >= this.maxEntries || (!skipFullCheck && this.isFull)) return false
    const rel = offset - this.baseOffset
    assert.ok(rel >= 0 && rel <= 0x7fffffff, `offset ${offset} does not fit time index based at ${this.baseOffset}`)
    if (this.entries > 0) {
      const last = this.entries - 1
      assert.ok(rel >= this.relativeOffsetAt(last), `time index offset ${offset} below the last entry's in ${this.path}`)
      if (timestamp <= this.timestampAt(last)) return false
    }
    const at = this.slot()
    writeInt64(this.buf, at, timestamp)
    this.buf.writeInt32BE(rel, at + 8)
    this.entries++
    return true
  }

  /** The entry with the largest timestamp <= target, or (-1, baseOffset). */
  lookup (target: number): TimestampOffset {
    const slot = this.largestLowerBound(target, this.timestampAt)
    if (slot < 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestampAt(slot), offset: this.baseOffset + this.relativeOffsetAt(slot) }
  }

  /** Removes every entry whose offset is >= `offset`. */
  truncateTo (offset: number): void {
    const rel = offset - this.baseOffset
    let n = this.entries
    while (n > 0 && this.relativeOffsetAt(n - 1) >= rel) n--
    this.truncateToEntries(n)
  }

  sanityCheck (_logSize: number): void {
    let prevTs = Number.NEGATIVE_INFINITY
    let prevRel = 0
    for (let i = 0; i < this.entries; i++) {
      const ts = this.timestampAt(i)
      const rel = this.relativeOffsetAt(i)
      if (Number.isNaN(ts) || ts <= prevTs || rel < prevRel) {
        throw new CorruptIndexError(`${this.path}: entry ${i} (${ts}, ${rel}) does not follow (${prevTs}, ${prevRel})`)
      }
      prevTs = ts
      prevRel = rel
    }
  }
}
