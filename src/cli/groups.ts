// `samsa groups list|describe|reset-offsets|delete` (kafka-consumer-groups), on
// src/tools/groupAdmin.ts, with Kafka's column names. reset-offsets is a dry run unless --execute.

import { describeGroup, deleteGroup, type GroupDescription, listGroups, type ResetScope, type ResetSpec, resetOffsets } from '../tools/groupAdmin.ts'
import { CONNECTION_OPTIONS, defineCommand, dispatchSubcommand, parseBigInteger, parseDuration, parseInteger, type ParsedOptions, UsageError } from './args.ts'
import { renderTable, type Style, toJson, writeOut } from './output.ts'
import { runCommand, withAdmin } from './runCommand.ts'

const GROUP_OPTION = { group: { type: 'string', arg: 'G', help: 'the consumer group (or give it as the argument)' } } as const
const JSON_OPTION = { json: { type: 'boolean', help: 'print JSON instead of a table' } } as const

function groupArgument (values: ParsedOptions<typeof GROUP_OPTION>, positionals: readonly string[]): string {
  const group = positionals[0] ?? values.group
  if (group === undefined) throw new UsageError('missing argument: GROUP (or --group)')
  if (positionals[0] !== undefined && values.group !== undefined && values.group !== positionals[0]) throw new UsageError('give the group once')
  return group
}

const listSpec = defineCommand({
  name: 'groups list',
  synopsis: '[options]',
  summary: 'Lists the consumer groups (kafka-consumer-groups --list).',
  positionals: { min: 0, max: 0 },
  options: { state: { type: 'boolean', help: 'show each group\'s state (GROUP, STATE, PROTOCOL-TYPE)' }, ...JSON_OPTION, ...CONNECTION_OPTIONS },
})

const describeSpec = defineCommand({
  name: 'groups describe',
  synopsis: 'GROUP [options]',
  summary: 'Describes a consumer group (kafka-consumer-groups --describe).',
  details: `By default one row per partition: GROUP, TOPIC, PARTITION, CURRENT-OFFSET (committed),
LOG-END-OFFSET, LAG, CONSUMER-ID, HOST, CLIENT-ID, then the group's total lag. --members lists the
members instead, --state the group's state.`,
  positionals: { min: 0, max: 1 },
  options: {
    ...GROUP_OPTION,
    members: { type: 'boolean', help: 'list members: GROUP, CONSUMER-ID, HOST, CLIENT-ID, #PARTITIONS' },
    state: { type: 'boolean', help: 'show the state: GROUP, ASSIGNMENT-STRATEGY, STATE, #MEMBERS' },
    ...JSON_OPTION,
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa groups describe printers', 'samsa groups describe --group printers --json'],
})

const resetSpec = defineCommand({
  name: 'groups reset-offsets',
  synopsis: 'GROUP (--topic T[:P,...]... | --all-topics) <--to-earliest|--to-latest|--to-current|--to-offset N|--shift-by N|--to-datetime T|--by-duration D> [--execute]',
  summary: 'Computes new committed offsets for a group and, with --execute, writes them (kafka-consumer-groups --reset-offsets).',
  details: `Without --execute nothing changes (a dry run): the new offsets are only printed. Offsets are
clamped to what each partition holds. Writing needs a group without active members.`,
  positionals: { min: 0, max: 1 },
  options: {
    ...GROUP_OPTION,
    topic: { type: 'string', arg: 'T[:P,...]', multiple: true, help: 'a topic, or some of its partitions (repeatable)' },
    'all-topics': { type: 'boolean', help: 'every topic the group has offsets for' },
    'to-earliest': { type: 'boolean', help: 'to each partition\'s first offset' },
    'to-latest': { type: 'boolean', help: 'to each partition\'s end' },
    'to-current': { type: 'boolean', help: 'to the committed offset (the end where there is none)' },
    'to-offset': { type: 'string', arg: 'N', help: 'to offset N' },
    'shift-by': { type: 'string', arg: 'N', help: 'move the committed offset by N (negative: back)' },
    'to-datetime': { type: 'string', arg: 'TIME', help: 'to the first offset at or after TIME (ISO 8601, e.g. 2024-05-01T12:00:00Z)' },
    'by-duration': { type: 'string', arg: 'DURATION', help: 'to the first offset at or after now minus DURATION (PT10M, P1D, 10m, 2h)' },
    'dry-run': { type: 'boolean', help: 'only show the new offsets (the default)' },
    execute: { type: 'boolean', help: 'write the new offsets' },
    ...JSON_OPTION,
    ...CONNECTION_OPTIONS,
  },
  examples: [
    'samsa groups reset-offsets printers --topic sensors --to-earliest',
    'samsa groups reset-offsets printers --topic sensors:0 --shift-by -10 --execute',
  ],
})

const deleteSpec = defineCommand({
  name: 'groups delete',
  synopsis: 'GROUP [--topic T] [options]',
  summary: 'Deletes a consumer group without members, or only its offsets for one topic (kafka-consumer-groups --delete, --delete-offsets).',
  positionals: { min: 0, max: 1 },
  options: { ...GROUP_OPTION, topic: { type: 'string', arg: 'T', help: 'delete only the group\'s offsets for this topic' }, ...CONNECTION_OPTIONS },
})

/** ISO 8601 durations as kafka-consumer-groups takes them (PnDTnHnMnS), or 10m-style. */
function parseIsoDuration (text: string): number {
  const iso = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text)
  if (iso !== null && text.length > 1 && !/T$/i.test(text)) {
    const [, d, h, m, s] = iso
    return Math.round((Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000)
  }
  return parseDuration('by-duration', text) as number
}

function parseResetSpec (values: ParsedOptions<typeof resetSpec.options>): ResetSpec {
  const chosen: ResetSpec[] = []
  if (values['to-earliest'] === true) chosen.push({ kind: 'earliest' })
  if (values['to-latest'] === true) chosen.push({ kind: 'latest' })
  if (values['to-current'] === true) chosen.push({ kind: 'current' })
  if (values['to-offset'] !== undefined) {
    const offset = parseBigInteger('to-offset', values['to-offset'])
    if (offset < 0n) throw new UsageError('--to-offset must not be negative')
    chosen.push({ kind: 'offset', offset })
  }
  if (values['shift-by'] !== undefined) chosen.push({ kind: 'shift', by: parseBigInteger('shift-by', values['shift-by']) })
  if (values['to-datetime'] !== undefined) {
    const ms = Date.parse(values['to-datetime'])
    if (!Number.isFinite(ms)) throw new UsageError(`--to-datetime: expected an ISO 8601 time, got '${values['to-datetime']}'`)
    chosen.push({ kind: 'datetime', timestamp: BigInt(ms) })
  }
  if (values['by-duration'] !== undefined) chosen.push({ kind: 'datetime', timestamp: BigInt(Date.now() - parseIsoDuration(values['by-duration'])) })
  if (chosen.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration')
  return chosen[0] as ResetSpec
}

function parseScope (values: ParsedOptions<typeof resetSpec.options>): ResetScope {
  if (values['all-topics'] === true) {
    if (values.topic !== undefined) throw new UsageError('give --topic or --all-topics, not both')
    return { allTopics: true }
  }
  if (values.topic === undefined) throw new UsageError('give --topic T or --all-topics')
  return {
    topics: values.topic.map(t => {
      const colon = t.lastIndexOf(':')
      if (colon < 0) return { topic: t }
      const partitions = t.slice(colon + 1).split(',').map(p => parseInteger('topic', p.trim(), { min: 0 }) as number)
      return { topic: t.slice(0, colon), partitions }
    }),
  }
}

function offsetsTable (d: GroupDescription, style: Style): string {
  const rows = d.partitions.map(p => [d.groupId, p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag, p.consumerId, p.host, p.clientId])
  // Members with nothing assigned still show, as Kafka shows them.
  for (const m of d.members) if (m.assignments.length === 0) rows.push([d.groupId, null, null, null, null, null, m.memberId, m.host, m.clientId])
  const note = d.members.length === 0 ? `Consumer group '${d.groupId}' has no active members.\n\n` : ''
  return note + renderTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows, style) +
    `\nTOTAL-LAG: ${d.totalLag}\n`
}

const SUBCOMMANDS = {
  list: {
    summary: listSpec.summary,
    run: (argv: string[]) => runCommand(listSpec, argv, async ({ values }, { client, out }) => {
      const groups = await withAdmin(client, admin => listGroups(admin))
      if (values.json === true) await writeOut(toJson(groups) + '\n')
      else if (values.state === true) await writeOut(renderTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], groups.map(g => [g.groupId, g.state, g.protocolType]), out))
      else await writeOut(groups.map(g => g.groupId + '\n').join(''))
      return 0
    }),
  },
  describe: {
    summary: describeSpec.summary,
    run: (argv: string[]) => runCommand(describeSpec, argv, async ({ values, positionals }, { client, out }) => {
      const group = groupArgument(values, positionals)
      const d = await withAdmin(client, admin => describeGroup(admin, group))
      if (values.json === true) await writeOut(toJson(d, 2) + '\n')
      else if (values.members === true) {
        await writeOut(renderTable(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'], d.members.map(m => [d.groupId, m.memberId, m.host, m.clientId, m.assignments.length]), out))
      } else if (values.state === true) {
        await writeOut(renderTable(['GROUP', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[d.groupId, d.protocol === '' ? null : d.protocol, d.state, d.members.length]], out))
      } else {
        await writeOut(offsetsTable(d, out))
      }
      return 0
    }),
  },
  'reset-offsets': {
    summary: resetSpec.summary,
    run: (argv: string[]) => runCommand(resetSpec, argv, async ({ values, positionals }, { client, out, err }) => {
      const group = groupArgument(values, positionals)
      if (values.execute === true && values['dry-run'] === true) throw new UsageError('give --dry-run or --execute, not both')
      const spec = parseResetSpec(values)
      const scope = parseScope(values)
      const execute = values.execute === true
      const planned = await withAdmin(client, admin => resetOffsets(admin, group, spec, scope, execute))
      if (values.json === true) await writeOut(toJson({ group, executed: execute, offsets: planned }, 2) + '\n')
      else await writeOut(renderTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], planned.map(p => [group, p.topic, p.partition, p.newOffset]), out))
      if (!execute) process.stderr.write(err.yellow('Dry run: nothing was changed. Add --execute to write these offsets.\n'))
      return 0
    }),
  },
  delete: {
    summary: deleteSpec.summary,
    run: (argv: string[]) => runCommand(deleteSpec, argv, async ({ values, positionals }, { client }) => {
      const group = groupArgument(values, positionals)
      await withAdmin(client, admin => deleteGroup(admin, group, values.topic !== undefined ? { topic: values.topic } : {}))
      process.stderr.write(values.topic !== undefined ? `Deleted the offsets of group '${group}' for topic '${values.topic}'.\n` : `Deleted consumer group '${group}'.\n`)
      return 0
    }),
  },
}

export async function run (argv: string[]): Promise<number> {
  return dispatchSubcommand('groups', 'Consumer group administration (kafka-consumer-groups).', SUBCOMMANDS, argv)
}
