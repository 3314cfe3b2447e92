// The part of 'k6/execution' the scripts use: which scenario, iteration and VU is running.
import { state } from '../runtime.mjs';

function current() {
  if (state.execution === null) {
    throw new Error('k6/execution: scenario and VU information exist only inside an iteration');
  }
  return state.execution;
}

export default {
  get scenario() {
    const e = current();
    return { name: e.scenario, executor: e.executor, iterationInTest: e.iterationInTest, iterationInInstance: e.iterationInTest };
  },
  get vu() {
    const e = current();
    return { idInTest: e.vu, idInInstance: e.vu, iterationInScenario: e.vuIteration, iterationInInstance: e.vuIteration };
  },
};
