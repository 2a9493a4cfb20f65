// A node's filesystem as the chart's DaemonSet pods see it under /host, for tests that run the labeller (as a
// process, in the image, or in a benchmark) against a real devicetree: the blob at sys/firmware/fdt, the
// expanded tree beside it at sys/firmware/devicetree/base (what a non-root reader falls back to), and, for
// the -l4t pods, L4T's release file at etc/nv_tegra_release.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { expandTree } from './expand-tree.ts';

/** NVIDIA's first line of /etc/nv_tegra_release on L4T R32.7.1 (JetPack 4.6.1). */
export const NV_TEGRA_RELEASE_R32_7_1 = '# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n';

export interface HostRootOptions {
  /** The first line of etc/nv_tegra_release; none when undefined (not a JetPack root filesystem). */
  readonly release?: string;
  /** The blob's mode; sysfs has 0400 (root only). The copy's own mode when undefined. */
  readonly fdtMode?: number;
}

/** Makes `root` hold `dtb` as the host's devicetree (blob and expanded tree); returns `root`. */
export function makeHostRoot(root: string, dtb: string, options: HostRootOptions = {}): string {
  mkdirSync(join(root, 'sys/firmware'), { recursive: true });
  copyFileSync(dtb, join(root, 'sys/firmware/fdt'));
  if (options.fdtMode !== undefined) chmodSync(join(root, 'sys/firmware/fdt'), options.fdtMode);
  expandTree(parseBlob(readFileSync(dtb)).root, join(root, 'sys/firmware/devicetree/base'));
  if (options.release !== undefined) {
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/nv_tegra_release'), options.release);
  }
  return root;
}
