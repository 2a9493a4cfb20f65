import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { isLoopback, loadKubeConfig } from '../../src/kubernetes/kube-config.ts';

const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST };
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const config = (server: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  });

function withDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an explicit kubeconfig wins; a bad one is one clear line naming the file', () =>
  withDir((dir) => {
    writeFileSync(join(dir, 'good'), config('https://api.example:6443'));
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'garbage'), 'apiVersion: v1\nclusters: [\n  - {{{\n:::\n');
    assert.equal(loadKubeConfig({ kubeconfig: join(dir, 'good') }).getCurrentCluster()?.server, 'https://api.example:6443');
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'empty') }), /^KubeConfigError: cannot load kubeconfig .*empty: /);
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'absent') }), /cannot load kubeconfig .*absent: not found$/);
    assert.throws(() => loadKubeConfig({ kubeconfig: dir }), /cannot load kubeconfig .*: is a directory$/);
    assert.throws(
      () => loadKubeConfig({ kubeconfig: join(dir, 'garbage') }),
      (error: Error) => /^cannot load kubeconfig .*garbage: not a kubeconfig \(/.test(error.message) && !error.message.includes('\n'),
    );
  }));

test('KUBECONFIG, then ~/.kube/config; with neither (and no pod) it refuses instead of guessing localhost', () =>
  withDir((home) => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    process.env.HOME = home;
    process.env.KUBECONFIG = '';
    assert.throws(() => loadKubeConfig({}), /no cluster access: not running in a pod, and no kubeconfig/);
    process.env.KUBECONFIG = join(home, 'missing');
    assert.throws(() => loadKubeConfig({}), new RegExp(`^KubeConfigError: KUBECONFIG names ${join(home, 'missing')}, which does not exist$`));
    writeFileSync(join(home, 'env-config'), config('https://from-env:6443'));
    process.env.KUBECONFIG = join(home, 'env-config');
    assert.equal(loadKubeConfig({}).getCurrentCluster()?.server, 'https://from-env:6443');
  }));

test('plain HTTP works to a loopback address (a MetaServer), without credentials; anywhere else it is refused', () =>
  withDir((dir) => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    writeFileSync(join(dir, 'local'), config('http://127.0.0.1:10550'));
    const local = loadKubeConfig({ kubeconfig: join(dir, 'local') });
    assert.equal(local.getCurrentCluster()?.server, 'http://127.0.0.1:10550');
    assert.equal(local.getCurrentUser()?.token, undefined, 'no token over plain HTTP');
    const alone = loadKubeConfig({ apiServer: 'http://127.0.0.1:10550' });
    assert.equal(alone.getCurrentCluster()?.server, 'http://127.0.0.1:10550');
    writeFileSync(join(dir, 'remote'), config('http://10.0.0.1:8080'));
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'remote') }), /^KubeConfigError: http:\/\/10\.0\.0\.1:8080: plain HTTP is refused except to a loopback address/);
    assert.throws(() => loadKubeConfig({ apiServer: 'ftp://x' }), /must be https:\/\//);
    assert.throws(() => loadKubeConfig({ apiServer: 'not a url' }), /is not an API server URL/);
    writeFileSync(join(dir, 'secure'), config('https://api.example:6443'));
    const moved = loadKubeConfig({ kubeconfig: join(dir, 'secure'), apiServer: 'https://169.254.30.10:10550' });
    assert.equal(moved.getCurrentCluster()?.server, 'https://169.254.30.10:10550');
    assert.equal(moved.getCurrentUser()?.token, 't', "--api-server keeps the kubeconfig's credentials over https");
  }));

test('loopback addresses', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) assert.ok(isLoopback(host), host);
  for (const host of ['10.0.0.1', '169.254.30.10', 'example.com', '127.0.0.1.example.com', '::2']) assert.ok(!isLoopback(host), host);
});
