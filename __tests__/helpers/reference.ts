// Reference views of devicetree blobs for differential tests: libfdt's (through libfdt_reference.py, run by
// Debian's /usr/bin/python3, the only interpreter python3-libfdt is installed for) and ours, in one shape
// so they can be compared value for value.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DeviceTree } from '../../src/devicetree/tree.ts';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const LIBFDT_REFERENCE = new URL('./libfdt_reference.py', import.meta.url).pathname;

/** [propname, value as lowercase hex] */
type PropertyView = [name: string, hex: string];
/** [absolute path, properties in blob order] */
type NodeView = [path: string, properties: PropertyView[]];

export interface TreeView {
  readonly version: number | undefined;
  /** [address, size] as "0x..." hex, in blob order. */
  readonly memrsv: [string, string][];
  /** Every node in tree order (depth first, children in blob order). */
  readonly nodes: NodeView[];
}

/** libfdt's view of a blob, or the reason it rejected the blob. */
export type ReferenceView = TreeView | { readonly error: string };

/**
 * libfdt's view of every file (paths relative to `baseDir`), from one python process. Keys are the file
 * names exactly as given. Rejects when python fails or leaves a file out.
 */
export async function libfdtView(files: readonly string[], baseDir: string): Promise<Map<string, ReferenceView>> {
  const views = new Map<string, ReferenceView>();
  if (files.length === 0) return views;
  const child = spawn(SYSTEM_PYTHON, [LIBFDT_REFERENCE, '--base', baseDir, ...files.map((f) => join(baseDir, f))], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line === '') continue;
    const { file, ...view } = JSON.parse(line) as { file: string } & ReferenceView;
    views.set(file, view);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`${LIBFDT_REFERENCE} exited with ${code}: ${stderr.trim()}`);
  const missing = files.filter((f) => !views.has(f));
  if (missing.length > 0) throw new Error(`${LIBFDT_REFERENCE} printed nothing for ${missing.slice(0, 5).join(', ')}`);
  return views;
}

/** Our parser's view, in the same shape as libfdt's. */
export function ourView(tree: DeviceTree): TreeView {
  const nodes: NodeView[] = [];
  for (const node of tree.root.walk()) nodes.push([node.path, node.properties.map((p): PropertyView => [p.name, p.asHex()])]);
  return {
    version: tree.version,
    memrsv: tree.memoryReservations.map(({ address, size }): [string, string] => [`0x${address.toString(16)}`, `0x${size.toString(16)}`]),
    nodes,
  };
}

export const isRejected = (view: ReferenceView): view is { readonly error: string } => 'error' in view;

export const countProperties = (view: TreeView) => view.nodes.reduce((sum, [, props]) => sum + props.length, 0);

const shortHex = (hex: string) => (hex.length > 48 ? `${hex.slice(0, 48)}… (${hex.length / 2} bytes)` : `${hex} (${hex.length / 2} bytes)`);

/**
 * The first place two views differ, as one readable line ("node /cpus/cpu@0, property reg: ..."), or
 * undefined when they are equal. `options.version: false` leaves the header version out (a dts source
 * cannot carry it).
 */
export function firstDifference(expected: TreeView, actual: TreeView, options: { version?: boolean } = {}): string | undefined {
  if (options.version !== false && expected.version !== actual.version) return `version: expected ${expected.version}, got ${actual.version}`;
  const rsv = Math.max(expected.memrsv.length, actual.memrsv.length);
  for (let i = 0; i < rsv; i++) {
    const e = expected.memrsv[i]?.join(' ');
    const a = actual.memrsv[i]?.join(' ');
    if (e !== a) return `memory reservation ${i}: expected ${e ?? '(none)'}, got ${a ?? '(none)'}`;
  }
  const count = Math.max(expected.nodes.length, actual.nodes.length);
  for (let i = 0; i < count; i++) {
    const e = expected.nodes[i];
    const a = actual.nodes[i];
    if (e === undefined || a === undefined || e[0] !== a[0]) {
      return `node #${i}: expected ${e?.[0] ?? '(no more nodes)'}, got ${a?.[0] ?? '(no more nodes)'}`;
    }
    const [path, eProps] = e;
    const aProps = a[1];
    const props = Math.max(eProps.length, aProps.length);
    for (let j = 0; j < props; j++) {
      const ep = eProps[j];
      const ap = aProps[j];
      if (ep === undefined || ap === undefined || ep[0] !== ap[0]) {
        return `node ${path}, property #${j}: expected ${ep?.[0] ?? '(no more properties)'}, got ${ap?.[0] ?? '(no more properties)'}`;
      }
      if (ep[1] !== ap[1]) return `node ${path}, property ${ep[0]}: expected ${shortHex(ep[1])}, got ${shortHex(ap[1])}`;
    }
  }
  return undefined;
}

/**
 * Undefined when dtc, fdtget and pylibfdt are all usable, else a skip reason. With DTB_CORPUS_REQUIRED=1
 * a missing tool throws: CI must not pass by skipping the differential tests.
 */
export function hasReferenceTools(): string | undefined {
  const missing: string[] = [];
  for (const [label, command, args] of [
    ['dtc', 'dtc', ['--version']],
    ['fdtget', 'fdtget', ['--help']],
    [`pylibfdt (${SYSTEM_PYTHON} -c 'import libfdt')`, SYSTEM_PYTHON, ['-c', 'import libfdt']],
  ] as const) {
    const run = spawnSync(command, args, { stdio: 'ignore' });
    if (run.error !== undefined || run.status !== 0) missing.push(label);
  }
  if (missing.length === 0) return undefined;
  const reason = `reference tools missing: ${missing.join(', ')} (Debian packages device-tree-compiler and python3-libfdt)`;
  if (process.env.DTB_CORPUS_REQUIRED === '1') throw new Error(`${reason}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
  return reason;
}
