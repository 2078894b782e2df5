// The uniform assignor: every partition of the subscribed topics goes to exactly one subscribed
// member; sizes differ by at most one where subscriptions allow; members keep what they had when
// balance permits; the same input gives the same output. Property-checked with fast-check.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { UniformAssignor } from '../../../../src/group/consumer/UniformAssignor.ts'
import type { GroupAssignment, GroupSpec, MemberSubscriptionSpec } from '../../../../src/group/consumer/PartitionAssignor.ts'
import type { TopicPartitions } from '../../../../src/group/consumer/Assignment.ts'

const sizes = new Map([['t1', 6], ['t2', 3], ['t3', 1]])
const numPartitions = (t: string): number => sizes.get(t) ?? -1

function spec (members: Record<string, { topics: string[], assignment?: Record<string, number[]> }>): GroupSpec {
  const specs = new Map<string, MemberSubscriptionSpec>()
  for (const [id, m] of Object.entries(members)) {
    const assignment = new Map(Object.entries(m.assignment ?? {}).map(([t, ps]) => [t, new Set(ps)]))
    specs.set(id, { instanceId: null, rackId: null, subscribedTopicIds: new Set(m.topics), assignment })
  }
  const sets = [...specs.values()].map(s => [...s.subscribedTopicIds].sort().join(','))
  return { members: specs, homogeneous: new Set(sets).size <= 1 }
}

const count = (a: TopicPartitions | undefined): number => [...(a ?? new Map()).values()].reduce((n, ps) => n + ps.size, 0)
const plain = (a: GroupAssignment): Record<string, Record<string, number[]>> =>
  Object.fromEntries([...a].map(([id, tp]) => [id, Object.fromEntries([...tp].filter(([, ps]) => ps.size > 0).map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]))]))

/** Every partition of every subscribed topic owned exactly once, by a member subscribed to it. */
function assertValid (s: GroupSpec, a: GroupAssignment): void {
  const owners = new Map<string, string>()
  for (const [id, tp] of a) {
    for (const [topic, ps] of tp) {
      assert.ok(s.members.get(id)?.subscribedTopicIds.has(topic), `${id} got ${topic} without subscribing`)
      for (const p of ps) {
        assert.ok(p >= 0 && p < numPartitions(topic), `${topic}-${p} does not exist`)
        assert.ok(!owners.has(`${topic}-${p}`), `${topic}-${p} assigned twice`)
        owners.set(`${topic}-${p}`, id)
      }
    }
  }
  const subscribed = new Set([...s.members.values()].flatMap(m => [...m.subscribedTopicIds]))
  for (const t of subscribed) for (let p = 0; p < numPartitions(t); p++) assert.ok(owners.has(`${t}-${p}`), `${t}-${p} unassigned`)
}

test('homogeneous: balanced, and sticky where balance allows', () => {
  const first = UniformAssignor.assign(spec({ a: { topics: ['t1', 't2'] }, b: { topics: ['t1', 't2'] } }), numPartitions)
  assert.deepEqual([count(first.get('a')), count(first.get('b'))], [5, 4])
  // c joins: a and b keep as much as their quota (3 each) allows; c gets the rest.
  const s2 = spec({
    a: { topics: ['t1', 't2'], assignment: plain(first).a },
    b: { topics: ['t1', 't2'], assignment: plain(first).b },
    c: { topics: ['t1', 't2'] },
  })
  const second = UniformAssignor.assign(s2, numPartitions)
  assertValid(s2, second)
  assert.deepEqual([count(second.get('a')), count(second.get('b')), count(second.get('c'))], [3, 3, 3])
  for (const id of ['a', 'b']) {
    for (const [t, ps] of second.get(id) ?? []) for (const p of ps) assert.ok(plain(first)[id]?.[t]?.includes(p), `${id} kept only partitions it had`)
  }
  assert.deepEqual(plain(UniformAssignor.assign(s2, numPartitions)), plain(second), 'deterministic')
})

test('heterogeneous: each member only gets its topics; balanced where possible', () => {
  const s = spec({ a: { topics: ['t1'] }, b: { topics: ['t1', 't2'] }, c: { topics: ['t2', 't3'] } })
  const a = UniformAssignor.assign(s, numPartitions)
  assertValid(s, a)
  const n = ['a', 'b', 'c'].map(id => count(a.get(id)))
  assert.ok(Math.max(...n) - Math.min(...n) <= 1, `balanced: ${JSON.stringify(n)}`)
})

test('uniform assignments are valid for any subscriptions and starting points (property)', () => {
  const topics = ['t1', 't2', 't3', 'nope']
  fc.assert(fc.property(
    fc.dictionary(fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'), fc.subarray(topics, { minLength: 0 }), { minKeys: 1 }),
    fc.array(fc.tuple(fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'), fc.constantFrom('t1', 't2', 't3'), fc.nat(7))),
    (subs, previous) => {
      const members: Record<string, { topics: string[], assignment: Record<string, number[]> }> = {}
      for (const [id, ts] of Object.entries(subs)) members[id] = { topics: ts.filter(t => t !== 'nope'), assignment: {} }
      for (const [id, t, p] of previous) {
        const m = members[id]
        if (m !== undefined) (m.assignment[t] ??= []).push(p)
      }
      const s = spec(members)
      const a = UniformAssignor.assign(s, numPartitions)
      assertValid(s, a)
      if (s.homogeneous) {
        const n = [...s.members.keys()].map(id => count(a.get(id)))
        assert.ok(Math.max(...n) - Math.min(...n) <= 1, `homogeneous groups are balanced: ${JSON.stringify(n)}`)
      }
    }), { numRuns: 300 })
})
