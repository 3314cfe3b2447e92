// The part of the 'k6' module the scripts use: check and sleep.
import { record } from '../runtime.mjs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Records one `checks` sample per named check (tag `check`); true when all passed. */
export function check(value, sets, tags = {}) {
  let all = true;
  for (const [name, condition] of Object.entries(sets)) {
    const passed = Boolean(typeof condition === 'function' ? condition(value) : condition);
    record('checks', passed ? 1 : 0, { ...tags, check: name });
    all &&= passed;
  }
  return all;
}

/** Blocks this thread, as k6's sleep blocks its VU. */
export function sleep(seconds) {
  if (seconds > 0) {
    Atomics.wait(sleeper, 0, 0, seconds * 1000);
  }
}

export default { check, sleep };
