// Scores a run of the HTTP cache test suite (cache-tests.fyi) the way its published tables count: the required tests a
// shared cache runs (not browser_only), each judged on its own (a test passes when its result is true).
//   node score.mjs <suite dir> <results.json> [--expected FILE] [--write-expected FILE] [--label TEXT]
// With --expected, exits 1 when a required test listed there as passing does not pass now (printed one per line, for
// the caller to retry). --write-expected writes the passing required ids.
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const [suiteDir, resultsFile, ...rest] = process.argv.slice(2)
const option = name => { const i = rest.indexOf(name); return i < 0 ? undefined : rest[i + 1] }
const index = path.join(suiteDir, 'tests', 'index.mjs')
const suites = (await import(pathToFileURL(index))).default
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))

const required = []
for (const suite of suites) {
  for (const test of suite.tests) {
    if (test.browser_only) continue
    if (test.kind === undefined || test.kind === 'required') required.push(test)
  }
}

const passing = required.filter(t => results[t.id] === true).map(t => t.id)
const label = option('--label') ?? resultsFile
console.log(`${label}: ${passing.length} of ${required.length} required tests passed`)
for (const test of required) {
  if (results[test.id] !== true) console.log(`  failed ${test.id}: ${JSON.stringify(results[test.id] ?? 'not run')}`)
}

if (option('--write-expected')) {
  fs.writeFileSync(option('--write-expected'), JSON.stringify(passing.sort(), null, 2) + '\n')
}

if (option('--expected')) {
  const expected = JSON.parse(fs.readFileSync(option('--expected'), 'utf8'))
  const lost = expected.filter(id => !passing.includes(id))
  if (lost.length > 0) {
    console.log(`REGRESSED ${lost.length}: ${lost.join(' ')}`)
    process.exit(1)
  }
}
