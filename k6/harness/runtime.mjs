// What the k6 module shims share within one thread (the runner's main thread, or one VU's worker): the
// metric samples recorded so far, the metrics declared, the synchronous line to the I/O thread, and the
// iteration being run.
import { receiveMessageOnPort } from 'node:worker_threads';

const BUILTIN_METRICS = {
  checks: 'rate',
  http_reqs: 'counter',
  http_req_duration: 'trend',
  http_req_failed: 'rate',
  iterations: 'counter',
  iteration_duration: 'trend',
  dropped_iterations: 'counter',
};

// Longer than any request may take (k6's default request timeout is 60 s): past it the I/O thread is gone.
const IO_WAIT_MS = 120_000;

export const state = {
  samples: [],
  metrics: new Map(Object.entries(BUILTIN_METRICS)),
  io: null,
  /** { scenario, executor, vu, iterationInTest, vuIteration } while an iteration runs, else null. */
  execution: null,
};

export function reset() {
  state.samples = [];
  state.metrics = new Map(Object.entries(BUILTIN_METRICS));
  state.execution = null;
}

export function declareMetric(name, type) {
  const known = state.metrics.get(name);
  if (known !== undefined && known !== type) {
    throw new Error(`metric '${name}' is already a ${known}, not a ${type}`);
  }
  state.metrics.set(name, type);
}

export function record(metric, value, tags = {}) {
  state.samples.push({ metric, value, tags });
}

export function takeSamples() {
  const samples = state.samples;
  state.samples = [];
  return samples;
}

/** `port` and `flag` (a SharedArrayBuffer of one Int32) come from IoThread.connect() in the main thread. */
export function connectIo(port, flag) {
  state.io = { port, flag: new Int32Array(flag) };
}

/**
 * Sends requests through the I/O thread and blocks this thread until all are answered: k6 scripts call
 * http.get synchronously. The I/O thread posts the answers, then flips the flag and wakes us.
 */
export function sendSync(requests) {
  if (state.io === null) {
    throw new Error('no I/O thread: HTTP requests are not possible in the init context');
  }
  const { port, flag } = state.io;
  Atomics.store(flag, 0, 0);
  port.postMessage(requests);
  if (Atomics.wait(flag, 0, 0, IO_WAIT_MS) === 'timed-out') {
    throw new Error(`no answer from the I/O thread within ${IO_WAIT_MS / 1000} s`);
  }
  return receiveMessageOnPort(port).message;
}
