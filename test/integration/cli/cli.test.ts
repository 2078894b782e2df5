// `samsa <command>` against samsa: every scenario of cliScenarios.ts on one in-process broker,
// plus what does not depend on the broker (help, usage errors, an unreachable broker, colours)
// and `samsa demo`, which embeds its own broker.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { findOnPath } from '../../helpers/peers.ts'
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts'
import { assertOneLineError, describeRun, ok, runCli, SAMSA_BIN, SCENARIOS, unique } from './cliScenarios.ts'

const afters: Array<() => Promise<void>> = []
let broker: TestBroker
before(async () => { broker = await startTestBroker({ after: (fn: () => Promise<void>) => afters.push(fn) }) })
after(async () => { for (const fn of afters.reverse()) await fn() })

for (const scenario of SCENARIOS) {
  test(`${scenario.name} against samsa`, async () => {
    await scenario.run(broker.bootstrap)
  })
}

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ['sensor'], ['consume'], ['produce'], ['aggregate'], ['demo'],
  ['topics', 'list'], ['topics', 'create'], ['topics', 'describe'], ['topics', 'alter'], ['topics', 'delete'],
  ['groups', 'list'], ['groups', 'describe'], ['groups', 'reset-offsets'], ['groups', 'delete'],
]

test('--help for every command and subcommand: exit 0, usage and options on stdout', async () => {
  const runs = await Promise.all(COMMANDS.map(async (cmd) => [cmd, await runCli([...cmd, '--help'])] as const))
  for (const [cmd, run] of runs) {
    assert.equal(run.code, 0, describeRun([...cmd, '--help'], run))
    assert.match(run.stdout, new RegExp(`^usage: samsa ${cmd.join(' ')} `), cmd.join(' '))
    assert.match(run.stdout, /\n {2}-h, --help +show this help\n/)
    if (cmd[0] !== 'demo') assert.match(run.stdout, /--bootstrap-server HOST:PORT/)
    assert.equal(run.stderr, '')
  }
  for (const cmd of ['topics', 'groups']) {
    const run = await runCli([cmd, '--help'])
    assert.equal(run.code, 0)
    assert.match(run.stdout, new RegExp(`^usage: samsa ${cmd} <`))
  }
  const top = await runCli(['--help'])
  for (const cmd of ['sensor', 'consume', 'produce', 'topics', 'groups', 'aggregate', 'demo']) assert.match(top.stdout, new RegExp(`\\n {2}${cmd} `))
})

test('usage errors: exit 2 with the reason and a pointer to --help', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['consume'], /^samsa consume: missing argument: TOPIC\n\(see `samsa consume --help`\)\n$/],
    [['consume', 't', '--bogus'], /^samsa consume: unknown option '--bogus'\n/],
    [['consume', 't', '--format', 'xml'], /^samsa consume: --format: expected one of json, pretty, value, got 'xml'\n/],
    [['consume', 't', '--from', 'yesterday'], /^samsa consume: --from: expected beginning, end, an offset, -N or @TIME, got 'yesterday'\n/],
    [['consume', 't', '-X', 'no.such.property=1'], /^samsa consume: -X no.such.property: unknown client property/],
    [['consume', 't', '--bootstrap-server', 'nohostport'], /^samsa consume: --bootstrap-server: expected HOST:PORT, got 'nohostport'\n/],
    [['sensor', '--interval', 'soon'], /^samsa sensor: --interval: expected a duration/],
    [['produce', 't', '--key', 'k', '--key-separator', ':'], /^samsa produce: give --key or --key-separator, not both\n/],
    [['topics', 'create'], /^samsa topics create: missing argument: TOPIC\n/],
    [['topics', 'alter', 't'], /^samsa topics alter: nothing to alter/],
    [['groups', 'reset-offsets', 'g', '--topic', 't'], /^samsa groups reset-offsets: give exactly one of --to-earliest/],
    [['groups', 'reset-offsets', 'g', '--to-earliest'], /^samsa groups reset-offsets: give --topic T or --all-topics\n/],
    [['aggregate', '--input', 'x', '--output', 'x'], /^samsa aggregate: --input and --output must be different topics\n/],
    [['topics', 'frobnicate'], /^samsa topics: unknown subcommand 'frobnicate'\n/],
    [['frobnicate'], /^samsa: unknown command 'frobnicate'\n/],
  ]
  const runs = await Promise.all(cases.map(async ([args, expected]) => [args, expected, await runCli(args)] as const))
  for (const [args, expected, run] of runs) {
    assert.equal(run.code, 2, describeRun(args, run))
    assert.match(run.stderr, expected, describeRun(args, run))
    assert.equal(run.stdout, '')
  }
})

test('an unreachable broker: exit 1 and one line naming it, no stack trace', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
  const bootstrap = `127.0.0.1:${port}`
  const commands: string[][] = [
    ['consume', 'sensors', '-e'], ['produce', 'sensors'], ['sensor', '--count', '1'], ['aggregate', '-e'],
    ['topics', 'list'], ['topics', 'describe'], ['topics', 'create', 'x'], ['groups', 'list'], ['groups', 'describe', 'g'],
  ]
  const runs = await Promise.all(commands.map(async (cmd) => {
    const args = [...cmd, '--bootstrap-server', bootstrap, '--timeout', '2s']
    return [args, await runCli(args, { input: 'x\n' })] as const
  }))
  for (const [args, run] of runs) {
    assert.equal(run.code, 1, describeRun(args, run))
    assertOneLineError(run, new RegExp(`^samsa ${args[0]}[a-z ]*: cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\)$`), args)
  }
})

test('colours only on a terminal, never with NO_COLOR', async (t) => {
  const topic = unique('cli-colour')
  await ok(broker.bootstrap, ['topics', 'create', topic, '--partitions', '1'])
  const piped = await ok(broker.bootstrap, ['topics', 'describe', topic])
  assert.doesNotMatch(piped.stdout, /\u001b\[/)
  const script = await findOnPath('script')
  if (script === undefined) {
    const hint = 'no `script` (util-linux) to give the command a terminal: install with `apt-get install -y bsdutils`'
    if (process.env.CI === 'true') assert.fail(hint) // in CI a missing peer is a failure, never a skip
    t.skip(hint)
    return
  }
  const inTerminal = async (extra: Record<string, string>): Promise<string> => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', ...extra }
    if (extra.NO_COLOR === undefined) delete env.NO_COLOR
    const command = [process.execPath, SAMSA_BIN, 'topics', 'describe', topic, '--bootstrap-server', broker.bootstrap]
      .map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
    return await new Promise<string>((resolve, reject) => {
      const child = spawn(script, ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8') })
      child.once('error', reject)
      child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`script exited ${code}: ${out}`))))
    })
  }
  assert.match(await inTerminal({}), /\u001b\[1mTopic: /)
  assert.doesNotMatch(await inTerminal({ NO_COLOR: '1' }), /\u001b\[/)
})

test('samsa demo: the late printer receives every reading, those sent before it started included', async () => {
  const args = ['demo', '--port', '0', '--console-port', '0', '--sensors', '2', '--count', '6', '--interval', '50ms', '--printer-delay', '150ms', '--window', '100ms']
  const run = await runCli(args)
  assert.equal(run.code, 0, describeRun(args, run))
  assert.match(run.stdout, /^\[broker\] +listening on localhost:\d+/m)
  assert.match(run.stdout, /^\[console\] +open http:\/\/localhost:\d+\//m)
  const before = /^\[printer\] +starting now, (\d+) readings were sent before/m.exec(run.stdout)
  assert.ok(before !== null && Number(before[1]) > 0, 'the printer starts after some readings were sent')
  assert.match(run.stdout, /^\[printer\] +received all 12 readings, \d+ of them sent before it started$/m)
  const printed = run.stdout.split('\n').filter(l => /^\[printer\] +@\d+ /.test(l))
  assert.equal(printed.length, 12)
  assert.match(run.stdout, /^\[aggregate\] +sensor-\d /m)
})
