// The part of 'k6/metrics' the scripts use: Trend and Counter. Declared in the init context, so the runner
// knows their types when it checks the thresholds.
import { declareMetric, record } from '../runtime.mjs';

class Metric {
  constructor(type, name) {
    if (!/^[A-Za-z0-9_]{1,128}$/.test(name)) {
      throw new Error(`invalid metric name '${name}'`);
    }
    declareMetric(name, type);
    this.name = name;
  }

  add(value, tags = {}) {
    record(this.name, Number(value), tags);
  }
}

export class Trend extends Metric {
  constructor(name, isTime = false) {
    super('trend', name);
    this.isTime = Boolean(isTime);
  }
}

export class Counter extends Metric {
  constructor(name) {
    super('counter', name);
  }
}

export default { Trend, Counter };
