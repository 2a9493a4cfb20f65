// Checks shared by the end-to-end tests that run the chart's rendered DaemonSet command line as a process.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { LabellerProcess } from '../helpers/labeller-process.ts';

/** Fails clearly when a rendered metrics port is taken on this machine (the args are used as rendered). */
export async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`the rendered --metrics-address=:${port} cannot be used here: ${error.code ?? error.message}; free port ${port} to run this test`)),
    );
    probe.listen(port, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Whether /readyz on the pod's metrics port answers 200. */
export async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** Nothing refused, nothing logged as an error, and only JSON log lines on stderr. */
export function assertNoRefusal(child: LabellerProcess): void {
  const bad = child.logs.filter((line) => line.level === 'error' || /refused|forbidden|invalid/i.test(line.message));
  assert.deepEqual(bad, [], child.transcript());
  assert.deepEqual(
    child.otherOutput.filter((line) => line !== ''),
    [],
    'only JSON log lines',
  );
}
