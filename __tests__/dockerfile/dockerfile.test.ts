// tier: full (the image layout built from the Dockerfile, run as child processes)
// The container image without a Docker engine: the Dockerfile is parsed, its stages and copies are checked
// against the repository and the built dist/, and the runtime stage's files are laid out in a temp dir the
// way the image holds them (no node_modules) and run there: --version, the dry run, and `run --once`
// against the real kube-apiserver (envtest; that one test is skipped when KUBEBUILDER_ASSETS is absent).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane } from '../helpers/envtest/control-plane.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { REPO } from '../helpers/run-cli.ts';

// ---- a small Dockerfile parser ---------------------------------------------------------------------

interface Instruction {
  readonly keyword: string;
  /** The arguments as written (continuations joined), flags included. */
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly name: string | undefined;
  readonly image: string;
  readonly platform: string | undefined;
  readonly instructions: Instruction[];
}

interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: Map<string, string | undefined>;
  readonly stages: Stage[];
}

function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return; // comment lines inside a continuation are dropped
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = pending + line;
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
  });
  assert.equal(pending, '', 'the Dockerfile ends inside a line continuation');

  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/);
      const platform = words.find((w) => w.startsWith('--platform='))?.slice('--platform='.length);
      const rest = words.filter((w) => !w.startsWith('--'));
      assert.ok(rest.length === 1 || (rest.length === 3 && rest[1]!.toUpperCase() === 'AS'), `line ${instruction.line}: FROM image [AS name]`);
      stages.push({ name: rest[2], image: rest[0]!, platform, instructions: [] });
    } else if (stages.length === 0) {
      assert.equal(instruction.keyword, 'ARG', `line ${instruction.line}: only ARG may come before the first FROM`);
      const [name, value] = splitArg(instruction.args);
      globalArgs.set(name, value);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

function splitArg(args: string): [string, string | undefined] {
  const eq = args.indexOf('=');
  return eq < 0 ? [args, undefined] : [args.slice(0, eq), unquote(args.slice(eq + 1))];
}

const unquote = (s: string) => (/^".*"$/s.test(s) ? s.slice(1, -1) : s);

/** Replaces ${NAME} and $NAME from `vars`; unknown names are left as written. */
const substitute = (s: string, vars: ReadonlyMap<string, string | undefined>) =>
  s.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => vars.get((a ?? b)!) ?? whole);

function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      assert.equal(i.keyword, 'COPY', `line ${i.line}: use COPY, not ADD`);
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      assert.ok(paths.length >= 2, `line ${i.line}: COPY needs a source and a destination`);
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

function execForm(stage: Stage, keyword: string): string[] | undefined {
  const instruction = stage.instructions.findLast((i) => i.keyword === keyword);
  if (instruction === undefined) return undefined;
  const parsed: unknown = JSON.parse(instruction.args);
  assert.ok(Array.isArray(parsed) && parsed.every((s) => typeof s === 'string'), `${keyword} must use the exec form (a JSON array)`);
  return parsed;
}

function labels(stage: Stage, vars: ReadonlyMap<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const instruction of stage.instructions.filter((i) => i.keyword === 'LABEL')) {
    for (const [, key, value] of instruction.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out.set(key!, substitute(unquote(value!), vars));
  }
  return out;
}

/** The stage's ARGs (with defaults) overlaid on the global ones it re-declares or inherits. */
function stageVars(file: Dockerfile, stage: Stage): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  for (const i of stage.instructions.filter((x) => x.keyword === 'ARG')) {
    const [name, value] = splitArg(i.args);
    vars.set(name, value ?? file.globalArgs.get(name));
  }
  return vars;
}

/** WORKDIR in effect at the end of the stage (absolute). */
function workdir(stage: Stage): string {
  let dir = '/';
  for (const i of stage.instructions.filter((x) => x.keyword === 'WORKDIR')) dir = posix.resolve(dir, i.args);
  return dir;
}

// ---- .dockerignore, with Docker's rules: last match wins, `!` re-includes, a match on a folder covers
// everything below it. `*` and `?` stay within one path segment, `**` spans any number of them.

function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const pattern = posix.normalize(include ? l.slice(1).trim() : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*').replaceAll('?', '[^/]')))
        .join('/');
      return { include, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.include;
    return excluded;
  };
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((f) => join(path, f))
    .filter((f) => statSync(f).isFile());
}

// ---- the checks -------------------------------------------------------------------------------------

const file = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string; engines: { node: string } };
const ignored = dockerignore(readFileSync(join(REPO, '.dockerignore'), 'utf8'));
const stage = (name: string) => {
  const found = file.stages.find((s) => s.name === name);
  assert.ok(found, `no stage named ${name}`);
  return found;
};
const build = stage('build');
const runtime = file.stages.at(-1)!;
const runtimeVars = stageVars(file, runtime);
const BUILD_DIR = workdir(build);
/** A path in the build stage's filesystem, as a path in this checkout (its WORKDIR is the repo root). */
const inCheckout = (path: string) => join(REPO, posix.relative(BUILD_DIR, posix.resolve(BUILD_DIR, path)));
/** The platforms the image is published for, as BuildKit names their TARGETARCH. */
const TARGETS = { 'linux/amd64': 'amd64', 'linux/arm64': 'arm64', 'linux/arm/v7': 'arm' } as const;

describe('Dockerfile: stages', () => {
  test('a build stage, one runtime base per target architecture, and the runtime stage last', () => {
    assert.deepEqual(
      file.stages.map((s) => s.name),
      ['build', 'runtime-amd64', 'runtime-arm64', 'runtime-arm', 'runtime'],
    );
    assert.equal(runtime.name, 'runtime');
  });

  test('the build stage runs on the build platform, on Node.js 24', () => {
    assert.equal(build.platform, '$BUILDPLATFORM');
    assert.equal(substitute(build.image, file.globalArgs), 'node:24-bookworm-slim');
  });

  test('the runtime stage picks its base by TARGETARCH, and every published platform has one', () => {
    assert.equal(runtime.image, 'runtime-${TARGETARCH}');
    assert.ok(file.globalArgs.has('TARGETARCH'), 'TARGETARCH is declared before the first FROM');
    for (const [platform, arch] of Object.entries(TARGETS)) {
      assert.match(stage(`runtime-${arch}`).image, /^gcr\.io\/distroless\/nodejs\d+-debian\d+$/, platform);
    }
  });

  test('Node.js 24 where it exists; 32-bit ARM gets Node.js 22, which package.json allows', () => {
    assert.match(stage('runtime-amd64').image, /nodejs24-/);
    assert.match(stage('runtime-arm64').image, /nodejs24-/);
    // Node.js 24 has no armv7l build, so neither distroless nor the node image has nodejs24 for arm/v7.
    assert.match(stage('runtime-arm').image, /nodejs22-/);
    const minimum = /^>=\s*(\d+)\./.exec(pkg.engines.node);
    assert.ok(minimum && Number(minimum[1]) <= 22, `engines.node ${pkg.engines.node} must admit Node.js 22`);
    assert.match(readFileSync(join(REPO, 'scripts/build.ts'), 'utf8'), /target: 'node22'/, 'the bundle must be built for node22');
  });

  test('the per-architecture bases are bare FROMs: everything else happens once, in `runtime`', () => {
    for (const arch of Object.values(TARGETS)) assert.deepEqual(stage(`runtime-${arch}`).instructions, []);
  });
});

describe('Dockerfile: the build stage', () => {
  test('installs with npm ci from the lockfile and runs the bundle build', () => {
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)), 'npm ci');
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)), 'npm run build');
    const first = copies(build)[0];
    assert.deepEqual(first?.sources, ['package.json', 'package-lock.json'], 'the lockfile is copied (and installed) before the sources, for layer caching');
  });

  test('copies only from the build context, and every source exists in the repository', () => {
    for (const copy of copies(build)) {
      assert.equal(copy.from, undefined);
      for (const source of copy.sources) assert.ok(existsSync(join(REPO, source)), `COPY ${source}: not in the repository`);
    }
  });

  test('.dockerignore lets through every file the build stage copies', () => {
    for (const copy of copies(build)) {
      for (const source of copy.sources) {
        for (const path of filesUnder(join(REPO, source))) {
          const rel = relative(REPO, path).split('\\').join('/');
          assert.ok(!ignored(rel), `${rel} is copied by the Dockerfile but excluded by .dockerignore`);
        }
      }
    }
  });

  test('.dockerignore keeps local build output, dependencies and history out of the context', () => {
    for (const path of ['node_modules/yaml/package.json', 'dist/dt-node-labeller.js', '.git/HEAD', '__tests__/fixtures/jetson-orin.dtb', 'examples/http-echo.yaml']) {
      assert.ok(ignored(path), `${path} should be excluded`);
    }
  });

  test('the bundle builds from what the stage copies, and nothing else', () => {
    // The stage's filesystem, rebuilt in a temp dir: its COPYs, with this checkout's node_modules standing
    // in for `npm ci`. The build must succeed there and produce a working CLI.
    const root = mkdtempSync(join(tmpdir(), 'build-stage-'));
    try {
      for (const copy of copies(build)) {
        for (const source of copy.sources) {
          const dest = copy.dest.endsWith('/') && !statSync(join(REPO, source)).isDirectory() ? join(root, copy.dest, posix.basename(source)) : join(root, copy.dest);
          mkdirSync(dirname(dest), { recursive: true });
          cpSync(join(REPO, source), dest, { recursive: true });
        }
      }
      symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
      const built = spawnSync(process.execPath, ['scripts/build.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      assert.equal(built.status, 0, built.stderr);
      const version = spawnSync(process.execPath, [join(root, 'dist/dt-node-labeller.js'), '--version'], { encoding: 'utf8' });
      assert.equal(version.stdout.trim(), pkg.version, version.stderr);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile: the runtime stage', () => {
  const runtimeCopies = copies(runtime);
  const RUNTIME_DIR = workdir(runtime);

  test('copies only build output from the build stage: no node_modules, no npm, no RUN', () => {
    assert.ok(runtimeCopies.length > 0);
    for (const copy of runtimeCopies) {
      assert.equal(copy.from, 'build', `COPY ${copy.sources.join(' ')} must come from the build stage`);
      for (const source of copy.sources) assert.doesNotMatch(source, /node_modules|package-lock/, source);
    }
    assert.deepEqual(
      runtime.instructions.filter((i) => i.keyword === 'RUN'),
      [],
      'the distroless runtime has no shell; nothing may run there',
    );
  });

  test('everything it copies exists after `npm run build` (the build WORKDIR mapped to the repo root)', () => {
    assert.ok(existsSync(join(REPO, 'dist/dt-node-labeller.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
    for (const copy of runtimeCopies) for (const source of copy.sources) assert.ok(existsSync(inCheckout(source)), `COPY --from=build ${source}: not produced by the build`);
  });

  test('ENTRYPOINT runs the CLI with the base image node, and the default command is `run`', () => {
    const entrypoint = execForm(runtime, 'ENTRYPOINT');
    // The V8 memory flags measured by bench/controller-idle-rss.ts; the layout tests below run with them.
    assert.deepEqual(entrypoint, ['/nodejs/bin/node', '--liftoff-only', '--max-semi-space-size=1', '--optimize-for-size', posix.join(RUNTIME_DIR, 'dist/dt-node-labeller.js')]);
    assert.deepEqual(execForm(runtime, 'CMD'), ['run']);
  });

  test('runs as root unless the pod says otherwise, explicitly', () => {
    assert.deepEqual(
      runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args),
      ['0:0'],
    );
  });

  test('OCI labels: title, description, version, revision and license', () => {
    const found = labels(runtime, runtimeVars);
    const oci = (key: string) => found.get(`org.opencontainers.image.${key}`);
    assert.equal(oci('title'), 'dt-node-labeller');
    assert.ok((oci('description') ?? '').length > 0);
    assert.equal(oci('version'), pkg.version, 'ARG VERSION defaults to package.json version');
    assert.equal(oci('revision'), 'unknown', 'ARG REVISION is set by the build (--build-arg REVISION=$(git rev-parse HEAD))');
    assert.equal(oci('licenses'), pkg.license);
  });

  describe('the image layout, run with only what the runtime stage copies', () => {
    let root = '';
    let entry: string[] = [];
    /** Only `run --once` needs an API server: started for it alone, and only when the tier can run here. */
    const planeSkip = envtestSkip();
    let plane: ControlPlane | undefined;

    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'image-'));
      // Mirror each COPY: a source folder's contents land in the destination folder, a file at dest
      // (or inside it when dest ends with /).
      for (const copy of runtimeCopies) {
        for (const source of copy.sources) {
          const from = inCheckout(source);
          const dest = posix.resolve(RUNTIME_DIR, copy.dest);
          const target = statSync(from).isDirectory() || !copy.dest.endsWith('/') ? join(root, dest) : join(root, dest, posix.basename(source));
          mkdirSync(dirname(target), { recursive: true });
          cpSync(from, target, { recursive: true });
        }
      }
      entry = (execForm(runtime, 'ENTRYPOINT') ?? []).slice(1).map((arg) => (arg.startsWith('/') ? join(root, arg) : arg));
      if (planeSkip === false) plane = await ControlPlane.start();
    });
    after(async () => {
      await plane?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    /**
     * The image's ENTRYPOINT (this machine's node in place of /nodejs/bin/node), from inside the layout.
     * Asynchronous, so the test keeps running (and its timers firing) while the child runs.
     */
    const image = async (args: string[]) => {
      const child = spawn(process.execPath, [...entry, ...args], {
        cwd: join(root, RUNTIME_DIR),
        env: { PATH: process.env.PATH ?? '', NODE_NAME: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const [status] = (await once(child, 'close')) as [number | null];
      return { status, stdout, stderr };
    };

    test('the layout has no node_modules, and none is reachable from it', () => {
      const all = readdirSync(root, { recursive: true, encoding: 'utf8' });
      assert.deepEqual(all.filter((f) => f.split(/[\\/]/).includes('node_modules')), []);
      for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) assert.ok(!existsSync(join(dirname(dir), 'node_modules')), `${dirname(dir)}/node_modules would be resolved`);
      assert.deepEqual(readdirSync(join(root, RUNTIME_DIR)).sort(), ['dist', 'package.json']);
    });

    test('--version prints the package version', async () => {
      const result = await image(['--version']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), pkg.version);
    });

    test('the dry run labels the sample Jetson Nano blob', async () => {
      const result = await image(['labels', '--dtb', join(REPO, 'examples/devicetree/jetson-nano.dtb'), '-o', 'json']);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), JETSON_NANO_LABELS);
    });

    test('`run --once` loads the controller chunk and labels its Node through the API', { skip: planeSkip }, async () => {
      assert.ok(plane !== undefined, 'the control plane started');
      await plane.createNode('nano');
      const kubeconfig = plane.kubeconfig(root);
      const result = await image(['run', '--once', '--dtb', join(REPO, 'examples/devicetree/jetson-nano.dtb'), '--node-name', 'nano', '--kubeconfig', kubeconfig]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal((await plane.labels('nano'))['beta.devicetree.org/nvidia-jetson-nano'], '1');
    });
  });
});
