// The k6 harness: runs each case of cases.mjs (a k6 script's own setup, iterations, teardown and thresholds,
// through the shim of the k6 modules) against two live gateway instances, and checks that the script gave the
// expected verdict and that the gateways saw what the case claims. Started by scripts/k6-harness.sh, which
// provides the gateways:
//   K6H_BASE_URLS         the two instances, comma-separated (same Redis key prefix, same database)
//   K6H_UNPROTECTED_URLS  two more on the same database without stampede protection (caching bypassed), for the
//                         cases whose `target` is 'unprotected': every script must fail there
//   K6H_PG_URI            optional: their database, to compare the origin queries with pg_stat_statements
import { execFileSync } from 'node:child_process';
import { harnessCases } from './cases.mjs';
import { counters, describe, difference, settledCounters } from './gateways.mjs';
import { runScript } from './runner.mjs';
import { failures, summary, verdict } from './summary.mjs';

// The gateway's Top-N query, however slowed down; the pattern is a parameter so this query never matches it.
const PG_COUNT_SQL = `SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
  WHERE d.datname = current_database() AND s.query ILIKE :'pattern'`;

const config = { urls: required('K6H_BASE_URLS').split(','), unprotected: required('K6H_UNPROTECTED_URLS').split(',') };
const started = Date.now();
const { prepare, cases } = harnessCases(config);
console.log(`k6 harness: ${cases.length} cases against ${config.urls.join(' and ')} (unprotected: ${config.unprotected.join(' and ')})`);
await prepare();

const outcomes = [];
// Each pair's counters as last settled: a case's counts are differences from them.
const targets = { gateway: config.urls, unprotected: config.unprotected };
const settledBy = { gateway: await settledCounters(targets.gateway), unprotected: await settledCounters(targets.unprotected) };
for (const [i, c] of cases.entries()) {
  const target = c.target ?? 'gateway';
  const urls = targets[target];
  let settled = settledBy[target];
  const must = c.expect.length === 0 ? 'pass' : `fail on exactly: ${c.expect.join('; ')}${c.mayAlsoFail ? ` (and may on: ${c.mayAlsoFail.join('; ')})` : ''}`;
  console.log(`\n[${i + 1}/${cases.length}] ${c.name}\n    must ${must}`);
  const caseStarted = Date.now();
  // What `before` sends counts as the script's setup.
  const marks = { start: settled };
  await c.before?.();
  const hooks = {
    ...c.hooks,
    async afterSetup(data, io) {
      marks.setupEnd = await counters(urls);
      if (c.hooks?.afterSetup) {
        await c.hooks.afterSetup(data, io);
        marks.runStart = await counters(urls);
      } else {
        marks.runStart = marks.setupEnd;
      }
    },
    afterIterations(data, io) {
      marks.iterationsEnded = Date.now();
      return c.hooks?.afterIterations?.(data, io);
    },
  };
  const result = await runScript(c.script, { env: c.env, hooks });
  console.log(summary(result, '    '));

  settled = settledBy[target] = await settledCounters(urls, { since: marks.runStart ?? null });

  let problem = null;
  const failed = failures(result);
  if (result.error !== null) {
    problem = 'the script errored instead of giving a verdict';
  } else if (!c.expect.every((f) => failed.includes(f)) || !failed.every((f) => c.expect.includes(f) || c.mayAlsoFail?.includes(f))) {
    problem = `it ${failed.length === 0 ? 'passed' : `failed on: ${failed.join('; ')}`}`;
  } else {
    const observed = { setup: difference(marks.setupEnd, marks.start), run: difference(settled, marks.runStart) };
    console.log(`    gateways saw: setup: ${describe(observed.setup)}; run: ${describe(observed.run)}`);
    const [claim, holds] = c.happened;
    if (!holds(observed)) {
      problem = `the case did not set up what it claims (${claim})`;
    }
  }
  const seconds = ((Date.now() - caseStarted) / 1000).toFixed(1);
  console.log(problem === null ? `    ok: ${verdict(result)} as expected (${seconds} s)` : `    NOT OK: ${problem} (${seconds} s)`);
  outcomes.push({ name: c.name, problem });
}

if (process.env.K6H_PG_URI) {
  const metrics = settledBy.gateway.origin + settledBy.unprotected.origin;
  const postgres = Number(execFileSync('psql', [process.env.K6H_PG_URI, '-Atq', '-v', 'pattern=%ranking_scores%ORDER BY score DESC%'], { input: PG_COUNT_SQL, encoding: 'utf8' }).trim());
  const agree = metrics === postgres;
  console.log(`\norigin queries in all: ${metrics} by the gateways' metrics, ${postgres} by pg_stat_statements${agree ? '' : ': they DISAGREE'}`);
  if (!agree) {
    outcomes.push({ name: 'gateway metrics agree with pg_stat_statements', problem: `${metrics} vs ${postgres}` });
  }
}

const bad = outcomes.filter((o) => o.problem !== null);
console.log(`\nk6 harness: ${outcomes.length - bad.length} of ${outcomes.length} as expected in ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const o of bad) {
  console.log(`  NOT OK: ${o.name}: ${o.problem}`);
}
process.exit(bad.length === 0 ? 0 : 1);

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`k6 harness: ${name} is not set (scripts/k6-harness.sh sets it)`);
    process.exit(2);
  }
  return value;
}
