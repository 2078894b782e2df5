// kill -9 while a compacted topic is written and cleaned: a `samsa broker` child process with
// small segments and a cleaner that never sleeps long (so kills land in the middle of cleanings
// and swaps) is killed at random moments and restarted on its data dir. After every restart:
// - every record read at an acknowledged offset holds the value acknowledged there (offsets never
//   move and nothing is made up);
// - the latest acknowledged value of every key is still in the log (a record of that key at its
//   offset or later: compaction never drops the latest);
// At the end a clean stop leaves no `.cleaned` or `.swap` file, and the last record of every key is
// the last one acknowledged (or a later one whose produce a kill cut short).
// The seed is printed; SAMSA_DURABILITY_SEED replays a failing run.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { type BrokerProcess, startBrokerProcess } from '../../helpers/brokerProcess.ts'
import { chooseSeed, createTopic, eventually, prng, produce, randInt, readPartition } from '../../durability/durabilitySupport.ts'

const TOPIC = 'compacted'
const KEYS = Array.from({ length: 8 }, (_, i) => `key-${i}`)
const CYCLES = 5
/** Each kill comes this many ms after the cycle's first produce (drawn uniformly). */
const KILL_AFTER_MS: readonly [number, number] = [150, 700]

function connect (broker: BrokerProcess): Promise<KafkaTestClient> {
  return KafkaTestClient.connect(broker.host, broker.port, { clientId: 'compaction-kill9' })
}

test('kill -9 during compaction: acknowledged offsets keep their values, the latest value of each key survives, no swap is left half done', async t => {
  const seed = chooseSeed()
  t.diagnostic(`seed ${seed} (replay with SAMSA_DURABILITY_SEED=${seed})`)
  const rand = prng(seed)
  const broker = await startBrokerProcess(t, {
    overrides: { 'log.segment.bytes': 2048, 'log.cleaner.backoff.ms': 1, 'log.cleaner.min.cleanable.ratio': 0.01, 'log.segment.delete.delay.ms': 50 },
  })
  let client = await connect(broker)
  t.after(() => client.close())
  await createTopic(client, TOPIC, { 'cleanup.policy': 'compact' })

  const ackedAt = new Map<bigint, string>()
  const latestAcked = new Map<string, bigint>()
  /** Values whose produce was cut by a kill, per key. */
  const inFlightAtKill = new Map<string, string[]>()
  let written = 0
  let swapsCompleted = 0
  let cleanings = 0
  let killsMidCleaning = 0
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const c = client
    const killAfter = randInt(rand, ...KILL_AFTER_MS)
    const killing = new Promise<void>(resolve => setTimeout(resolve, killAfter)).then(() => broker.kill9())
    for (;;) {
      const key = KEYS[randInt(rand, 0, KEYS.length - 1)] as string
      const value = `${key}@${cycle}.${written}`
      let r
      try {
        r = await produce(c, TOPIC, 0, encodeRecordBatchSync({ records: [{ key, value }] }))
      } catch {
        inFlightAtKill.set(key, [...inFlightAtKill.get(key) ?? [], value]) // it may or may not have been written
        break // the broker is gone
      }
      written++
      assert.equal(r.errorCode, 0)
      ackedAt.set(r.baseOffset, value)
      latestAcked.set(key, r.baseOffset)
    }
    await killing
    cleanings += broker.logLines().filter(l => l.msg === 'cleaned log').length
    const partDir = join(broker.dataDir, `${TOPIC}-0`)
    if ((await readdir(partDir)).some(n => n.endsWith('.cleaned') || n.endsWith('.swap'))) killsMidCleaning++
    await client.close()
    await broker.restart()
    swapsCompleted += broker.logLines().filter(l => l.msg === 'completed an interrupted compaction swap').length
    client = await connect(broker)

    const when = `seed ${seed}, after kill ${cycle} (${killAfter} ms into the cycle)`
    const { records } = await readPartition(client, TOPIC, 0, 0n)
    const lastOffsetOfKey = new Map<string, bigint>()
    let previous = -1n
    for (const r of records) {
      assert.ok(r.offset > previous, `${when}: offsets ascend`)
      previous = r.offset
      const acked = ackedAt.get(r.offset)
      if (acked !== undefined) assert.equal(r.value, acked, `${when}: the record at ${r.offset}`)
      if (r.key !== null) lastOffsetOfKey.set(r.key, r.offset)
    }
    for (const [key, offset] of latestAcked) {
      const last = lastOffsetOfKey.get(key)
      assert.ok(last !== undefined && last >= offset, `${when}: ${key} acknowledged at ${offset}, last in the log at ${String(last)}`)
    }
  }

  // left alone, the broker compacts everything but its active segment; a clean stop leaves no
  // cleaning half done (a running one is abandoned, its .cleaned files deleted)
  await eventually('the log is compacted to a few records', async () => (await readPartition(client, TOPIC, 0, 0n)).records.length < written / 4)
  await client.close()
  const exit = await broker.stop()
  assert.equal(exit.code, 0, broker.logTail())
  assert.deepEqual((await readdir(join(broker.dataDir, `${TOPIC}-0`))).filter(n => n.endsWith('.cleaned') || n.endsWith('.swap')), [])
  await broker.restart()
  client = await connect(broker)
  const final = await readPartition(client, TOPIC, 0, 0n)
  for (const [key, offset] of latestAcked) {
    const r = final.records.findLast(x => x.key === key)
    assert.ok(r !== undefined, `${key} after a clean restart`)
    if (r.offset === offset) assert.equal(r.value, ackedAt.get(offset))
    else assert.ok(r.offset > offset && inFlightAtKill.get(key)?.includes(r.value ?? '') === true, `${key}: last record ${r.offset} ${String(r.value)}, acknowledged ${offset}`)
  }
  t.diagnostic(`${CYCLES} kills (${killsMidCleaning} left .cleaned/.swap files), ${written} records acknowledged, ` +
    `${cleanings} cleanings logged before the kills, ${swapsCompleted} interrupted swaps completed at restart`)
})
