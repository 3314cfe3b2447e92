// The end-of-test summary of one run, k6-style, and what failed in it.
import { percentile } from './thresholds.mjs';

/** Failed checks by name and failed thresholds as "key source", leaving out those on `checks` (they only
 * restate that a check failed). */
export function failures(result) {
  return [
    ...result.checks.filter((c) => c.fails > 0).map((c) => c.name),
    ...result.thresholds.filter((t) => !t.passed && t.metric !== 'checks').map((t) => `${t.key} ${t.source}`),
  ];
}

export function verdict(result) {
  if (result.error !== null) {
    return 'error';
  }
  return result.passed ? 'passed' : 'thresholds failed';
}

export function summary(result, indent = '') {
  const lines = [];
  for (const c of result.checks) {
    lines.push(`${c.fails === 0 ? '✓' : '✗'} check ${c.name} (${c.passes}/${c.passes + c.fails})`);
  }
  for (const [metric, values] of trends(result)) {
    const sorted = values.sort((a, b) => a - b);
    lines.push(`  ${metric}: ${sorted.length} samples, med ${round(percentile(sorted, 0.5))}, p(99) ${round(percentile(sorted, 0.99))}, max ${round(sorted.at(-1))}`);
  }
  for (const t of result.thresholds) {
    lines.push(`${t.passed ? '✓' : '✗'} ${t.key}: ${t.source} (${t.actual === undefined ? 'no samples' : round(t.actual)})`);
  }
  if (result.iterationErrors > 0) {
    lines.push(`${result.iterationErrors} iteration(s) threw`);
  }
  const took = Object.entries(result.phases).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`);
  if (took.length > 0) {
    lines.push(`took: ${took.join(', ')}`);
  }
  lines.push(result.error === null ? `verdict: ${verdict(result)}` : `verdict: error: ${result.error}`);
  return lines.map((l) => indent + l).join('\n');
}

// The Trend metrics' values, all tags together, for a human reading the run.
function trends(result) {
  const byMetric = new Map();
  for (const s of result.samples) {
    if (result.metrics.get(s.metric) === 'trend') {
      if (!byMetric.has(s.metric)) {
        byMetric.set(s.metric, []);
      }
      byMetric.get(s.metric).push(s.value);
    }
  }
  return byMetric;
}

function round(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
