// The runner's handle on the I/O thread: connects threads to it, and sends the runner's own requests
// asynchronously (they go on while the main thread is blocked in setup or teardown).
import { MessageChannel, Worker } from 'node:worker_threads';

export class IoThread {
  #worker = new Worker(new URL('./io-worker.mjs', import.meta.url));
  #pending = new Map();
  #next = 0;

  constructor() {
    this.#worker.on('message', ({ id, answer }) => {
      this.#pending.get(id)?.(answer);
      this.#pending.delete(id);
    });
  }

  /** A { port, flag } pair for runtime.connectIo in the thread that will use it; transfer the port. */
  connect() {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.#worker.postMessage({ type: 'connect', port: port2, flag }, [port2]);
    return { port: port1, flag };
  }

  /** GET url; resolves to { status, headers, body, duration } (status 0 and error when nothing answered). */
  get(url, timeoutMs = 60_000) {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ type: 'send', id, request: { method: 'GET', url, timeoutMs } });
    });
  }

  stop() {
    return this.#worker.terminate();
  }
}
