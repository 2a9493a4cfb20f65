import { performance } from 'node:perf_hooks';

/** The steps from process start to ready, in the order `run` meets them against an API server. */
export type StartupStep = 'started' | 'clientBuilt' | 'treeRead' | 'firstAnswer' | 'labelsStored' | 'ready';

/**
 * When each start-up step first happened, in ms since the process started (performance.now() counts from
 * there). Process-wide because a process start is: whichever code reaches a step first records it, and
 * later passes do not move it. `run` logs the timeline once, with "node labelled; ready", and bench/ reads it.
 */
const steps = new Map<StartupStep, number>();

export function markStartup(step: StartupStep): void {
  if (!steps.has(step)) steps.set(step, Math.round(performance.now()));
}

/** `runtime` (Node's own bootstrap finished) and the steps reached so far, in ms since the process started. */
export function startupTimeline(): Record<string, number> {
  return { runtime: Math.round(performance.nodeTiming.bootstrapComplete), ...Object.fromEntries(steps) };
}
