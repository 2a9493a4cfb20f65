// The container image's footprint: its size per architecture (uncompressed, and gzip-compressed as a
// registry stores it), the time scripts/image/build.sh takes, and the idle memory of the container run as the
// chart's DaemonSet runs it (podman, __tests__/image/container.ts) against a real kube-apiserver
// (KUBEBUILDER_ASSETS), next to the image's own node idling with the same flags. Needs root, buildah and
// podman, like the image tests. Medians over the runs; one JSON summary line last.
//
//   npm run --silent bench:image -- [--runs 3] [--idle-seconds 60] [--no-build] [--image REF]
//
// Without --no-build the image is built first (with stand-in bases: scripts/image/build.sh --stand-in-bases);
// the build time is with the stand-in bases already made, so it is the Dockerfile's own. The arm64 image is
// sized but not run for memory: under qemu-user-static the emulator's own memory is counted (it is about
// 2.7× the native figure), which says nothing about a board.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { daemonSets, NAMESPACE, VAP_API } from '../__tests__/charts/chart.ts';
import { ControlPlane, freePort } from '../__tests__/helpers/envtest/control-plane.ts';
import { renderChart } from '../__tests__/helpers/helm.ts';
import { makeHostRoot } from '../__tests__/helpers/host-root.ts';
import { podman, podmanOk, RUN_FLAGS, startChartPod, writeServiceAccount } from '../__tests__/image/container.ts';
import { median, round } from './lib/controller.ts';

const REPO = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '60' },
    'no-build': { type: 'boolean', default: false },
    image: { type: 'string', default: `localhost/dt-node-labeller:${pkg.version}` },
  },
});
const ARCHES = ['amd64', 'arm64'];
const log = (line: string) => process.stderr.write(`${line}\n`);
const mib = (kib: number) => round(kib / 1024, 1);

let buildSeconds: number | undefined;
if (!values['no-build']) {
  const bases = spawnSync('bash', ['scripts/image/stand-in-bases.sh', '--arch', ARCHES.join(',')], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (bases.status !== 0) throw new Error('stand-in-bases.sh failed');
  const started = performance.now();
  const built = spawnSync('bash', ['scripts/image/build.sh', '--stand-in-bases', '--platforms', ARCHES.map((a) => `linux/${a}`).join(','), '--tag', values.image], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) throw new Error('build.sh failed');
  buildSeconds = round((performance.now() - started) / 1000, 0);
  log(`build: ${buildSeconds} s for ${ARCHES.join(' and ')}`);
}

/** Uncompressed size, and the size of its layers gzip-compressed (pushed to a local OCI layout). */
async function sizes(image: string): Promise<{ uncompressed_mb: number; compressed_mb: number }> {
  const [inspect] = JSON.parse(await podmanOk(['image', 'inspect', image])) as { Size: number }[];
  const layout = mkdtempSync(join(tmpdir(), 'image-size-'));
  try {
    await podmanOk(['push', '--compression-format', 'gzip', image, `oci:${layout}:size`]);
    const blobs = join(layout, 'blobs/sha256');
    const bytes = readdirSync(blobs).reduce((sum, blob) => sum + statSync(join(blobs, blob)).size, 0);
    return { uncompressed_mb: round(inspect!.Size / 1e6, 1), compressed_mb: round(bytes / 1e6, 1) };
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

const images: Record<string, { uncompressed_mb: number; compressed_mb: number }> = {};
for (const arch of ARCHES) {
  images[arch] = await sizes(`${values.image}-${arch}`);
  log(`${arch}: ${images[arch].uncompressed_mb} MB uncompressed, ${images[arch].compressed_mb} MB compressed`);
}

// ---- idle memory of the chart's pod, native architecture ----

const native = process.arch === 'x64' ? 'amd64' : 'arm64';
const image = `${values.image}-${native}`;
const plane = await ControlPlane.start();
const host = mkdtempSync(join(tmpdir(), 'bench-image-'));
const samples: { rss: number; anon: number; bare: number }[] = [];
try {
  makeHostRoot(host, join(REPO, 'examples/devicetree/jetson-nano.dtb'));
  await plane.ok('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
  const port = await freePort();
  const rendered = renderChart({ apiVersions: [VAP_API], values: { metrics: { port } } });
  await plane.apply(rendered.filter((r) => r.object.kind !== 'Pod').map((r) => r.object));
  const template = daemonSets(rendered).get('main')!.spec!.template as IPodTemplateSpec;
  const spec = template.spec!;
  const api = new URL(plane.url);
  const entrypoint = (JSON.parse(await podmanOk(['image', 'inspect', image])) as { Config: { Entrypoint: string[] } }[])[0]!.Config.Entrypoint;
  for (let run = 1; run <= Number(values.runs); run++) {
    const node = `bench-${run}`;
    await plane.createNode(node, { labels: { 'kubernetes.io/arch': native } });
    const podName = `labeller-${run}`;
    const { token } = await plane.podToken(NAMESPACE, template, podName, node);
    const sa = writeServiceAccount(join(host, `sa-${run}`), token, plane.ca, NAMESPACE);
    const labeller = await startChartPod(
      image,
      spec,
      spec.containers[0]!,
      {
        hostPath: (path) => join(host, path),
        nodeName: node,
        podName,
        namespace: NAMESPACE,
        serviceAccountDir: sa,
        apiServer: { host: api.hostname, port: Number(api.port) },
        platformFlags: ['--arch', native],
        emulated: false,
      },
      port,
    );
    // The image's node with the image's flags and nothing to do: what Node itself costs in this image.
    const bare = `dtnl-bench-bare-${process.pid}`;
    await podmanOk([
      'run',
      '--detach',
      '--name',
      bare,
      ...RUN_FLAGS,
      '--network',
      'none',
      '--read-only',
      '--entrypoint',
      entrypoint[0]!,
      image,
      ...entrypoint.slice(1, -1),
      '-e',
      'setInterval(() => {}, 1 << 30)',
    ]);
    try {
      const deadline = Date.now() + 30_000;
      while (Object.keys(await plane.labels(node)).length === 1 && Date.now() < deadline) await delay(100);
      await delay(Number(values['idle-seconds']) * 1000);
      const memory = await labeller.memory();
      const barePid = (await podmanOk(['inspect', '--format', '{{.State.Pid}}', bare])).trim();
      const bareRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${barePid}/status`, 'utf8'))?.[1]);
      samples.push({ rss: memory.rss, anon: memory.anon, bare: bareRss });
      log(`run ${run}: labeller RSS ${mib(memory.rss)} MiB (anonymous ${mib(memory.anon)}), bare node ${mib(bareRss)} MiB`);
    } finally {
      await labeller.remove();
      await podman(['rm', '--force', bare]);
    }
  }
} finally {
  await plane.stop();
  rmSync(host, { recursive: true, force: true });
}

process.stdout.write(
  `${JSON.stringify({
    build_seconds: buildSeconds,
    images,
    idle: {
      arch: native,
      seconds: Number(values['idle-seconds']),
      runs: samples.length,
      rss_mib: mib(median(samples.map((s) => s.rss))),
      anon_mib: mib(median(samples.map((s) => s.anon))),
      bare_rss_mib: mib(median(samples.map((s) => s.bare))),
    },
  })}\n`,
);
