// The machine's real kubectl, for end-to-end tests against the fake API server.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Why tests that need kubectl cannot run, or undefined when it is on PATH. */
export function kubectlMissing(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      accessSync(join(dir, 'kubectl'), constants.X_OK);
      return undefined;
    } catch {
      // not in this directory
    }
  }
  return 'kubectl is not on PATH: these tests run the real kubectl against the fake API server';
}

export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs kubectl asynchronously (the fake server lives in the test process, so a synchronous spawn would
 * deadlock), with its own discovery cache directory so parallel test files do not share one.
 */
export function kubectl(kubeconfig: string, cacheDir: string, args: string[]): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}
