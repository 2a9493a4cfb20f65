// tier: full (builds the image from the Dockerfile with buildah, runs it with podman against a real kube-apiserver)
// The container image users run. scripts/image/build.sh builds the repository's Dockerfile with buildah for
// linux/amd64 and linux/arm64; on a machine without a container registry its two bases are local stand-ins
// under their real names (scripts/image/stand-in-bases.sh). Each architecture's image is then run with
// podman — arm64 through qemu-user-static's binfmt_misc entry — as the image's commands (`labels` and `dump`,
// the dry run on a JetPack 4 board that cannot run Node 24) and as the chart's DaemonSet runs it: the
// container spec rendered by helm (args, env, securityContext, hostPath mounts, memory limit) turned into
// podman flags the way the kubelet applies them (container.ts), with a ServiceAccount token bound to a Pod
// made from the chart's own template, against a real API server with the chart's RBAC and admission policy.
//
// DT_IMAGE=REF tests an image built elsewhere by build.sh instead of building one: every platform of its
// manifest list (REF-amd64, REF-arm64, REF-arm-v7 as build.sh names them). IMAGE_REQUIRED=1 (set by .ci/run
// and the release workflow) turns every skip into a failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { daemonSets, NAMESPACE, VAP_API, type Variant } from '../charts/chart.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane, freePort } from '../helpers/envtest/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { renderChart } from '../helpers/helm.ts';
import { makeHostRoot, NV_TEGRA_RELEASE_R32_7_1 } from '../helpers/host-root.ts';
import { REPO } from '../helpers/run-cli.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';
import { type ChartPod, podman, podmanOk, RUN_FLAGS, startChartPod, writeServiceAccount } from './container.ts';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string };
const IMAGE = process.env.DT_IMAGE ?? `localhost/dt-node-labeller:${pkg.version}`;
const NANO_DTB = join(REPO, 'examples/devicetree/jetson-nano.dtb');
const T = 'tegra.beta.devicetree.org/';
const RELEASE_FACTS = { [`${T}l4t.release`]: '32.7.1', [`${T}l4t.major`]: '32', [`${T}jetpack.major`]: '4' };
const NODE = 'nano';

/** Why the image cannot be built or run here, or false. */
function imageSkip(): string | false {
  const missing = ['buildah', 'podman'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  let reason: string | undefined;
  if (missing.length > 0) reason = `${missing.join(' and ')} not installed (Debian: apt-get install buildah podman runc qemu-user-static)`;
  else if (process.getuid?.() !== 0) reason = 'building and running images with buildah and podman here needs root';
  if (reason === undefined) return false;
  if (process.env.IMAGE_REQUIRED === '1') throw new Error(`the image tests: ${reason}; IMAGE_REQUIRED=1 forbids skipping`);
  return `the image tests: ${reason}`;
}

/** One platform of the image: its OCI architecture and variant, Node's name for it, and its qemu. */
interface Platform {
  readonly name: string; // linux/arm/v7
  readonly arch: string; // arm
  readonly variant: string | undefined; // v7
  readonly suffix: string; // arm-v7: build.sh tags each platform's image <tag>-<suffix>
  readonly emulated: boolean;
  readonly qemu: string; // binfmt_misc entry that runs it when emulated
}

const NODE_ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64', arm: 'arm' };
const QEMU: Record<string, string> = { amd64: 'qemu-x86_64', arm64: 'qemu-aarch64', arm: 'qemu-arm' };
function platform(name: string): Platform {
  const [, arch = '', variant] = name.split('/');
  return { name, arch, variant, suffix: [arch, variant].filter(Boolean).join('-'), emulated: NODE_ARCH[arch] !== process.arch, qemu: QEMU[arch] ?? `qemu-${arch}` };
}

/**
 * The platforms under test: the two build.sh makes here, or every one in DT_IMAGE's manifest list (the
 * release adds linux/arm/v7, whose Node.js 22 base has no stand-in here).
 */
function platforms(skipped: string | false): Platform[] {
  if (process.env.DT_IMAGE === undefined || skipped !== false) return ['linux/amd64', 'linux/arm64'].map(platform);
  const list = spawnSync('buildah', ['manifest', 'inspect', process.env.DT_IMAGE], { encoding: 'utf8' });
  assert.equal(list.status, 0, `DT_IMAGE=${process.env.DT_IMAGE} is not a manifest list here: ${list.stderr}`);
  const manifests = (JSON.parse(list.stdout) as { manifests: { platform: { os: string; architecture: string; variant?: string } }[] }).manifests;
  return manifests.map(({ platform: p }) => platform([p.os, p.architecture, p.variant].filter(Boolean).join('/')));
}

/** Why a platform cannot run here (no enabled binfmt_misc entry for its qemu), or false. */
function platformSkip(p: Platform): string | false {
  if (!p.emulated) return false;
  const entry = `/proc/sys/fs/binfmt_misc/${p.qemu}`;
  if (existsSync(entry) && readFileSync(entry, 'utf8').startsWith('enabled')) return false;
  const reason = `no enabled ${entry}: mount binfmt_misc and enable qemu-user-static's entry (update-binfmts --enable ${p.qemu})`;
  if (process.env.IMAGE_REQUIRED === '1') throw new Error(`${reason}; IMAGE_REQUIRED=1 forbids skipping`);
  return reason;
}

const skip = imageSkip() || envtestSkip();
const PLATFORMS = platforms(skip);

describe('the image, built from the Dockerfile and run as the chart runs it', { skip }, () => {
  let plane: ControlPlane;
  let hostRoot = '';
  const scratch = scratchDirs('image-');
  const pods: ChartPod[] = [];

  before(async () => {
    if (process.env.DT_IMAGE === undefined) {
      const started = Date.now();
      const built = spawnSync('bash', ['scripts/image/build.sh', '--stand-in-bases', '--platforms', 'linux/amd64,linux/arm64', '--tag', IMAGE], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 30 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(built.status, 0, `scripts/image/build.sh failed:\n${(built.stdout + built.stderr).split('\n').slice(-40).join('\n')}`);
      process.stdout.write(`# image: built ${IMAGE} (linux/amd64, linux/arm64) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
    // The node's filesystem: the blob at /sys/firmware/fdt (0400 root, as the kernel exposes it), the
    // world-readable expanded tree beside it, and L4T's release file.
    hostRoot = makeHostRoot(scratch(), NANO_DTB, { fdtMode: 0o400, release: NV_TEGRA_RELEASE_R32_7_1 });

    plane = await ControlPlane.start();
    // As the README installs it: the namespace with Pod Security "privileged" (hostPath), then the chart's
    // objects (RBAC, ServiceAccount, admission policy) but for the helm-test Pod.
    await plane.ok('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
    const objects = renderChart({ apiVersions: [VAP_API] }).filter((r) => r.object.kind !== 'Pod');
    await plane.apply(objects.map((r) => r.object));
  });
  after(async () => {
    for (const pod of pods.splice(0)) await pod.remove();
    await plane?.stop();
  });

  /** `podman run --rm` of the image's command, with the host's /sys/firmware and release file under /host. */
  const dryRun = (image: string, platformFlags: readonly string[], args: readonly string[]) =>
    podman([
      'run',
      '--rm',
      ...RUN_FLAGS,
      ...platformFlags,
      '--network',
      'none',
      '--read-only',
      '--cap-drop=all',
      '--volume',
      `${join(hostRoot, 'sys/firmware')}:/host/sys/firmware:ro`,
      '--volume',
      `${join(hostRoot, 'etc/nv_tegra_release')}:/host/etc/nv_tegra_release:ro`,
      image,
      ...args,
    ]);

  for (const p of PLATFORMS) {
    const { arch } = p;
    const image = `${IMAGE}-${p.suffix}`;
    /** podman's platform flags for this image: it runs exactly that instance, without a lookup warning. */
    const platformFlags = ['--arch', arch, ...(p.variant === undefined ? [] : ['--variant', p.variant])];
    /** `podman run --rm` of this image with no network: `options` for podman, `args` for the labeller. */
    const runOffline = (options: readonly string[], args: readonly string[]) =>
      podman(['run', '--rm', ...RUN_FLAGS, ...platformFlags, '--network', 'none', ...options, image, ...args]);
    describe(`${p.name}${p.emulated ? ' (under qemu-user-static)' : ''}`, { skip: platformSkip(p) }, () => {
      afterEach(async () => {
        for (const pod of pods.splice(0)) await pod.remove();
        await plane.deleteAllNodes();
      });

      test('the image: distroless Node at /nodejs/bin/node, /app holding dist/, package.json and its code cache only, no shell, no node_modules', async () => {
        const [inspect] = JSON.parse(await podmanOk(['image', 'inspect', image])) as {
          Architecture: string;
          Os: string;
          Size: number;
          Config: { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string; Env: string[]; Labels: Record<string, string> };
        }[];
        assert.ok(inspect);
        assert.equal(inspect.Architecture, arch);
        assert.equal(inspect.Os, 'linux');
        assert.deepEqual(inspect.Config.Entrypoint, [
          '/nodejs/bin/node',
          '--no-opt',
          '--no-maglev',
          '--no-sparkplug',
          '--bytecode-old-age=1',
          '--max-semi-space-size=1',
          '--optimize-for-size',
          '/app/dist/dt-node-labeller.js',
        ]);
        assert.deepEqual(inspect.Config.Cmd, ['run']);
        assert.equal(inspect.Config.User, '0:0');
        assert.equal(inspect.Config.WorkingDir, '/app');
        assert.ok(inspect.Config.Env.includes('MALLOC_ARENA_MAX=2'));
        assert.ok(inspect.Config.Env.includes('NODE_COMPILE_CACHE=/app/compile-cache'));
        assert.equal(inspect.Config.Labels['org.opencontainers.image.version'], pkg.version);
        assert.equal(inspect.Config.Labels['org.opencontainers.image.licenses'], pkg.license);
        if (process.env.DT_IMAGE === undefined) {
          const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
          assert.equal(inspect.Config.Labels['org.opencontainers.image.revision'], head);
        }
        const root = (await podmanOk(['image', 'mount', image])).trim();
        try {
          assert.deepEqual(readdirSync(join(root, 'app')).sort(), ['compile-cache', 'dist', 'package.json']);
          // V8's code cache of dist/, one folder per user id it was made as (Node names them
          // v<version>-<arch>-<V8 cache tag>-<uid>): root and the chart's non-root user, each with an entry per module.
          const cacheDir = statSync(join(root, 'app/compile-cache'));
          assert.equal(cacheDir.mode & 0o7777, 0o755, 'written while the image was built, by root alone since');
          assert.equal(cacheDir.uid, 0);
          const caches = readdirSync(join(root, 'app/compile-cache')).sort();
          assert.deepEqual(
            caches.map((dir) => dir.replace(/^v[\d.]+-\w+-[0-9a-f]+-(\d+)$/, 'uid $1')),
            ['uid 0', 'uid 65532'],
          );
          // Every module but those only other commands import (cleanup, and YAML output for the dry run).
          const modules = readdirSync(join(root, 'app/dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js') && !/(^|\/)(cleanup|yaml-output)-/.test(f));
          for (const dir of caches) assert.equal(readdirSync(join(root, 'app/compile-cache', dir)).length, modules.length, `${dir}: an entry per module of ${modules.join(', ')}`);
          assert.deepEqual(
            readdirSync(join(root, 'app'), { recursive: true, encoding: 'utf8' }).filter((f) => f.includes('node_modules')),
            [],
          );
          assert.ok(existsSync(join(root, 'nodejs/bin/node')));
          for (const shell of ['bin/sh', 'bin/bash', 'bin/busybox']) assert.ok(!existsSync(join(root, shell)), `${shell} in the image`);
          assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^nonroot:x:65532:65532:/m, 'distroless nonroot user');
        } finally {
          await podman(['image', 'unmount', image]);
        }
        process.stdout.write(`# image: ${image} ${(inspect.Size / 1e6).toFixed(1)} MB uncompressed\n`);
      });

      test('`labels` and `dump` as the dry run on a board without Node: /sys/firmware and /etc/nv_tegra_release under /host', async () => {
        const version = await dryRun(image, platformFlags, ['--version']);
        assert.equal(version.code, 0, version.stderr);
        assert.equal(version.stdout.trim(), pkg.version);
        const labels = await dryRun(image, platformFlags, ['labels', '--host-root', '/host', '-o', 'json']);
        assert.equal(labels.code, 0, labels.stderr);
        assert.deepEqual(JSON.parse(labels.stdout), { ...JETSON_NANO_LABELS, ...RELEASE_FACTS });
        // dump's source, compiled by dtc, is the blob's tree again (dtc decompiles both the same way).
        const dump = await dryRun(image, platformFlags, ['dump', '--host-root', '/host']);
        assert.equal(dump.code, 0, dump.stderr);
        const dtc = (input: string | Buffer, from: string) => spawnSync('dtc', ['-q', '-I', from, '-O', 'dts', '-'], { input, encoding: 'utf8' });
        const fromDump = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: dump.stdout });
        assert.equal(fromDump.status, 0, String(fromDump.stderr));
        assert.equal(dtc(fromDump.stdout, 'dtb').stdout, dtc(readFileSync(NANO_DTB), 'dtb').stdout);
        // A host root with no devicetree (/app: a folder that has none) is a clear line and exit 1, not a stack
        // trace; one that is not there at all (nothing mounted at /host) is a usage error, exit 2.
        const empty = await runOffline([], ['labels', '--host-root', '/app']);
        assert.equal(empty.code, 1, empty.stderr);
        assert.equal(empty.stderr.trim().split('\n').length, 1, empty.stderr);
        const missing = await runOffline([], ['labels', '--host-root', '/host']);
        assert.equal(missing.code, 2, missing.stderr);
        assert.match(missing.stderr, /--host-root.*\/host does not exist/);
      });

      test("a start takes the image's code cache for every module, as root and as the non-root user", async () => {
        // The warm-up's own command, on the pod's read-only root: Node says per module whether it took the
        // cache (NODE_DEBUG_NATIVE=COMPILE_CACHE); nothing may be compiled afresh.
        for (const user of ['0:0', '65532:65532']) {
          const start = await runOffline(
            ['--read-only', '--user', user, '--env', 'NODE_DEBUG_NATIVE=COMPILE_CACHE'],
            ['run', '--once', '--host-root', '/app', '--nfd-features-file', '/tmp/labels.txt'],
          );
          assert.equal(start.code, 0, start.stderr);
          const accepted = start.stderr.split('\n').filter((line) => /V8 code cache for ESM \S+ was accepted/.test(line));
          assert.ok(accepted.length >= 10, `${user}: ${accepted.length} modules from the cache\n${start.stderr}`);
          assert.doesNotMatch(start.stderr, /rejected|mismatch|no cache/i, user);
        }
      });

      for (const [mode, slug, values] of [
        ['uid 0', 'root', {}],
        ['the non-root mode (uid 65532)', 'nonroot', { security: { runAsNonRoot: true } }],
      ] as const) {
        test(`run as the chart's -l4t DaemonSet runs it, ${mode}: labels stored, probes answer, SIGTERM exits 0`, async () => {
          const port = await freePort();
          const rendered = renderChart({ apiVersions: [VAP_API], values: { ...values, metrics: { port } } });
          const variant: Variant = 'l4t';
          const template = daemonSets(rendered).get(variant)!.spec!.template as IPodTemplateSpec;
          const spec = template.spec!;
          const container = spec.containers[0]!;
          await plane.createNode(NODE, { labels: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': arch } });
          const podName = `labeller-${p.suffix}-${slug}`;
          const { token } = await plane.podToken(NAMESPACE, template, podName, NODE);
          const api = new URL(plane.url);
          const running = await startChartPod(
            image,
            spec,
            { ...container, image },
            {
              hostPath: (path) => join(hostRoot, path),
              nodeName: NODE,
              podName,
              namespace: NAMESPACE,
              serviceAccountDir: writeServiceAccount(join(scratch(), 'serviceaccount'), token, plane.ca, NAMESPACE),
              apiServer: { host: api.hostname, port: Number(api.port) },
              platformFlags,
              emulated: p.emulated,
            },
            port,
          );
          pods.push(running);
          /** A failed wait, with what the container logged. */
          const waitFor = async (check: () => Promise<boolean>, what: string) => {
            try {
              await eventually(check, what, p.emulated ? 90_000 : 15_000, 100);
            } catch (error) {
              const { stdout, stderr } = await running.logs();
              throw new Error(`${(error as Error).message}\n${stdout}${stderr}`);
            }
          };
          const expected = { ...JETSON_NANO_LABELS, ...RELEASE_FACTS };
          await waitFor(async () => {
            const labels = await plane.labels(NODE);
            return Object.entries(expected).every(([k, v]) => labels[k] === v);
          }, 'the labels');
          assert.deepEqual(await plane.labels(NODE), { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': arch, ...expected });
          for (const probe of ['/healthz', '/readyz']) {
            await waitFor(async () => (await fetch(`http://127.0.0.1:${port}${probe}`).catch(() => undefined))?.status === 200, `${probe} on the metrics port ${port}`);
          }
          const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          assert.match(metrics, /^dt_node_labeller_/m);
          const memory = await running.memory();
          const log = await running.logs();
          const lines = log.stderr.split('\n').filter((line) => line !== '');
          for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line}`);
          assert.deepEqual(
            lines.filter((line) => /"level":"error"|forbidden|refused/i.test(line)),
            [],
          );
          const stopped = await running.terminate();
          assert.equal(stopped.code, 0, JSON.stringify(await running.logs()));
          // The kubelet sends SIGKILL after the grace period; the labeller must be gone well before it.
          assert.ok(stopped.ms < (spec.terminationGracePeriodSeconds ?? 30) * 1000, `SIGTERM took ${stopped.ms} ms`);
          process.stdout.write(
            `# image: ${image} ${mode}: RSS ${(memory.rss / 1024).toFixed(1)} MiB (anonymous ${(memory.anon / 1024).toFixed(1)} MiB) once ready; SIGTERM → exit 0 in ${stopped.ms} ms\n`,
          );
          assert.deepEqual(await plane.labels(NODE), { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': arch, ...expected }, 'labels stay when the pod stops');
          await plane.call('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${podName}?gracePeriodSeconds=0`);
        });
      }
    });
  }
});
