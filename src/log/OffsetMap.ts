// The LogCleaner's key -> last offset map (Kafka's OffsetMap / SkimpyOffsetMap): for every key
// seen in the dirty section of a log, the offset of its latest record.
//
// Like Kafka's SkimpyOffsetMap it stores no keys, only a 16-byte MD5 digest of each key and an
// offset: 24 bytes a slot. Two keys with the same digest would share a slot (the older record of
// one could then be cleaned away by the other); with MD5 that is as unlikely as Kafka accepts.
//
// Layout: open addressing with double hashing over a prime number of slots. `digests` holds slot i's
// digest at [16i, 16i + 16); `offsets[i]` its offset, -1 for an empty slot (offsets are >= 0).
//
// Memory is bounded by `maxBytes` (log.cleaner.dedupe.buffer.size): the table starts small and
// doubles as keys arrive, never past maxBytes / BYTES_PER_ENTRY slots. The cleaner stops adding
// keys once `size` reaches `maxDesiredSize` (slots at the limit x DEDUPE_BUFFER_LOAD_FACTOR) and
// cleans up to where the map got; the next round continues from there.
//
// `latestOffset` is the last offset the map covers (Kafka's latestOffset): every record at or below
// it whose key is in the map was considered; records past it are kept by the cleaner untouched.

import { hash } from 'node:crypto'

/** Bytes of one entry: a 16-byte MD5 digest and an 8-byte offset (Kafka's SkimpyOffsetMap). */
export const BYTES_PER_ENTRY = 24
export const DIGEST_BYTES = 16
/**
 * How full the map may get before the cleaner stops adding keys: Kafka's
 * log.cleaner.io.buffer.load.factor default. Above it, probe chains grow quickly.
 */
export const DEDUPE_BUFFER_LOAD_FACTOR = 0.9
/** Slots the table starts with (about 100 KiB): a small compacted partition never grows it. */
export const INITIAL_OFFSET_MAP_SLOTS = 4093

/** What the cleaner needs from its map. */
export interface OffsetMap {
  /** Slots the map may use at most. */
  readonly slots: number
  /** Keys stored. */
  readonly size: number
  /** How many keys the cleaner may store before it must stop: slots x load factor. */
  readonly maxDesiredSize: number
  /** Last offset covered (-1 when nothing is). */
  readonly latestOffset: number
  /** Records `offset` as the latest for `key` (and as the latest offset seen). */
  put (key: Buffer, offset: number): void
  /** The latest offset recorded for `key`, or -1. */
  get (key: Buffer): number
  updateLatestOffset (offset: number): void
  clear (): void
  /** size / slots. */
  readonly utilization: number
}

export class SkimpyOffsetMap implements OffsetMap {
  /** Slots at the memory limit (a prime). */
  readonly slots: number
  readonly maxDesiredSize: number
  private capacity: number
  private digests: Buffer
  private offsets: Float64Array
  private entries = 0
  private lastOffset = -1

  /** `maxBytes`: log.cleaner.dedupe.buffer.size. Throws when it cannot hold even one key. */
  constructor (maxBytes: number) {
    const maxSlots = Math.floor(Math.min(maxBytes, Number.MAX_SAFE_INTEGER) / BYTES_PER_ENTRY)
    this.slots = maxSlots >= 2 ? largestPrimeAtMost(Math.min(maxSlots, 0x7fffffff)) : maxSlots
    this.maxDesiredSize = Math.floor(this.slots * DEDUPE_BUFFER_LOAD_FACTOR)
    if (this.maxDesiredSize < 1) {
      throw new RangeError(`log.cleaner.dedupe.buffer.size ${maxBytes} cannot hold one key (${BYTES_PER_ENTRY} bytes each at load factor ${DEDUPE_BUFFER_LOAD_FACTOR})`)
    }
    this.capacity = Math.min(this.slots, INITIAL_OFFSET_MAP_SLOTS)
    this.digests = Buffer.alloc(this.capacity * DIGEST_BYTES)
    this.offsets = new Float64Array(this.capacity).fill(-1)
  }

  get size (): number { return this.entries }
  get latestOffset (): number { return this.lastOffset }
  get utilization (): number { return this.entries / this.slots }
  /** Slots currently allocated (<= slots). */
  get allocatedSlots (): number { return this.capacity }

  put (key: Buffer, offset: number): void {
    const digest = hash('md5', key, 'buffer')
    if (this.entries + 1 > this.capacity * DEDUPE_BUFFER_LOAD_FACTOR && this.capacity < this.slots) this.grow()
    const slot = this.find(digest, this.digests, this.offsets, this.capacity)
    if (slot < 0) throw new RangeError('offset map is full') // only when the caller ignored maxDesiredSize
    if ((this.offsets[slot] as number) < 0) {
      digest.copy(this.digests, slot * DIGEST_BYTES)
      this.entries++
    }
    this.offsets[slot] = offset
    this.lastOffset = offset
  }

  get (key: Buffer): number {
    const slot = this.find(hash('md5', key, 'buffer'), this.digests, this.offsets, this.capacity)
    return slot < 0 ? -1 : this.offsets[slot] as number
  }

  updateLatestOffset (offset: number): void {
    this.lastOffset = offset
  }

  clear (): void {
    this.entries = 0
    this.lastOffset = -1
    // give back what a large round grew to
    if (this.capacity > INITIAL_OFFSET_MAP_SLOTS) {
      this.capacity = Math.min(this.slots, INITIAL_OFFSET_MAP_SLOTS)
      this.digests = Buffer.alloc(this.capacity * DIGEST_BYTES)
      this.offsets = new Float64Array(this.capacity)
    }
    this.offsets.fill(-1)
  }

  /**
   * The slot holding `digest`, else the empty slot where it would go; -1 if the table is full and
   * does not hold it. Double hashing: start and step come from different digest bytes, and the
   * step is below the (prime) capacity, so the probe visits every slot.
   */
  private find (digest: Buffer, digests: Buffer, offsets: Float64Array, capacity: number): number {
    let slot = digest.readUInt32BE(0) % capacity
    const step = capacity > 1 ? 1 + digest.readUInt32BE(4) % (capacity - 1) : 1
    for (let probes = 0; probes < capacity; probes++) {
      if ((offsets[slot] as number) < 0) return slot
      if (digests.compare(digest, 0, DIGEST_BYTES, slot * DIGEST_BYTES, slot * DIGEST_BYTES + DIGEST_BYTES) === 0) return slot
      slot += step
      if (slot >= capacity) slot -= capacity
    }
    return -1
  }

  /** Doubles the table (to a prime, at most `slots`) and re-inserts every digest. */
  private grow (): void {
    const capacity = this.capacity * 2 >= this.slots ? this.slots : largestPrimeAtMost(this.capacity * 2 + 1)
    const digests = Buffer.alloc(capacity * DIGEST_BYTES)
    const offsets = new Float64Array(capacity).fill(-1)
    for (let i = 0; i < this.capacity; i++) {
      const offset = this.offsets[i] as number
      if (offset < 0) continue
      const d = this.digests.subarray(i * DIGEST_BYTES, i * DIGEST_BYTES + DIGEST_BYTES)
      const slot = this.find(d, digests, offsets, capacity)
      d.copy(digests, slot * DIGEST_BYTES)
      offsets[slot] = offset
    }
    this.capacity = capacity
    this.digests = digests
    this.offsets = offsets
  }
}

/** The largest prime <= n (n >= 2). */
export function largestPrimeAtMost (n: number): number {
  for (let c = n; c > 2; c--) {
    if (c % 2 === 0) continue
    let prime = true
    for (let d = 3; d * d <= c; d += 2) {
      if (c % d === 0) {
        prime = false
        break
      }
    }
    if (prime) return c
  }
  return 2
}
