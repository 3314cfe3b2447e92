// The I/O thread: makes the HTTP requests of every other thread with fetch (keep-alive connections, as
// many as needed). A thread that connected with a port and a flag gets its answers on the port, then the
// flag set and a wake-up (it waits blocked in runtime.sendSync); the runner's own requests ('send') are
// answered with a message.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (message) => {
  if (message.type === 'connect') {
    const flag = new Int32Array(message.flag);
    message.port.on('message', async (requests) => {
      const answers = await Promise.all(requests.map(send));
      message.port.postMessage(answers);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
  } else if (message.type === 'send') {
    send(message.request).then((answer) => parentPort.postMessage({ type: 'answer', id: message.id, answer }));
  }
});

async function send({ method, url, body, headers, timeoutMs }) {
  const started = performance.now();
  try {
    const res = await fetch(url, { method, body: body ?? undefined, headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { url: res.url || url, status: res.status, headers: canonical(res.headers), body: text, duration: performance.now() - started };
  } catch (error) {
    return { url, status: 0, headers: {}, body: null, error: String(error.cause?.message ?? error.message), duration: performance.now() - started };
  }
}

// k6 (Go) hands header names over canonicalised: x-cache-status -> X-Cache-Status.
function canonical(headers) {
  const result = {};
  for (const [name, value] of headers) {
    result[name.replace(/(^|-)([a-z])/g, (_, dash, letter) => dash + letter.toUpperCase())] = value;
  }
  return result;
}
