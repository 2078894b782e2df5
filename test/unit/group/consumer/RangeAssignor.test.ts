// The range assignor: contiguous ranges per topic, the first members one extra; static members
// first by instance id; co-partitioned when members subscribe to the same equally sized topics.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RangeAssignor } from '../../../../src/group/consumer/RangeAssignor.ts'
import type { GroupSpec, MemberSubscriptionSpec } from '../../../../src/group/consumer/PartitionAssignor.ts'

const sizes = new Map([['a', 3], ['b', 3], ['c', 7]])
const numPartitions = (t: string): number => sizes.get(t) ?? -1

function spec (members: Record<string, { topics: string[], instanceId?: string }>): GroupSpec {
  const specs = new Map<string, MemberSubscriptionSpec>()
  for (const [id, m] of Object.entries(members)) specs.set(id, { instanceId: m.instanceId ?? null, rackId: null, subscribedTopicIds: new Set(m.topics), assignment: new Map() })
  return { members: specs, homogeneous: new Set(Object.values(members).map(m => m.topics.join())).size === 1 }
}

const plain = (a: ReturnType<typeof RangeAssignor.assign>): Record<string, Record<string, number[]>> =>
  Object.fromEntries([...a].map(([id, tp]) => [id, Object.fromEntries([...tp].map(([t, ps]) => [t, [...ps]]))]))

test('co-partitioned ranges for members of the same equally sized topics', () => {
  assert.deepEqual(plain(RangeAssignor.assign(spec({ m0: { topics: ['a', 'b'] }, m1: { topics: ['a', 'b'] } }), numPartitions)), {
    m0: { a: [0, 1], b: [0, 1] },
    m1: { a: [2], b: [2] },
  })
})

test('static members come first, by instance id; then member ids', () => {
  assert.deepEqual(plain(RangeAssignor.assign(spec({ x: { topics: ['c'] }, y: { topics: ['c'], instanceId: 'i2' }, z: { topics: ['c'], instanceId: 'i1' } }), numPartitions)), {
    z: { c: [0, 1, 2] },
    y: { c: [3, 4] },
    x: { c: [5, 6] },
  })
})

test('heterogeneous: each topic split among its subscribers only', () => {
  assert.deepEqual(plain(RangeAssignor.assign(spec({ m0: { topics: ['a'] }, m1: { topics: ['a', 'c'] }, m2: { topics: ['c'] } }), numPartitions)), {
    m0: { a: [0, 1] },
    m1: { a: [2], c: [0, 1, 2, 3] },
    m2: { c: [4, 5, 6] },
  })
})
