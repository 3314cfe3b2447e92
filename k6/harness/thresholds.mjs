// k6 thresholds: parsed and checked against the metrics before the run (an unknown metric or an aggregation
// its type lacks is an error), evaluated once over all samples at the end, with k6's end-of-test rules:
// an empty Trend reads 0 for every aggregation, an empty Rate passes, an empty Counter counts 0.
// Sources: grafana/k6 metrics/thresholds.go, metric_type.go, sink.go.
const AGGREGATIONS = {
  counter: ['count', 'rate'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};

const EXPRESSION = /^\s*(avg|min|max|med|count|rate|value|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;

/** @returns [{ key, metric, type, tags, source, aggregation, percentile, operator, value }] */
export function parseThresholds(thresholds, metrics) {
  const parsed = [];
  for (const [key, sources] of Object.entries(thresholds)) {
    const name = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
    if (name === null) {
      throw new Error(`invalid threshold key '${key}'`);
    }
    const metric = name[1];
    const type = metrics.get(metric);
    if (type === undefined) {
      throw new Error(`invalid threshold defined on ${key}: no metric '${metric}'`);
    }
    const tags = parseTags(name[2]);
    for (const entry of Array.isArray(sources) ? sources : [sources]) {
      const source = typeof entry === 'string' ? entry : entry.threshold;
      const match = EXPRESSION.exec(source);
      if (match === null) {
        throw new Error(`invalid threshold '${source}' on ${key}`);
      }
      const aggregation = match[2] === undefined ? match[1] : 'p';
      if (!AGGREGATIONS[type]?.includes(aggregation)) {
        throw new Error(`invalid threshold '${source}' on ${key}: a ${type} has no '${aggregation}' (only ${AGGREGATIONS[type]})`);
      }
      parsed.push({ key, metric, type, tags, source, aggregation, percentile: Number(match[2]), operator: match[3], value: Number(match[4]) });
    }
  }
  return parsed;
}

/** @returns the thresholds with { passed, actual } (actual is undefined when k6 has nothing to compare). */
export function evaluateThresholds(thresholds, samples, durationMs) {
  return thresholds.map((t) => {
    const values = samples.filter((s) => s.metric === t.metric && matches(s.tags, t.tags)).map((s) => s.value);
    const actual = aggregate(t, values, durationMs);
    return { ...t, actual, passed: actual === undefined || compare(actual, t.operator, t.value) };
  });
}

function parseTags(text) {
  const tags = {};
  if (text === undefined || text.trim() === '') {
    return tags;
  }
  for (const pair of text.split(',')) {
    const colon = pair.indexOf(':');
    if (colon < 0) {
      throw new Error(`invalid sub-metric tag '${pair}'`);
    }
    tags[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim().replace(/^(["'`])(.*)\1$/, '$2');
  }
  return tags;
}

function matches(sampleTags, wanted) {
  return Object.entries(wanted).every(([k, v]) => sampleTags[k] === v);
}

function aggregate(t, values, durationMs) {
  switch (t.type) {
    case 'counter': {
      const count = values.reduce((a, b) => a + b, 0);
      return t.aggregation === 'count' ? count : count / (durationMs / 1000);
    }
    case 'rate':
      return values.length === 0 ? undefined : values.filter((v) => v !== 0).length / values.length;
    default: {
      if (values.length === 0) {
        return 0;
      }
      const sorted = [...values].sort((a, b) => a - b);
      switch (t.aggregation) {
        case 'min':
          return sorted[0];
        case 'max':
          return sorted[sorted.length - 1];
        case 'avg':
          return values.reduce((a, b) => a + b, 0) / values.length;
        case 'med':
          return percentile(sorted, 0.5);
        default:
          return percentile(sorted, t.percentile / 100);
      }
    }
  }
}

/** Of ascending values, by linear interpolation between the closest ranks, as k6's TrendSink.P. */
export function percentile(sorted, p) {
  const i = p * (sorted.length - 1);
  const low = sorted[Math.floor(i)];
  const high = sorted[Math.ceil(i)];
  return low + (high - low) * (i - Math.floor(i));
}

function compare(actual, operator, value) {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '!=':
      return actual !== value;
    default:
      return actual === value;
  }
}
