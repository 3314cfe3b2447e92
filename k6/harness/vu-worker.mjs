// One virtual user: its own thread and its own instance of the script (k6 runs the init context per VU),
// running the iterations the runner hands it, one at a time, and sending back each one's samples.
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import * as runtime from './runtime.mjs';

register('./loader.mjs', import.meta.url);

const { scriptUrl, env, vu, scenario, executor, io } = workerData;
globalThis.__ENV = env;
globalThis.__VU = vu;
globalThis.__ITER = 0;
const script = await import(scriptUrl);
// After the init context, as in k6: requests there are an error.
runtime.connectIo(io.port, io.flag);
let data;

parentPort.on('message', async (message) => {
  if (message.type === 'data') {
    data = message.data;
    return;
  }
  runtime.state.execution = { scenario, executor, vu, iterationInTest: message.n, vuIteration: globalThis.__ITER };
  const started = performance.now();
  let error = null;
  try {
    await script.default(data);
  } catch (e) {
    error = e?.stack ?? String(e);
  }
  runtime.record('iteration_duration', performance.now() - started, { scenario });
  runtime.record('iterations', 1, { scenario });
  runtime.state.execution = null;
  globalThis.__ITER++;
  parentPort.postMessage({ type: 'done', samples: runtime.takeSamples(), error });
});

parentPort.postMessage({ type: 'ready' });
