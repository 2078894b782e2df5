// `samsa topics list|create|describe|alter|delete` (kafka-topics), on src/tools/topicAdmin.ts.
// The topic is given as the argument or with --topic; listings take --json.

import { alterTopic, createTopic, deleteTopic, describeTopics, listTopics, type TopicDescription } from '../tools/topicAdmin.ts'
import { CONNECTION_OPTIONS, defineCommand, dispatchSubcommand, parseInteger, parsePairs, type ParsedOptions, UsageError } from './args.ts'
import { type Style, toJson, writeOut } from './output.ts'
import { runCommand, withAdmin } from './runCommand.ts'

const TOPIC_OPTION = { topic: { type: 'string', arg: 'TOPIC', help: 'the topic (or give it as the argument)' } } as const
const JSON_OPTION = { json: { type: 'boolean', help: 'print JSON instead of text' } } as const

function topicArgument (values: ParsedOptions<typeof TOPIC_OPTION>, positionals: readonly string[]): string {
  const topic = positionals[0] ?? values.topic
  if (topic === undefined) throw new UsageError('missing argument: TOPIC')
  if (positionals[0] !== undefined && values.topic !== undefined && values.topic !== positionals[0]) throw new UsageError('give the topic once')
  return topic
}

function configPairs (option: string, pairs: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries(parsePairs(option, pairs))
}

const listSpec = defineCommand({
  name: 'topics list',
  synopsis: '[options]',
  summary: 'Lists the topics, one per line (kafka-topics --list).',
  positionals: { min: 0, max: 0 },
  options: { 'exclude-internal': { type: 'boolean', help: 'leave out internal topics (__consumer_offsets ...)' }, ...JSON_OPTION, ...CONNECTION_OPTIONS },
})

const createSpec = defineCommand({
  name: 'topics create',
  synopsis: 'TOPIC [options]',
  summary: 'Creates a topic (kafka-topics --create).',
  positionals: { min: 0, max: 1 },
  options: {
    ...TOPIC_OPTION,
    partitions: { type: 'string', arg: 'N', help: 'partition count (default: the broker\'s num.partitions)' },
    'replication-factor': { type: 'string', arg: 'N', help: 'replicas per partition (default: the broker\'s default)' },
    config: { type: 'string', arg: 'k=v', multiple: true, help: 'a topic config, e.g. retention.ms=60000 (repeatable)' },
    'if-not-exists': { type: 'boolean', help: 'succeed when the topic exists already' },
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa topics create sensors --partitions 3', 'samsa topics create logs --config cleanup.policy=compact'],
})

const describeSpec = defineCommand({
  name: 'topics describe',
  synopsis: '[TOPIC...] [options]',
  summary: 'Describes topics: id, partitions, leaders, replicas, configs set on them (kafka-topics --describe). All topics without a name.',
  positionals: { min: 0, max: 1000 },
  options: { ...TOPIC_OPTION, ...JSON_OPTION, ...CONNECTION_OPTIONS },
})

const alterSpec = defineCommand({
  name: 'topics alter',
  synopsis: 'TOPIC [options]',
  summary: 'Adds partitions to a topic, sets or removes its configs (kafka-topics --alter, kafka-configs --alter).',
  positionals: { min: 0, max: 1 },
  options: {
    ...TOPIC_OPTION,
    partitions: { type: 'string', arg: 'N', help: 'the new partition count (it can only grow)' },
    config: { type: 'string', arg: 'k=v', multiple: true, help: 'set a topic config (repeatable)' },
    'delete-config': { type: 'string', arg: 'KEY', multiple: true, help: 'remove a topic config, back to the default (repeatable)' },
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa topics alter sensors --partitions 6', 'samsa topics alter sensors --config retention.ms=3600000'],
})

const deleteSpec = defineCommand({
  name: 'topics delete',
  synopsis: 'TOPIC [options]',
  summary: 'Deletes a topic (kafka-topics --delete).',
  positionals: { min: 0, max: 1 },
  options: { ...TOPIC_OPTION, 'if-exists': { type: 'boolean', help: 'succeed when the topic does not exist' }, ...CONNECTION_OPTIONS },
})

function describeText (topics: readonly TopicDescription[], style: Style): string {
  const lines: string[] = []
  for (const t of topics) {
    const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(',')
    lines.push(`${style.bold(`Topic: ${t.name}`)}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitionCount}\tReplicationFactor: ${t.replicationFactor}\tConfigs: ${configs}`)
    for (const p of t.partitions) {
      lines.push(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`)
    }
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : ''
}

const SUBCOMMANDS = {
  list: {
    summary: listSpec.summary,
    run: (argv: string[]) => runCommand(listSpec, argv, async ({ values }, { client }) => {
      const topics = await withAdmin(client, admin => listTopics(admin, { excludeInternal: values['exclude-internal'] === true }))
      await writeOut(values.json === true ? toJson(topics) + '\n' : topics.map(t => t + '\n').join(''))
      return 0
    }),
  },
  create: {
    summary: createSpec.summary,
    run: (argv: string[]) => runCommand(createSpec, argv, async ({ values, positionals }, { client, err }) => {
      const topic = topicArgument(values, positionals)
      const partitions = parseInteger('partitions', values.partitions, { min: 1 })
      const replicationFactor = parseInteger('replication-factor', values['replication-factor'], { min: 1, max: 32767 })
      const configs = configPairs('config', values.config)
      const created = await withAdmin(client, admin => createTopic(admin, {
        topic, configs, ifNotExists: values['if-not-exists'] === true,
        ...(partitions !== undefined ? { partitions } : {}),
        ...(replicationFactor !== undefined ? { replicationFactor } : {}),
      }))
      process.stderr.write(created ? `Created topic ${topic}.\n` : err.dim(`Topic ${topic} exists already.`) + '\n')
      return 0
    }),
  },
  describe: {
    summary: describeSpec.summary,
    run: (argv: string[]) => runCommand(describeSpec, argv, async ({ values, positionals }, { client, out }) => {
      const names = [...positionals, ...(values.topic !== undefined ? [values.topic] : [])]
      const topics = await withAdmin(client, admin => describeTopics(admin, names))
      await writeOut(values.json === true ? toJson(topics, 2) + '\n' : describeText(topics, out))
      return 0
    }),
  },
  alter: {
    summary: alterSpec.summary,
    run: (argv: string[]) => runCommand(alterSpec, argv, async ({ values, positionals }, { client }) => {
      const topic = topicArgument(values, positionals)
      const partitions = parseInteger('partitions', values.partitions, { min: 1 })
      const setConfigs = configPairs('config', values.config)
      const deleteConfigs = values['delete-config'] ?? []
      if (partitions === undefined && Object.keys(setConfigs).length === 0 && deleteConfigs.length === 0) {
        throw new UsageError('nothing to alter: give --partitions, --config or --delete-config')
      }
      await withAdmin(client, admin => alterTopic(admin, { topic, setConfigs, deleteConfigs, ...(partitions !== undefined ? { partitions } : {}) }))
      process.stderr.write(`Altered topic ${topic}.\n`)
      return 0
    }),
  },
  delete: {
    summary: deleteSpec.summary,
    run: (argv: string[]) => runCommand(deleteSpec, argv, async ({ values, positionals }, { client, err }) => {
      const topic = topicArgument(values, positionals)
      const deleted = await withAdmin(client, admin => deleteTopic(admin, { topic, ifExists: values['if-exists'] === true }))
      process.stderr.write(deleted ? `Deleted topic ${topic}.\n` : err.dim(`Topic ${topic} does not exist.`) + '\n')
      return 0
    }),
  },
}

export async function run (argv: string[]): Promise<number> {
  return dispatchSubcommand('topics', 'Topic administration (kafka-topics).', SUBCOMMANDS, argv)
}
