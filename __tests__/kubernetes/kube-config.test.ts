import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.ts';

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

test('an explicit kubeconfig wins; a bad one is one clear error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  try {
    writeFileSync(join(dir, 'good'), config('https://api.example:6443'));
    writeFileSync(join(dir, 'empty'), '');
    assert.equal(loadKubeConfig(join(dir, 'good')).getCurrentCluster()?.server, 'https://api.example:6443');
    assert.throws(() => loadKubeConfig(join(dir, 'empty')), /^Error: cannot load kubeconfig .*empty: /);
    assert.throws(() => loadKubeConfig(join(dir, 'absent')), /cannot load kubeconfig .*absent: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('KUBECONFIG, then ~/.kube/config; with neither (and no pod) it refuses instead of guessing localhost', () => {
  const home = mkdtempSync(join(tmpdir(), 'home-'));
  try {
    delete process.env.KUBERNETES_SERVICE_HOST;
    process.env.HOME = home;
    process.env.KUBECONFIG = '';
    assert.throws(() => loadKubeConfig(undefined), /no cluster access: not running in a pod, and no kubeconfig/);
    writeFileSync(join(home, 'env-config'), config('https://from-env:6443'));
    process.env.KUBECONFIG = join(home, 'env-config');
    assert.equal(loadKubeConfig(undefined).getCurrentCluster()?.server, 'https://from-env:6443');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
