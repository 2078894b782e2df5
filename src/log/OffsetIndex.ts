// A segment's sparse map from offsets to positions in its .log file.
//
// File `<20-digit baseOffset>.index`: entries of 8 bytes, big-endian, no header, no checksum:
//   relativeOffset int32 (offset - segment baseOffset) | position int32 (byte position in .log)
//
// An entry (o, p) says: the batch that starts at position p has last offset o. LogSegment adds one
// for the first batch appended after more than index.interval.bytes since the previous entry, so
// a lookup lands at most about that many bytes before the batch it wants and scans forward.
//
// Invariants: relative offsets strictly increase, positions strictly increase, every position is
// below the segment's .log size, entries <= segment.index.bytes / 8. lookup(t) returns the entry
// with the largest offset <= t, or (baseOffset, 0) when there is none. Storage and persistence:
// see AbstractIndex.

import assert from 'node:assert/strict'
import { AbstractIndex, CorruptIndexError } from './AbstractIndex.ts'

export const OFFSET_INDEX_ENTRY_SIZE = 8

export interface OffsetPosition {
  offset: number
  position: number
}

export class OffsetIndex extends AbstractIndex {
  protected readonly entrySize = OFFSET_INDEX_ENTRY_SIZE

  constructor (path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, OFFSET_INDEX_ENTRY_SIZE)
  }

  private relativeOffsetAt = (slot: number): number => this.buf.readInt32BE(slot * OFFSET_INDEX_ENTRY_SIZE)
  private positionAt (slot: number): number { return this.buf.readInt32BE(slot * OFFSET_INDEX_ENTRY_SIZE + 4) }

  /** Offset of the last entry, or baseOffset when empty. */
  get lastOffset (): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsetAt(this.entries - 1)
  }

  /** The last entry, or (baseOffset, 0). */
  lastEntry (): OffsetPosition {
    if (this.entries === 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.lastOffset, position: this.positionAt(this.entries - 1) }
  }

  entry (slot: number): OffsetPosition {
    assert.ok(slot >= 0 && slot < this.entries, `slot ${slot} outside ${this.entries} entries`)
    return { offset: this.baseOffset + this.relativeOffsetAt(slot), position: this.positionAt(slot) }
  }

  /** Whether `offset` can be stored relative to this index's base offset. */
  canAppendOffset (offset: number): boolean {
    const rel = offset - this.baseOffset
    return rel >= 0 && rel <= 0x7fffffff
  }

  /**
   * Adds (offset, position). Returns false, adding nothing, when the index is full (the segment
   * rolls before its next append). Offsets and positions must increase: a violation is a bug.
   */
  append (offset: number, position: number): boolean {
    if (this.isFull) return false
    assert.ok(this.canAppendOffset(offset), `offset ${offset} does not fit index based at ${this.baseOffset}`)
    if (this.entries > 0) {
      assert.ok(offset > this.lastOffset, `index offset ${offset} not above last ${this.lastOffset} in ${this.path}`)
      assert.ok(position > this.positionAt(this.entries - 1), `index position ${position} not increasing in ${this.path}`)
    }
    const at = this.slot()
    this.buf.writeInt32BE(offset - this.baseOffset, at)
    this.buf.writeInt32BE(position, at + 4)
    this.entries++
    return true
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0). */
  lookup (target: number): OffsetPosition {
    const slot = this.largestLowerBound(target - this.baseOffset, this.relativeOffsetAt)
    if (slot < 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.baseOffset + this.relativeOffsetAt(slot), position: this.positionAt(slot) }
  }

  /** Removes every entry whose offset is >= `offset`. */
  truncateTo (offset: number): void {
    const slot = this.largestLowerBound(offset - this.baseOffset, this.relativeOffsetAt)
    if (slot < 0) this.truncateToEntries(0)
    else if (this.relativeOffsetAt(slot) === offset - this.baseOffset) this.truncateToEntries(slot)
    else this.truncateToEntries(slot + 1)
  }

  sanityCheck (logSize: number): void {
    let prevRel = -1
    let prevPos = -1
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relativeOffsetAt(i)
      const pos = this.positionAt(i)
      if (rel <= prevRel || pos <= prevPos) {
        throw new CorruptIndexError(`${this.path}: entry ${i} (${rel}, ${pos}) does not follow (${prevRel}, ${prevPos})`)
      }
      prevRel = rel
      prevPos = pos
    }
    if (prevPos >= logSize && this.entries > 0) {
      throw new CorruptIndexError(`${this.path}: last position ${prevPos} is not inside the ${logSize}-byte log`)
    }
  }
}
