// The binaries of the real-API-server tier, found the way controller-runtime's envtest finds them: one folder
// named by KUBEBUILDER_ASSETS holding `kube-apiserver`, `etcd` and `kubectl` (what `setup-envtest use -p path`
// prints, or a Kubernetes release's server binaries beside an etcd release). `npm run envtest:assets` makes
// such a folder on this project's machines. Tests that need it skip with this module's reason when it is
// absent; ENVTEST_REQUIRED=1 (set by .ci/run) turns the skip into a failure.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

const ASSETS_ENV = 'KUBEBUILDER_ASSETS';
const BINARIES = ['kube-apiserver', 'etcd', 'kubectl'] as const;

export interface EnvtestAssets {
  readonly dir: string;
  readonly apiServer: string;
  readonly etcd: string;
  readonly kubectl: string;
}

function missing(dir: string): string[] {
  return BINARIES.filter((name) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/** The asset folder, or why the real-API-server tests cannot run here. */
export function envtestAssets(): EnvtestAssets | { skip: string } {
  const dir = process.env[ASSETS_ENV] ?? '';
  const absent = dir === '' ? [...BINARIES] : missing(dir);
  if (absent.length > 0) {
    const where = dir === '' ? `${ASSETS_ENV} is not set` : `${ASSETS_ENV}=${dir} lacks ${absent.join(', ')}`;
    const reason = `real kube-apiserver tier skipped: ${where} (a folder with kube-apiserver, etcd and kubectl; npm run envtest:assets makes one)`;
    if (process.env.ENVTEST_REQUIRED === '1') throw new Error(`${reason}; ENVTEST_REQUIRED=1 forbids skipping`);
    return { skip: reason };
  }
  return { dir, apiServer: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd'), kubectl: join(dir, 'kubectl') };
}

/** For `describe(name, { skip })`: false when the tier can run. */
export function envtestSkip(): string | false {
  const assets = envtestAssets();
  return 'skip' in assets ? assets.skip : false;
}
