// An idempotent producer reduced to what a durability proof needs, over KafkaTestClient: one
// producer id and epoch for its whole life, batches with consecutive sequence numbers, a few
// requests in flight (acks=all), and after a lost connection the unacknowledged batches resent
// byte for byte — same producer id, epoch and sequence — so the broker must answer the ones it
// already has with their original offsets (exactly once).
//
// It is the only writer of its partition, which starts empty: record n (sequence n) therefore
// belongs at offset n, and its value starts with `n:`. That makes every check a comparison with
// the index: an acknowledged batch must report baseOffset == baseSequence, and the partition read
// back must hold exactly the records 0..L-1, record i at offset i, with L at least the number of
// acknowledged records. Any other answer (an error code, a different offset) fails the run.

import assert from 'node:assert/strict'
import { InitProducerId } from '../../src/protocol/messages/index.ts'
import { encodeRecordBatchSync } from '../../src/protocol/records/RecordBatch.ts'
import type { KafkaTestClient } from '../helpers/KafkaTestClient.ts'
import { produce, type PartitionContents, type ProduceResult, randInt } from './durabilitySupport.ts'

/** Kafka's limit for an idempotent producer (the broker remembers the last five batches per producer). */
export const MAX_IN_FLIGHT = 5
/** Records per batch are drawn from [1, MAX_RECORDS_PER_BATCH]. */
export const MAX_RECORDS_PER_BATCH = 8
/** Filler per record value, drawn from [0, MAX_VALUE_FILLER] bytes: makes segments roll. */
export const MAX_VALUE_FILLER = 200

interface Batch {
  readonly baseSequence: number
  readonly count: number
  readonly bytes: Buffer
  /** Times sent (1 + retries after reconnects). */
  sends: number
}

export type SessionEnd = 'connection lost' | 'all acknowledged'

export interface SessionOptions {
  /** Whether to create new batches once every earlier one was sent; false drains what is left. */
  produceNew: () => boolean
  /** Called after each acknowledged batch, with the records acknowledged so far. */
  onAck?: (ackedRecords: number) => void
}

export class IdempotentVerifier {
  readonly topic: string
  readonly partition: number
  private readonly rand: () => number
  producerId = -1n
  producerEpoch = -1
  private readonly batches: Batch[] = []
  /** Index of the first batch without an acknowledgement; batches before it are all acknowledged. */
  private firstUnacked = 0
  /** Sequence of the next record to create. */
  nextSequence = 0
  /** Records acknowledged so far: sequences [0, ackedRecords). */
  ackedRecords = 0
  /** Batches resent after a reconnect. */
  retriedBatches = 0
  /** Retried batches the broker already had before the kill (found in the log before resending). */
  retriedBatchesAlreadyWritten = 0
  /** Records in the log, found after a restart, that had not been acknowledged when the broker died. */
  unackedRecordsSurvived = 0

  constructor (topic: string, partition: number, rand: () => number) {
    this.topic = topic
    this.partition = partition
    this.rand = rand
  }

  async initProducerId (client: KafkaTestClient): Promise<void> {
    const r = await client.request(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
    assert.equal(r.errorCode, 0, `InitProducerId: error ${r.errorCode}`)
    assert.ok(r.producerId >= 0n)
    this.producerId = r.producerId
    this.producerEpoch = r.producerEpoch
  }

  get unackedBatches (): number { return this.batches.length - this.firstUnacked }

  private newBatch (): Batch {
    const count = randInt(this.rand, 1, MAX_RECORDS_PER_BATCH)
    const baseSequence = this.nextSequence
    const records = []
    for (let i = 0; i < count; i++) {
      records.push({ value: `${baseSequence + i}:${'x'.repeat(randInt(this.rand, 0, MAX_VALUE_FILLER))}` })
    }
    this.nextSequence += count
    const bytes = encodeRecordBatchSync({ producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence, records })
    const b: Batch = { baseSequence, count, bytes, sends: 0 }
    this.batches.push(b)
    return b
  }

  /**
   * Produces over `client` until the connection is lost or, when options.produceNew() is false,
   * until every batch created so far is acknowledged. Starts by resending the unacknowledged
   * batches, oldest first. Responses come back in request order (one connection), so
   * acknowledgements always extend the acknowledged prefix.
   */
  async session (client: KafkaTestClient, options: SessionOptions): Promise<SessionEnd> {
    let sendIndex = this.firstUnacked
    const inFlight: Array<{ batch: Batch, response: Promise<ProduceResult> }> = []
    for (;;) {
      while (inFlight.length < MAX_IN_FLIGHT && !client.closed && (sendIndex < this.batches.length || options.produceNew())) {
        const batch = sendIndex < this.batches.length ? this.batches[sendIndex] as Batch : this.newBatch()
        sendIndex++
        if (batch.sends > 0) this.retriedBatches++
        batch.sends++
        const response = produce(client, this.topic, this.partition, batch.bytes, -1)
        response.catch(() => {}) // awaited below, in order; a lost connection rejects them all
        inFlight.push({ batch, response })
      }
      const head = inFlight.shift()
      if (head === undefined) return client.closed ? 'connection lost' : 'all acknowledged'
      let r: ProduceResult
      try {
        r = await head.response
      } catch (err) {
        if (client.closed) return 'connection lost'
        throw err
      }
      const b = head.batch
      assert.equal(b, this.batches[this.firstUnacked], 'acknowledgements out of order')
      assert.equal(r.errorCode, 0,
        `batch with sequences ${b.baseSequence}..${b.baseSequence + b.count - 1} (send #${b.sends}) got error ${r.errorCode}: ${r.errorMessage ?? ''}`)
      assert.equal(r.baseOffset, BigInt(b.baseSequence),
        `batch with sequences ${b.baseSequence}..${b.baseSequence + b.count - 1} (send #${b.sends}) acknowledged at offset ${r.baseOffset}, not ${b.baseSequence}` +
        (b.sends > 1 ? ' (a retry must be answered with the original offset)' : ''))
      this.firstUnacked++
      this.ackedRecords += b.count
      options.onAck?.(this.ackedRecords)
    }
  }

  /**
   * Checks a full read of the partition: exactly records 0..L-1, record i at offset i, from this
   * producer with sequence i, and every acknowledged record among them. Returns L. Call it
   * between sessions (after a restart, before resending) to count what survived unacknowledged.
   */
  check (contents: PartitionContents, when: string): number {
    const where = `${when}: `
    assert.equal(contents.logStartOffset, 0n, `${where}log start offset ${contents.logStartOffset}`)
    const rs = contents.records
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]
      assert.ok(r !== undefined)
      if (r.offset !== BigInt(i) || r.value === null || Number(r.value.slice(0, r.value.indexOf(':'))) !== i || r.sequence !== i ||
          r.producerId !== this.producerId || r.producerEpoch !== this.producerEpoch) {
        assert.fail(`${where}record #${i} of the log is offset ${r.offset}, value '${(r.value ?? 'null').slice(0, 20)}', producer ${r.producerId}/${r.producerEpoch} sequence ${r.sequence}; ` +
          `expected offset ${i}, value '${i}:…', producer ${this.producerId}/${this.producerEpoch} sequence ${i} ` +
          `(${rs.length} records read, ${this.ackedRecords} acknowledged)`)
      }
    }
    assert.equal(contents.highWatermark, BigInt(rs.length), `${where}high watermark ${contents.highWatermark} but ${rs.length} records read`)
    if (rs.length < this.ackedRecords) {
      assert.fail(`${where}LOST acknowledged records: the log ends at offset ${rs.length} but records 0..${this.ackedRecords - 1} were acknowledged ` +
        `(${this.ackedRecords - rs.length} lost, first lost sequence ${rs.length})`)
    }
    assert.ok(rs.length <= this.nextSequence, `${where}${rs.length} records in the log but only ${this.nextSequence} were ever sent`)
    return rs.length
  }

  /** After a restart: notes how many unacknowledged records the log already holds (they will be resent). */
  noteSurvivors (logEnd: number): void {
    const survived = logEnd - this.ackedRecords
    this.unackedRecordsSurvived += survived
    let seq = this.ackedRecords
    for (let i = this.firstUnacked; i < this.batches.length && seq < logEnd; i++) {
      const b = this.batches[i] as Batch
      seq += b.count
      this.retriedBatchesAlreadyWritten++
    }
  }
}
