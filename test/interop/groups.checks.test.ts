// The checks the group scenarios rely on (test/interop/groups/members.ts) catch what they are for:
// a partition held by two members at once, a record read by a member not holding its partition,
// a record nobody read. Made-up member logs, no broker.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  assertAllConsumed, assertExclusiveOwnership, assertRecordsWhileOwned, type MemberEvent, type MemberLog,
} from './groups/members.ts'

const log = (name: string, events: MemberEvent[], killedAt: number | null = null): MemberLog => ({ name, events, killedAt })
const assigned = (t: number, ...partitions: number[]): MemberEvent => ({ ev: 'assigned', partitions, t })
const revoked = (t: number, ...partitions: number[]): MemberEvent => ({ ev: 'revoked', partitions, t })
const record = (t: number, p: number, o: number): MemberEvent => ({ ev: 'record', p, o, v: `p${p}-${o}`, t })

test('a hand-over is exclusive; an overlap, a killed member\'s late successor and a steal are caught', () => {
  const a = log('A', [assigned(10, 0, 1), revoked(20.7, 1)])
  const b = log('B', [assigned(20, 1)]) // same millisecond as A's revocation: a hand-over
  assertExclusiveOwnership([a, b])
  assert.throws(() => assertExclusiveOwnership([a, log('B', [assigned(15, 1)])]), /partition 1 held by A .* and B .* at once/)
  assert.throws(() => assertExclusiveOwnership([log('A', [assigned(10, 0)]), log('B', [assigned(30, 0)])]), /partition 0 held by A/, 'A never gave 0 up')
  assertExclusiveOwnership([log('A', [assigned(10, 0)], 25), log('B', [assigned(30, 0)])])
  assert.throws(() => assertExclusiveOwnership([log('A', [assigned(10, 0)], 25), log('B', [assigned(24, 0)])]), /at once/, 'taken before A died')
})

test('records only while held, and every record read', () => {
  assertRecordsWhileOwned([log('A', [assigned(1, 0), record(2, 0, 0), revoked(3, 0)])])
  assert.throws(() => assertRecordsWhileOwned([log('A', [assigned(1, 0), revoked(3, 0), record(4, 0, 1)])]), /did not hold/)
  assert.throws(() => assertRecordsWhileOwned([log('A', [record(1, 2, 0)])]), /did not hold/)
  const members = [log('A', [record(1, 0, 0), record(1, 0, 1)]), log('B', [record(1, 1, 0)])]
  assertAllConsumed(members, [2, 1])
  assert.throws(() => assertAllConsumed(members, [3, 1]), /1 records never consumed/)
})
