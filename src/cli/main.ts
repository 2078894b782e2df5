// Entry point of the `samsa` command: picks a subcommand and runs it.
// Each subcommand lives in its own file under src/cli/ and is loaded on demand.

interface Command { summary: string, load: () => Promise<{ run: (argv: string[]) => Promise<number> }> }

const COMMANDS: Record<string, Command> = {
  broker: { summary: 'run the broker (what npm start runs)', load: () => import('./broker.ts') },
  sensor: { summary: 'send simulated sensor readings (the exercise\'s producer)', load: () => import('./sensor.ts') },
  consume: { summary: 'print the records of a topic (the exercise\'s consumer)', load: () => import('./consume.ts') },
  produce: { summary: 'send lines from stdin as records', load: () => import('./produce.ts') },
  topics: { summary: 'list, create, describe, alter, delete topics', load: () => import('./topics.ts') },
  groups: { summary: 'list, describe, reset offsets of, delete consumer groups', load: () => import('./groups.ts') },
  aggregate: { summary: 'per-sensor window stats from one topic to another', load: () => import('./aggregate.ts') },
  demo: { summary: 'the whole exercise in one command: broker, sensor, printer, aggregator', load: () => import('./demo.ts') },
  console: { summary: 'serve the web console for a cluster (--bootstrap-server, --port)', load: () => import('./console.ts') },
}

function usage (): string {
  const lines = ['usage: samsa <command> [options]', '', 'commands:']
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`)
  return lines.join('\n') + '\n'
}

export async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`samsa: unknown command '${name}'\n` + usage())
    return 2
  }
  const mod = await command.load()
  return mod.run(rest)
}
