import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ControlRecordType, decodeControlRecordKey, decodeEndTxnMarkerValue, encodeControlRecordKey, encodeEndTxnMarkerBatch, encodeEndTxnMarkerValue,
} from '../../../../src/protocol/records/ControlRecord.ts'
import { decodeRecordBatch, encodeRecordBatchSync, validateBatches } from '../../../../src/protocol/records/RecordBatch.ts'
import { RecordFormatError } from '../../../../src/protocol/records/RecordFormatError.ts'

test('control key and marker value layouts', () => {
  assert.equal(encodeControlRecordKey(ControlRecordType.COMMIT).toString('hex'), '00000001')
  assert.equal(encodeControlRecordKey(ControlRecordType.ABORT).toString('hex'), '00000000')
  assert.equal(encodeEndTxnMarkerValue(7).toString('hex'), '000000000007')
  assert.deepEqual(decodeControlRecordKey(Buffer.from('00000001', 'hex')), { version: 0, type: 1 })
  assert.deepEqual(decodeControlRecordKey(Buffer.from('0001000500ff', 'hex')), { version: 1, type: 5 }, 'newer versions: extra bytes ignored')
  assert.deepEqual(decodeEndTxnMarkerValue(Buffer.from('000000000007', 'hex')), { version: 0, coordinatorEpoch: 7 })
  assert.throws(() => decodeControlRecordKey(Buffer.from('0000', 'hex')), RecordFormatError)
  assert.throws(() => decodeControlRecordKey(null), RecordFormatError)
  assert.throws(() => decodeEndTxnMarkerValue(Buffer.from('00000000', 'hex')), RecordFormatError)
})

test('transaction marker batches: transactional + control, one record, producer fields, no sequence', async () => {
  for (const commit of [true, false]) {
    const buf = encodeEndTxnMarkerBatch({ baseOffset: 77n, partitionLeaderEpoch: 2, producerId: 4000n, producerEpoch: 5, coordinatorEpoch: 9, commit, timestamp: 1700000000000n })
    const v = validateBatches(buf)
    assert.equal(v.error, null)
    const info = v.batches[0]!
    assert.equal(info.isControl, true)
    assert.equal(info.isTransactional, true)
    assert.equal(info.attributes, 0x30)
    assert.equal(info.recordsCount, 1)
    assert.equal(info.lastOffset, 77n)
    assert.equal(info.producerId, 4000n)
    assert.equal(info.producerEpoch, 5)
    assert.equal(info.baseSequence, -1)
    assert.equal(info.partitionLeaderEpoch, 2)
    const batch = await decodeRecordBatch(buf)
    const rec = batch.records[0]!
    assert.deepEqual(decodeControlRecordKey(rec.key), { version: 0, type: commit ? 1 : 0 })
    assert.deepEqual(decodeEndTxnMarkerValue(rec.value), { version: 0, coordinatorEpoch: 9 })
    assert.equal(rec.timestamp, 1700000000000n)
    // clients may not produce control batches
    assert.equal(validateBatches(buf, { client: true }).error?.errorCode, 87)
  }
})

test('a control batch written by hand equals the marker encoder output', () => {
  const byHand = encodeRecordBatchSync({
    attributes: 0x30,
    producerId: 1n,
    producerEpoch: 0,
    records: [{ key: Buffer.from('00000001', 'hex'), value: Buffer.from('000000000003', 'hex'), timestamp: 10n }],
  })
  assert.deepEqual(encodeEndTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 3, commit: true, timestamp: 10n }), byHand)
})
