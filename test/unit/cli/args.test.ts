import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CONNECTION_OPTIONS, defineCommand, helpText, parseCommand, parseDuration, parseInteger, parsePairs, UsageError } from '../../../src/cli/args.ts'

const spec = defineCommand({
  name: 'example',
  synopsis: 'TOPIC [options]',
  summary: 'An example.',
  positionals: { min: 1, max: 1 },
  options: {
    from: { type: 'string', arg: 'WHERE', help: 'where to start' },
    'exit-at-end': { type: 'boolean', short: 'e', help: 'stop at the end' },
    ...CONNECTION_OPTIONS,
  },
  examples: ['samsa example t'],
})

test('options, short flags, repeated -X and a negative value without =', () => {
  const parsed = parseCommand(spec, ['t', '-e', '--from', '-10', '-X', 'client.id=a', '-X', 'acks=all', '--bootstrap-server', 'h:1'])
  assert.ok(parsed !== undefined)
  assert.deepEqual(parsed.positionals, ['t'])
  assert.equal(parsed.values.from, '-10')
  assert.equal(parsed.values['exit-at-end'], true)
  assert.deepEqual(parsed.values['client-property'], ['client.id=a', 'acks=all'])
  assert.equal(parsed.values['bootstrap-server'], 'h:1')
})

test('usage errors: unknown option, missing and extra arguments, missing value', () => {
  assert.throws(() => parseCommand(spec, ['t', '--nope']), (e: Error) => e instanceof UsageError && /unknown option '--nope'/.test(e.message))
  assert.throws(() => parseCommand(spec, []), (e: Error) => e instanceof UsageError && /missing argument: TOPIC/.test(e.message))
  assert.throws(() => parseCommand(spec, ['t', 'u']), (e: Error) => e instanceof UsageError && /unexpected argument 'u'/.test(e.message))
  assert.throws(() => parseCommand(spec, ['t', '--from']), UsageError)
})

test('help lists every option with its help line, and the examples', () => {
  const text = helpText(spec)
  assert.match(text, /^usage: samsa example TOPIC \[options\]\n/)
  for (const name of ['--from WHERE', '-e, --exit-at-end', '--bootstrap-server', '-X, --client-property key=value', '-h, --help']) assert.ok(text.includes(name), name)
  assert.match(text, /examples:\n {2}samsa example t\n$/)
})

test('durations, integers and pairs', () => {
  assert.equal(parseDuration('d', '500ms'), 500)
  assert.equal(parseDuration('d', '10s'), 10_000)
  assert.equal(parseDuration('d', '1.5m'), 90_000)
  assert.equal(parseDuration('d', '2h'), 7_200_000)
  assert.equal(parseDuration('d', '3'), 3000)
  assert.equal(parseDuration('d', '3', 'ms'), 3)
  assert.equal(parseDuration('d', undefined), undefined)
  assert.throws(() => parseDuration('d', '10 parsecs'), /--d: expected a duration/)
  assert.equal(parseInteger('n', '42', { min: 1 }), 42)
  assert.throws(() => parseInteger('n', '0', { min: 1 }), /--n: must be at least 1/)
  assert.throws(() => parseInteger('n', '1.5'), /--n: expected an integer/)
  assert.deepEqual(parsePairs('config', ['a=1', 'b=x=y']), [['a', '1'], ['b', 'x=y']])
  assert.throws(() => parsePairs('config', ['a']), /--config: expected key=value/)
})
