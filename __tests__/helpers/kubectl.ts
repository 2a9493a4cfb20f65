// kubectl for the end-to-end tests against the fake API server (the binary: layer-binary.ts), so the tests never
// depend on whatever kubectl the machine has on PATH.
import { execFile } from 'node:child_process';
import { LAYER_PACKAGE, layerBinary } from './layer-binary.ts';

/** Path of the kubectl binary (v1.33), extracted from the npm layer on first use. */
export const kubectlBinary = (): string => layerBinary('kubectl/kubectl');

/**
 * Why tests that need kubectl cannot run (only on a machine that is not linux/x64, for which the package has
 * no binary), or undefined. With DTB_CORPUS_REQUIRED=1 (CI) a missing kubectl is an error, not a skip.
 */
export function kubectlMissing(): string | undefined {
  try {
    kubectlBinary();
    return undefined;
  } catch (error) {
    const reason = `kubectl from ${LAYER_PACKAGE} is not usable here (${error instanceof Error ? error.message : String(error)}): these tests run the real kubectl against the fake API server`;
    if (process.env.DTB_CORPUS_REQUIRED === '1') throw new Error(`${reason}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
    return reason;
  }
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
  const command = kubectlBinary();
  return new Promise((resolve) => {
    execFile(command, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}
