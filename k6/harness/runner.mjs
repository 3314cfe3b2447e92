// Runs one k6 script the way `k6 run` does, in this process: the init context, setup() on the main thread,
// the scenario's iterations on VU threads, teardown() on the main thread, then the thresholds over every
// sample (setup's and teardown's checks count too). Hooks let a caller act between those steps; their
// requests go through the I/O thread, so they proceed while setup or teardown block the main thread.
import { register } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IoThread } from './io-thread.mjs';
import { parseScenarios, prepareScenario } from './executors.mjs';
import * as runtime from './runtime.mjs';
import { evaluateThresholds, parseThresholds } from './thresholds.mjs';

register('./loader.mjs', import.meta.url);

let runs = 0;

/**
 * @param hooks { afterSetup, duringIterations, afterIterations }: async (data, io) => void. afterSetup is
 *   awaited before the iterations start, duringIterations before teardown starts, afterIterations only after
 *   teardown (it runs while teardown does).
 * @returns { passed, error, thresholds, checks, iterationErrors, samples, metrics (name to type), phases
 *   (milliseconds each step took) }
 */
export async function runScript(scriptPath, { env = {}, hooks = {} } = {}) {
  const scriptUrl = `${pathToFileURL(resolvePath(scriptPath)).href}?run=${++runs}`;
  runtime.reset();
  globalThis.__ENV = { ...env };
  globalThis.__VU = 0;
  globalThis.__ITER = 0;
  const io = new IoThread();
  const samples = [];
  const result = { passed: false, error: null, thresholds: [], checks: [], iterationErrors: 0, samples, metrics: runtime.state.metrics, phases: {} };
  const started = performance.now();
  let scenario = null; // the VUs, started before setup()
  try {
    const script = await import(scriptUrl);
    const options = script.options ?? {};
    const thresholds = parseThresholds(options.thresholds ?? {}, runtime.state.metrics);
    const scenarioOptions = parseScenarios(options.scenarios);
    const main = io.connect();
    runtime.connectIo(main.port, main.flag);
    scenario = prepareScenario(scenarioOptions, { scriptUrl, env: globalThis.__ENV, io });

    // k6 hands every VU and teardown a JSON copy of what setup returned.
    const data = phase(result, 'setup', () => {
      const returned = script.setup?.();
      return returned === undefined ? undefined : JSON.parse(JSON.stringify(returned));
    });
    samples.push(...runtime.takeSamples());
    await hooks.afterSetup?.(data, io);
    const during = hooks.duringIterations?.(data, io);
    const run = await phase(result, 'iterations', () => scenario.run(data));
    samples.push(...run.samples);
    result.iterationErrors = run.errors;
    await during;
    const after = hooks.afterIterations?.(data, io);
    phase(result, 'teardown', () => script.teardown?.(data));
    samples.push(...runtime.takeSamples());
    await after;

    result.thresholds = evaluateThresholds(thresholds, samples, performance.now() - started);
    result.checks = checkCounts(samples);
    result.passed = result.thresholds.every((t) => t.passed);
  } catch (error) {
    result.error = error?.stack ?? String(error);
  } finally {
    await scenario?.stop();
    await io.stop();
  }
  return result;
}

// Runs one step, noting how long it took (a promise: until it settles); a throw names the step.
function phase(result, name, body) {
  const started = performance.now();
  const took = () => {
    result.phases[name] = performance.now() - started;
  };
  try {
    const value = body();
    if (value instanceof Promise) {
      return value.finally(took);
    }
    took();
    return value;
  } catch (error) {
    took();
    error.message = `${name}() threw: ${error.message}`;
    throw error;
  }
}

function checkCounts(samples) {
  const counts = new Map();
  for (const s of samples) {
    if (s.metric === 'checks') {
      const c = counts.get(s.tags.check) ?? { name: s.tags.check, passes: 0, fails: 0 };
      s.value ? c.passes++ : c.fails++;
      counts.set(s.tags.check, c);
    }
  }
  return [...counts.values()];
}
