#!/usr/bin/env node
// The `samsa` command. Sources are TypeScript run as they are (Node >= 22.18 strips types),
// so this shim only checks the runtime and hands over to src/cli/main.ts.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`samsa needs Node >= 22.18 (24 LTS preferred); this is ${process.version}.\n` +
    'Run it through npm (npm start, npx samsa), which uses the Node 24 from devDependencies.\n')
  process.exit(1)
}
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
