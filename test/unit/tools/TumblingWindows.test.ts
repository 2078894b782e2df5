import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type ClosedWindow, MAX_CHECKPOINT_BYTES, parseCheckpoint, TumblingWindows } from '../../../src/tools/TumblingWindows.ts'

interface Input { sensor: string, timeMs: number, temperature: number }

/** Feeds inputs from offset `from` on; returns what closed, in order. */
function feed (w: TumblingWindows, inputs: readonly Input[], from = 0, to = inputs.length): ClosedWindow[] {
  const out: ClosedWindow[] = []
  for (let i = from; i < to; i++) {
    const r = inputs[i] as Input
    out.push(...w.add(BigInt(i), r.sensor, r.timeMs, { temperature: r.temperature }))
  }
  return out
}

function brief (ws: readonly ClosedWindow[]): string[] {
  return ws.map(w => `${w.sensorId}@${w.startMs} n=${w.count} ${w.fields.temperature?.min}..${w.fields.temperature?.max} ~${w.fields.temperature?.mean}`)
}

test('a window closes when the watermark passes its end, with count, min, max and mean', () => {
  const w = new TumblingWindows({ sizeMs: 10_000 })
  assert.deepEqual(feed(w, [
    { sensor: 'a', timeMs: 1_000, temperature: 20 },
    { sensor: 'a', timeMs: 5_000, temperature: 22.5 },
    { sensor: 'b', timeMs: 9_999, temperature: 30 },
  ]), [])
  assert.equal(w.openWindows, 2)
  // b's reading at 10 s moves the watermark to 10 s: both [0, 10 s) windows close.
  const closed = w.add(3n, 'b', 10_000, { temperature: 31 })
  assert.deepEqual(brief(closed), ['a@0 n=2 20..22.5 ~21.25', 'b@0 n=1 30..30 ~30'])
  assert.equal(closed[0]?.endMs, 10_000)
  assert.equal(w.openWindows, 1)
})

test('readings for a closed window are late and dropped', () => {
  const w = new TumblingWindows({ sizeMs: 10_000 })
  feed(w, [{ sensor: 'a', timeMs: 1_000, temperature: 20 }, { sensor: 'b', timeMs: 12_000, temperature: 20 }])
  assert.deepEqual(w.add(2n, 'c', 3_000, { temperature: 99 }), [])
  assert.equal(w.late, 1)
  assert.equal(w.openWindows, 1) // only b's [10 s, 20 s)
})

test('allowed lateness keeps a window open; a later reading of the same sensor closes it early', () => {
  const w = new TumblingWindows({ sizeMs: 10_000, latenessMs: 60_000 })
  assert.deepEqual(feed(w, [
    { sensor: 'a', timeMs: 1_000, temperature: 20 },
    { sensor: 'b', timeMs: 2_000, temperature: 25 },
    { sensor: 'b', timeMs: 15_000, temperature: 26 }, // b moved on: b's first window closes, a's stays
  ]).map(x => x.sensorId), ['b'])
  // a late reading of a (within the lateness) still counts
  assert.deepEqual(w.add(3n, 'a', 9_000, { temperature: 22 }), [])
  const closed = w.add(4n, 'a', 11_000, { temperature: 23 })
  assert.deepEqual(brief(closed), ['a@0 n=2 20..22 ~21'])
  // b's first window was emitted: a reading for it now is late even though the watermark allows it
  assert.deepEqual(w.add(5n, 'b', 3_000, { temperature: 0 }), [])
  assert.equal(w.late, 1)
  assert.deepEqual(w.checkpoint().early, { a: 10_000, b: 10_000 })
})

test('the offset to commit is the first offset of the oldest open window', () => {
  const w = new TumblingWindows({ sizeMs: 10_000 })
  feed(w, [
    { sensor: 'a', timeMs: 1_000, temperature: 1 },
    { sensor: 'b', timeMs: 2_000, temperature: 1 },
    { sensor: 'a', timeMs: 11_000, temperature: 1 }, // closes [0, 10 s) for both
    { sensor: 'b', timeMs: 12_000, temperature: 1 },
  ])
  assert.equal(w.commitOffset(4n), 2n)
  // at 25 s both [10 s, 20 s) windows close; a's [20 s, 30 s) window starts at offset 4
  assert.equal(w.add(4n, 'a', 25_000, { temperature: 1 }).length, 2)
  assert.equal(w.commitOffset(5n), 4n)
  const empty = new TumblingWindows({ sizeMs: 1000 })
  assert.equal(empty.commitOffset(7n), 7n)
})

test('the checkpoint round-trips through commit metadata and ignores foreign metadata', () => {
  const w = new TumblingWindows({ sizeMs: 10_000, latenessMs: 30_000 })
  feed(w, [{ sensor: 'x', timeMs: 1_000, temperature: 1 }, { sensor: 'x', timeMs: 45_000, temperature: 2 }])
  const metadata = w.checkpointMetadata()
  assert.ok(metadata.length <= MAX_CHECKPOINT_BYTES)
  assert.deepEqual(parseCheckpoint(metadata), { closedMs: 15_000, maxEventTimeMs: 45_000, early: {} })
  assert.equal(parseCheckpoint(''), undefined)
  assert.equal(parseCheckpoint(null), undefined)
  assert.equal(parseCheckpoint('not json'), undefined)
  assert.equal(parseCheckpoint('{"v":2}'), undefined)
})

test('early closes stop when the checkpoint would outgrow offset metadata; those windows wait for the watermark', () => {
  const w = new TumblingWindows({ sizeMs: 1000, latenessMs: 1_000_000 })
  const sensors = Array.from({ length: 200 }, (_, i) => `sensor-with-a-rather-long-name-${i}`)
  for (const [i, s] of sensors.entries()) w.add(BigInt(i), s, 100, { t: 1 })
  let early = 0
  for (const [i, s] of sensors.entries()) early += w.add(BigInt(200 + i), s, 1500, { t: 1 }).length
  assert.ok(early > 0 && early < sensors.length, `closed early: ${early}`)
  assert.ok(w.checkpointMetadata().length <= MAX_CHECKPOINT_BYTES)
  assert.equal(w.openWindows, sensors.length + (sensors.length - early))
})

// The restart property: stopping after any reading, committing (commitOffset + checkpoint), and
// starting a new instance from the checkpoint at the committed offset emits exactly the windows a
// run without the restart emits: none lost, none twice, same stats.
test('a restart from any commit point emits exactly what an uninterrupted run emits', () => {
  const reading = fc.record({
    sensor: fc.constantFrom('a', 'b', 'c'),
    // mostly forward in time, sometimes a little back (other sensors' readings interleave)
    step: fc.integer({ min: -3_000, max: 6_000 }),
    temperature: fc.integer({ min: -100, max: 400 }).map(n => n / 4),
  })
  fc.assert(fc.property(
    fc.array(reading, { minLength: 1, maxLength: 120 }),
    fc.nat(),
    fc.constantFrom(0, 2_000, 15_000),
    fc.constantFrom(5_000, 10_000),
    (raw, cut, latenessMs, sizeMs) => {
      let t = 1_000_000
      const inputs: Input[] = raw.map(r => { t = Math.max(0, t + r.step); return { sensor: r.sensor, timeMs: t, temperature: r.temperature } })
      const whole = feed(new TumblingWindows({ sizeMs, latenessMs }), inputs)
      const k = cut % (inputs.length + 1)
      const first = new TumblingWindows({ sizeMs, latenessMs })
      const before = feed(first, inputs, 0, k)
      const committed = Number(first.commitOffset(BigInt(k)))
      const checkpoint = parseCheckpoint(first.checkpointMetadata())
      const second = new TumblingWindows({ sizeMs, latenessMs, ...(checkpoint !== undefined ? { checkpoint } : {}) })
      const after = feed(second, inputs, committed)
      assert.deepEqual(brief([...before, ...after]), brief(whole))
    },
  ), { numRuns: 400 })
})
