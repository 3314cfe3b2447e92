// The two k6 executors the scripts use, over VU threads:
// - per-vu-iterations: every VU initialised first, then each runs `iterations` iterations (all at once);
// - constant-arrival-rate: an iteration every timeUnit/rate, open loop, on an idle VU; when none is idle the
//   iteration is dropped (dropped_iterations) and one more VU is started, up to maxVUs, as k6 does.
// Iterations still running when the duration ends may finish within gracefulStop (default 30 s).
import { Worker } from 'node:worker_threads';
import { record } from './runtime.mjs';

const EXECUTORS = {
  'per-vu-iterations': { vus: 1, iterations: 1, maxDuration: '10m', gracefulStop: '30s' },
  'constant-arrival-rate': { rate: null, timeUnit: '1s', duration: null, preAllocatedVUs: null, maxVUs: null, gracefulStop: '30s' },
};

const WHOLE = ['vus', 'iterations', 'rate', 'preAllocatedVUs', 'maxVUs'];

/** Checks a scenarios option as k6 does for these executors (whole numbers, known fields, durations). */
export function parseScenarios(scenarios) {
  const entries = Object.entries(scenarios ?? {});
  if (entries.length !== 1) {
    throw new Error(`the harness runs exactly one scenario (found ${entries.length})`);
  }
  const [name, config] = entries[0];
  const defaults = EXECUTORS[config.executor];
  if (defaults === undefined) {
    throw new Error(`scenario ${name}: the harness has no executor '${config.executor}'`);
  }
  const scenario = { name, ...defaults };
  for (const [key, value] of Object.entries(config)) {
    if (key !== 'executor' && !(key in defaults)) {
      throw new Error(`scenario ${name}: the harness does not know '${key}' for ${config.executor}`);
    }
    scenario[key] = value;
  }
  for (const key of Object.keys(defaults)) {
    if (scenario[key] === null) {
      throw new Error(`scenario ${name}: ${config.executor} needs '${key}'`);
    }
    if (WHOLE.includes(key) && (!Number.isInteger(scenario[key]) || scenario[key] < 1)) {
      throw new Error(`scenario ${name}: ${key} must be a positive whole number (was ${scenario[key]})`);
    }
  }
  for (const key of ['maxDuration', 'gracefulStop', 'timeUnit', 'duration']) {
    if (key in scenario) {
      scenario[key] = parseDuration(scenario[key]);
    }
  }
  return scenario;
}

/** k6 duration strings ("1m30s", "500ms") or milliseconds, to milliseconds. */
export function parseDuration(value) {
  if (typeof value === 'number') {
    return value;
  }
  const parts = [...String(value).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new Error(`invalid duration '${value}'`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]], 0);
}

/**
 * Starts the scenario's first VUs; as in k6 they are initialised before setup() runs (here: while it runs,
 * in their own threads). Then run(data) runs the iterations and resolves to { samples, errors } (errors:
 * the iterations that threw).
 */
export function prepareScenario(scenario, context) {
  const pool = new VuPool(scenario, context);
  const count = scenario.executor === 'per-vu-iterations' ? scenario.vus : scenario.preAllocatedVUs;
  const initialised = Promise.all(Array.from({ length: count }, () => pool.start()));
  // Keep an init error for run() rather than leaving it unhandled while setup() blocks the thread.
  initialised.catch(() => {});
  return {
    async run(data) {
      try {
        pool.data = data;
        const vus = await initialised;
        if (scenario.executor === 'per-vu-iterations') {
          await perVuIterations(scenario, vus);
        } else {
          await constantArrivalRate(scenario, pool, vus);
        }
      } finally {
        await pool.stop();
      }
      return { samples: pool.samples, errors: pool.errors };
    },
    stop: () => pool.stop(),
  };
}

async function perVuIterations(scenario, vus) {
  const all = Promise.all(vus.map(async (vu) => {
    for (let i = 0; i < scenario.iterations; i++) {
      await vu.iterate((vu.id - 1) * scenario.iterations + i);
    }
  }));
  if (!(await within(all, scenario.maxDuration + scenario.gracefulStop))) {
    console.warn(`scenario ${scenario.name}: iterations still running after maxDuration + gracefulStop were interrupted`);
  }
}

async function constantArrivalRate(scenario, pool, vus) {
  const idle = [...vus];
  const interval = scenario.timeUnit / scenario.rate;
  const running = new Set();
  let starting = null;
  let started = 0;
  const begin = performance.now();
  for (let i = 0; i * interval < scenario.duration; i++) {
    const wait = begin + i * interval - performance.now();
    if (wait > 0) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const vu = idle.pop();
    if (vu === undefined) {
      record('dropped_iterations', 1, { scenario: scenario.name });
      if (starting === null && pool.size < scenario.maxVUs) {
        starting = pool.start().then((fresh) => {
          idle.push(fresh);
          starting = null;
        });
      }
      continue;
    }
    const iteration = vu.iterate(started++).then(() => {
      idle.push(vu);
      running.delete(iteration);
    });
    running.add(iteration);
  }
  if (!(await within(Promise.all([...running, starting]), scenario.gracefulStop))) {
    console.warn(`scenario ${scenario.name}: iterations still running after gracefulStop were interrupted`);
  }
}

function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

class VuPool {
  samples = [];
  errors = 0;
  /** What setup() returned; a VU gets it before its first iteration. */
  data = undefined;
  #workers = [];
  #scenario;
  #context;

  constructor(scenario, context) {
    this.#scenario = scenario;
    this.#context = context;
  }

  get size() {
    return this.#workers.length;
  }

  /** Starts a VU and resolves once its init context has run; it gets `data` with its first iteration. */
  start() {
    const id = this.#workers.length + 1;
    const io = this.#context.io.connect();
    const worker = new Worker(new URL('./vu-worker.mjs', import.meta.url), {
      workerData: { scriptUrl: this.#context.scriptUrl, env: this.#context.env, vu: id, scenario: this.#scenario.name, executor: this.#scenario.executor, io },
      transferList: [io.port],
    });
    this.#workers.push(worker);
    let done = null;
    worker.on('message', (message) => {
      if (message.type === 'done') {
        this.samples.push(...message.samples);
        if (message.error !== null) {
          this.errors++;
          console.error(`VU ${id}: iteration failed: ${message.error}`);
        }
        done?.();
      }
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('error', (error) => {
        if (!ready) {
          reject(error); // the init context threw
          return;
        }
        this.errors++;
        console.error(`VU ${id} died: ${error?.stack ?? error}`);
        done?.();
      });
      worker.once('message', (message) => {
        if (message.type !== 'ready') {
          return;
        }
        ready = true;
        let sent = false;
        resolve({
          id,
          iterate: (n) => new Promise((finished) => {
            if (!sent) {
              worker.postMessage({ type: 'data', data: this.data });
              sent = true;
            }
            done = finished;
            worker.postMessage({ type: 'iterate', n });
          }),
        });
      });
    });
  }

  stop() {
    return Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
