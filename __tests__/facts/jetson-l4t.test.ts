// tier: full (the real L4T blobs)
// The six devicetrees stock JetPack boots (NVIDIA's L4T kernel blobs in JETSON_L4T_DIR), through the built
// CLI with no flags, as a user would run the dry run. Expected values are written out by hand from the
// blobs as fdtget shows them (see ../shared/jetson-l4t/README.md) and from NVIDIA's published tables:
// CUDA compute capability per Jetson GPU (developer.nvidia.com/cuda-gpus) and L4T → JetPack releases.
// Variants the bootloader produces on a running board (floorswept cores, board ids in /chosen, a host
// root with /etc/nv_tegra_release) are made from copies of the real blobs with dtc's fdtput.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Corpus, corpus, jetsonL4t } from '../helpers/corpus.ts';
import { NV_TEGRA_RELEASE_R32_7_1 } from '../helpers/host-root.ts';
import { runCli } from '../helpers/run-cli.ts';

const l4t = jetsonL4t();
const SKIP = 'skip' in l4t ? l4t.skip : false;
const blob = (file: string) => join((l4t as Corpus).dir, file);

const B = 'beta.devicetree.org/';
const T = 'tegra.beta.devicetree.org/';

interface Board {
  readonly file: string;
  /** Every label with default settings. */
  readonly labels: Record<string, string>;
}

const gpuFacts = (chip: string, family: string, major: number, minor: number) => ({
  [`${T}gpu.chip`]: chip,
  [`${T}gpu.family`]: family,
  [`${T}gpu.compute.major`]: String(major),
  [`${T}gpu.compute.minor`]: String(minor),
});

const BOARDS: Record<string, Board> = {
  'Jetson Nano B01 (R32.7.1)': {
    file: 'tegra210-p3448-0000-p3449-0000-b00.dtb',
    labels: {
      [`${B}nvidia-p3449-0000-b00-p3448-0000-b00`]: '1',
      [`${B}nvidia-jetson-nano`]: '1',
      [`${B}nvidia-tegra210`]: '1',
      [`${B}arm-cortex-a57-64bit`]: '4',
      [`${B}arm-armv8`]: '4',
      [`${B}nvidia-tegra210-gm20b`]: '1',
      [`${B}nvidia-gm20b`]: '1',
      ...gpuFacts('gm20b', 'maxwell', 5, 3),
      [`${T}soc`]: 'tegra210',
      [`${T}memory.gib`]: '4', // Jetson Nano module data sheet: 4 GB LPDDR4
      [`${T}module`]: 'p3448-0000',
      [`${T}product`]: 'jetson-nano-4gb',
      [`${T}l4t.devicetree`]: 'true',
    },
  },
  'Jetson TX2 NX (R32.7.1)': {
    file: 'tegra186-p3636-0001-p3509-0000-a01.dtb',
    labels: {
      [`${B}nvidia-p3509-0000-p3636-0001`]: '1',
      [`${B}nvidia-tegra186`]: '1',
      [`${B}nvidia-denver`]: '2',
      [`${B}arm-cortex-a57-64bit`]: '4',
      [`${B}arm-armv8`]: '6',
      [`${B}nvidia-tegra186-gp10b`]: '1',
      [`${B}nvidia-gp10b`]: '1',
      ...gpuFacts('gp10b', 'pascal', 6, 2),
      [`${T}soc`]: 'tegra186',
      [`${T}memory.gib`]: '4', // TX2 NX: 4 GB LPDDR4
      [`${T}module`]: 'p3636-0001',
      [`${T}product`]: 'jetson-tx2-nx',
      [`${T}l4t.devicetree`]: 'true',
    },
  },
  'Jetson TX2 devkit (R32.7.1)': {
    file: 'tegra186-quill-p3310-1000-c03-00-base.dtb',
    labels: {
      [`${B}nvidia-quill`]: '1',
      [`${B}nvidia-p2597-0000-p3310-1000`]: '1',
      [`${B}nvidia-tegra186`]: '1',
      [`${B}nvidia-denver`]: '2',
      [`${B}arm-cortex-a57-64bit`]: '4',
      [`${B}arm-armv8`]: '6',
      [`${B}nvidia-tegra186-gp10b`]: '1',
      [`${B}nvidia-gp10b`]: '1',
      ...gpuFacts('gp10b', 'pascal', 6, 2),
      [`${T}soc`]: 'tegra186',
      [`${T}memory.gib`]: '8', // TX2: 8 GB LPDDR4
      [`${T}module`]: 'p3310-1000',
      [`${T}product`]: 'jetson-tx2',
      [`${T}l4t.devicetree`]: 'true',
    },
  },
  'Jetson Xavier NX devkit (R32.7.1)': {
    file: 'tegra194-p3668-all-p3509-0000.dtb',
    labels: {
      [`${B}nvidia-p3449-0000-p3668-0000`]: '1',
      [`${B}nvidia-p3449-0000-p3668-0001`]: '1',
      [`${B}nvidia-p3509-0000-p3668-0000`]: '1',
      [`${B}nvidia-p3509-0000-p3668-0001`]: '1',
      [`${B}nvidia-tegra194`]: '1',
      [`${B}nvidia-carmel`]: '8',
      [`${B}arm-armv8`]: '8',
      [`${B}nvidia-gv11b`]: '1',
      ...gpuFacts('gv11b', 'volta', 7, 2),
      // /host1x/nvdla0, /host1x/nvdla1, /host1x/pva0 and /host1x/pva1, no status (enabled)
      [`${T}dla.count`]: '2',
      [`${T}pva.count`]: '2',
      [`${T}soc`]: 'tegra194',
      // no module: the blob serves two SKUs (p3668-0000, p3668-0001); the bootloader's board ids decide
      [`${T}l4t.devicetree`]: 'true',
    },
  },
  'Jetson Orin Nano 8GB devkit (R35.4)': {
    file: 'tegra234-p3767-0003-p3768-0000-a0.dtb',
    labels: {
      [`${B}nvidia-p3768-0000-p3767-0003`]: '1',
      [`${B}nvidia-p3768-0000-p3767-0005`]: '1',
      [`${B}nvidia-p3767-0003`]: '1',
      [`${B}nvidia-p3767-0005`]: '1',
      [`${B}nvidia-tegra234`]: '1',
      [`${B}nvidia-tegra23x`]: '1',
      [`${B}arm-armv8`]: '12', // the kernel blob lists 12 cores; UEFI marks absent ones "fail" on the board
      [`${B}nvidia-ga10b`]: '1',
      ...gpuFacts('ga10b', 'ampere', 8, 7),
      // nvdla0, nvdla1 and pva0 under host1x, "okay" in the kernel blob: an Orin Nano has no DLA, and UEFI
      // disables both on the board (the floorsweeping test below)
      [`${T}dla.count`]: '2',
      [`${T}pva.count`]: '1',
      [`${T}soc`]: 'tegra234',
      [`${T}l4t.devicetree`]: 'true',
    },
  },
  'Jetson AGX Orin devkit (R35.4)': {
    file: 'tegra234-p3701-0000-p3737-0000.dtb',
    labels: {
      [`${B}nvidia-p3737-0000-p3701-0000`]: '1',
      [`${B}nvidia-p3701-0000`]: '1',
      [`${B}nvidia-tegra234`]: '1',
      [`${B}nvidia-tegra23x`]: '1',
      [`${B}arm-armv8`]: '12',
      [`${B}nvidia-ga10b`]: '1',
      ...gpuFacts('ga10b', 'ampere', 8, 7),
      [`${T}dla.count`]: '2', // nvdla0, nvdla1 under host1x, "okay"
      [`${T}pva.count`]: '1', // pva0
      [`${T}soc`]: 'tegra234',
      [`${T}memory.gib`]: '32', // the AGX Orin developer kit\'s module: 32 GB LPDDR5
      [`${T}module`]: 'p3701-0000',
      [`${T}product`]: 'jetson-agx-orin-devkit',
      [`${T}l4t.devicetree`]: 'true',
    },
  },
};

let scratch: string | undefined;
const scratchDir = () => (scratch ??= mkdtempSync(join(tmpdir(), 'jetson-l4t-')));
after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function labels(args: string[]): Record<string, string> {
  const result = runCli(['labels', '-o', 'json', ...args]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
}

/** A copy of a real blob with fdtput edits applied, as a bootloader would make them. */
function edited(file: string, name: string, ...edits: string[][]): string {
  const copy = join(scratchDir(), name);
  copyFileSync(blob(file), copy);
  for (const edit of edits) {
    const result = spawnSync('fdtput', [copy, ...edit], { encoding: 'utf8' });
    assert.equal(result.status, 0, `fdtput ${edit.join(' ')}: ${result.stderr}`);
  }
  return copy;
}

/** A host root as the chart mounts it: the blob at sys/firmware/fdt, and optionally etc/nv_tegra_release. */
function hostRoot(name: string, dtb: string, release?: string): string {
  const root = join(scratchDir(), name);
  mkdirSync(join(root, 'sys/firmware'), { recursive: true });
  copyFileSync(dtb, join(root, 'sys/firmware/fdt'));
  if (release !== undefined) {
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/nv_tegra_release'), release);
  }
  return root;
}

describe('stock L4T devicetrees, no flags', { skip: SKIP }, () => {
  test('the folder holds exactly the six boards described here', () => {
    assert.deepEqual(
      [...(l4t as Corpus).files].sort(),
      Object.values(BOARDS)
        .map((b) => b.file)
        .sort(),
    );
  });

  for (const [board, { file, labels: expected }] of Object.entries(BOARDS)) {
    test(`${board}: every label, including its GPU and compute capability`, () => {
      assert.deepEqual(labels(['--dtb', blob(file)]), expected);
    });
  }

  test("-n still adds names: the Nano's pwm-fan", () => {
    assert.equal(labels(['--dtb', blob(BOARDS['Jetson Nano B01 (R32.7.1)']!.file), '-n', 'pwm-fan'])[`${B}pwm-fan`], '1');
  });
});

describe('what the bootloader and the root filesystem add on a running board', { skip: SKIP }, () => {
  const ORIN_NANO = 'tegra234-p3767-0003-p3768-0000-a0.dtb';
  const XAVIER_NX = 'tegra194-p3668-all-p3509-0000.dtb';

  test('Orin floorsweeping: cores UEFI marks status "fail" are not counted (an Orin Nano has 6 of the 12)', () => {
    const swept = edited(ORIN_NANO, 'orin-swept.dtb', ...[6, 7, 8, 9, 10, 11].map((n) => ['-t', 's', `/cpus/cpu@${n}`, 'status', 'fail']));
    assert.equal(labels(['--dtb', swept])[`${B}arm-armv8`], '6');
  });

  test('Orin Nano: the DLA cores UEFI disables are not counted (dla.count=0, -o wide says which), its PVA still is', () => {
    const swept = edited(
      ORIN_NANO,
      'orin-nano-dla.dtb',
      ['-t', 's', '/host1x@13e00000/nvdla0@15880000', 'status', 'disabled'],
      ['-t', 's', '/host1x@13e00000/nvdla1@158c0000', 'status', 'disabled'],
    );
    const facts = labels(['--dtb', swept]);
    assert.equal(facts[`${T}dla.count`], '0');
    assert.equal(facts[`${T}pva.count`], '1');
    const wide = runCli(['labels', '-o', 'wide', '--dtb', swept]);
    const row = wide.stdout.split('\n').find((line) => line.startsWith(`${T}dla.count `));
    assert.match(
      row ?? '',
      /\s0\s+0 enabled nodes with compatible "nvidia,tegra234-nvdla"; not counted: \/host1x@13e00000\/nvdla0@15880000 \(status "disabled"\), \/host1x@13e00000\/nvdla1@158c0000 \(status "disabled"\)$/,
    );
  });

  test('R35+ board ids in /chosen/ids pick the module among the SKUs a shared kernel blob names', () => {
    const withIds = edited(ORIN_NANO, 'orin-ids.dtb', ['-t', 's', '/chosen', 'ids', '3767-0005-300 3768-0000-300']);
    assert.equal(labels(['--dtb', withIds])[`${T}module`], 'p3767-0005');
    // SKU 0005 is the Orin Nano 8GB developer kit's (SD-card) module.
    assert.equal(labels(['--dtb', withIds])[`${T}product`], 'jetson-orin-nano-8gb');
  });

  test("/chosen/ids as NVIDIA's UEFI writes it: each id with its NUL and a space, then a newline, no final NUL", () => {
    // edk2-nvidia DxeDtPlatformDtbKernelLoaderLib.c AddBoardProperties: fdt_appendprop of each EEPROM's board id
    // (board-SKU-fab, 13 characters, NUL included) and of " ", then "\n". An R36.5 Orin NX shows
    // "3767-0000-301 3768-0000-ES1"; here the Orin Nano 8GB's module id with the same layout.
    const bytes = [...Buffer.from('3767-0005-300\0 3768-0000-ES1\0 \n', 'latin1')].map((b) => b.toString(16));
    const withIds = edited(ORIN_NANO, 'orin-uefi-ids.dtb', ['-t', 'bx', '/chosen', 'ids', ...bytes]);
    const got = labels(['--dtb', withIds]);
    assert.equal(got[`${T}module`], 'p3767-0005');
    assert.equal(got[`${T}product`], 'jetson-orin-nano-8gb');
    assert.equal(got[`${T}memory.gib`], '8');
  });

  test('no board id on a blob shared by several SKUs: neither module nor product, and -o wide says why', () => {
    const wide = runCli(['labels', '-o', 'wide', '--dtb', blob(ORIN_NANO)]);
    assert.match(wide.stdout, /^ {2}module: the tree names several modules \(p3767-0003, p3767-0005\)/m);
    assert.match(wide.stdout, /^ {2}product: needs the module$/m);
    assert.match(wide.stdout, /^ {2}memory\.gib: needs the module$/m);
  });

  test('JetPack 6.2\'s super devicetree (board compatible "...+p3767-0005-super") gives the -super product', () => {
    // The root compatibles of NVIDIA's tegra234-p3768-0000+p3767-0005-nv-super.dtb: the board's gains "-super",
    // the module's and the SoC's stay as they are.
    const superTree = edited(ORIN_NANO, 'orin-super.dtb', ['-t', 's', '/', 'compatible', 'nvidia,p3768-0000+p3767-0005-super', 'nvidia,p3767-0005', 'nvidia,tegra234']);
    const got = labels(['--dtb', superTree]);
    assert.equal(got[`${T}module`], 'p3767-0005');
    assert.equal(got[`${T}product`], 'jetson-orin-nano-8gb-super');
  });

  test('R32 board ids (property names under /chosen/plugin-manager/ids) do the same', () => {
    const withIds = edited(
      XAVIER_NX,
      'xavier-ids.dtb',
      ['-p', '-c', '/chosen/plugin-manager/ids'],
      ['-t', 's', '/chosen/plugin-manager/ids', '3668-0001-300', ''],
      ['-t', 's', '/chosen/plugin-manager/ids', '3509-0000-300', ''],
    );
    assert.equal(labels(['--dtb', withIds])[`${T}module`], 'p3668-0001');
    assert.equal(labels(['--dtb', withIds])[`${T}product`], 'jetson-xavier-nx-8gb'); // the production module
  });

  test('a host root with /etc/nv_tegra_release adds the L4T release, its major and the JetPack major it implies', () => {
    const orin = hostRoot('orin-host', blob(ORIN_NANO), '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n');
    const got = labels(['--host-root', orin]);
    assert.equal(got[`${T}l4t.release`], '35.4.1');
    assert.equal(got[`${T}l4t.major`], '35');
    assert.equal(got[`${T}jetpack.major`], '5');
    assert.equal(got[`${T}gpu.compute.major`], '8');
    const nano = hostRoot(
      'nano-host',
      blob('tegra210-p3448-0000-p3449-0000-b00.dtb'),
      '# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n',
    );
    assert.deepEqual(Object.fromEntries(Object.entries(labels(['--host-root', nano])).filter(([key]) => /\/(l4t\.release|l4t\.major|jetpack\.major)$/.test(key))), {
      [`${T}jetpack.major`]: '4',
      [`${T}l4t.major`]: '32',
      [`${T}l4t.release`]: '32.7.1',
    });
  });

  test('no release file: no L4T facts, and -o wide says why; a garbled one is reported, not guessed at', () => {
    const bare = hostRoot('bare-host', blob(ORIN_NANO));
    assert.equal(labels(['--host-root', bare])[`${T}l4t.release`], undefined);
    const wide = runCli(['labels', '--host-root', bare, '-o', 'wide']);
    assert.match(wide.stdout, /l4t\.release: .*etc\/nv_tegra_release does not exist/);
    const garbled = hostRoot('garbled-host', blob(ORIN_NANO), 'R35.4.1\n');
    const result = runCli(['labels', '--host-root', garbled, '-o', 'wide']);
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /l4t\.release {2}/);
    assert.match(result.stdout, /l4t\.release: .*the first line is not/);
  });

  test('--nvidia-gpu-present adds nvidia.com/gpu.present=true on every board, only while the GPU is enabled', () => {
    for (const { file } of Object.values(BOARDS)) assert.equal(labels(['--dtb', blob(file), '--nvidia-gpu-present'])['nvidia.com/gpu.present'], 'true', file);
    const off = edited(ORIN_NANO, 'orin-gpu-off.dtb', ['-t', 's', '/ga10b', 'status', 'disabled']);
    const got = labels(['--dtb', off, '--nvidia-gpu-present']);
    assert.equal(got['nvidia.com/gpu.present'], undefined);
    assert.equal(got[`${B}nvidia-ga10b`], undefined, 'a disabled GPU gives no label either');
    assert.equal(got[`${T}gpu.compute.major`], undefined);
    assert.equal(labels(['--dtb', off, '--nvidia-gpu-present', '--include-disabled'])['nvidia.com/gpu.present'], undefined, 'present means enabled');
    // A disabled second GPU node ahead of the real one (fdtput -c adds a node before its siblings) does not
    // hide the enabled GPU: present means some Tegra GPU node is enabled, as the flag's help says.
    const ghost = edited(
      ORIN_NANO,
      'orin-disabled-ghost-gpu.dtb',
      ['-c', '/ghost-gpu'],
      ['-t', 's', '/ghost-gpu', 'compatible', 'nvidia,ga10b'],
      ['-t', 's', '/ghost-gpu', 'status', 'disabled'],
    );
    const withGhost = labels(['--dtb', ghost, '--nvidia-gpu-present']);
    assert.equal(withGhost['nvidia.com/gpu.present'], 'true');
    assert.equal(withGhost[`${T}gpu.chip`], 'ga10b');
  });
});

describe("each board as it boots: the bootloader's edits and JetPack's release file on the host", { skip: SKIP }, () => {
  // What a running board hands the labeller under --host-root: its kernel blob as the bootloader edited it
  // (R32's cboot: /chosen/plugin-manager/ids names one property per board EEPROM, "<board>-<SKU>-<fab>";
  // R35's UEFI: /chosen/ids as edk2-nvidia AddBoardProperties writes it, and on an Orin Nano the DLAs disabled
  // and half the cores "fail"), and /etc/nv_tegra_release. Expected facts by hand from NVIDIA's module
  // tables (the product and its RAM), the tree (DLA/PVA nodes) and the release table (R32 → 4, R35 → 5).
  const R32 = NV_TEGRA_RELEASE_R32_7_1;
  const R35 = '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n';
  const r32Ids = (...ids: string[]) => [['-p', '-c', '/chosen/plugin-manager/ids'], ...ids.map((id) => ['-t', 's', '/chosen/plugin-manager/ids', id, ''])];
  const uefiIds = (...ids: string[]) => [['-t', 'bx', '/chosen', 'ids', ...[...Buffer.from(`${ids.map((id) => `${id}\0 `).join('')}\n`, 'latin1')].map((b) => b.toString(16))]];
  const BOOTED: Array<{ board: string; file: string; edits: string[][]; release: string; facts: Record<string, string | undefined> }> = [
    {
      board: 'Jetson Nano 4GB devkit',
      file: 'tegra210-p3448-0000-p3449-0000-b00.dtb',
      edits: r32Ids('3448-0000-400', '3449-0000-400'),
      release: R32,
      facts: { product: 'jetson-nano-4gb', 'memory.gib': '4', 'dla.count': undefined, 'pva.count': undefined, 'jetpack.major': '4', 'l4t.release': '32.7.1' },
    },
    {
      board: 'Jetson TX2 NX',
      file: 'tegra186-p3636-0001-p3509-0000-a01.dtb',
      edits: r32Ids('3636-0001-A01', '3509-0000-A01'),
      release: R32,
      facts: { product: 'jetson-tx2-nx', 'memory.gib': '4', 'dla.count': undefined, 'pva.count': undefined, 'jetpack.major': '4', 'l4t.release': '32.7.1' },
    },
    {
      board: 'Jetson TX2 devkit',
      file: 'tegra186-quill-p3310-1000-c03-00-base.dtb',
      edits: r32Ids('3310-1000-B02-D', '3489-0000-B01'),
      release: R32,
      facts: { product: 'jetson-tx2', 'memory.gib': '8', 'dla.count': undefined, 'pva.count': undefined, 'jetpack.major': '4', 'l4t.release': '32.7.1' },
    },
    {
      board: 'Jetson Xavier NX devkit (the production 8 GB module)',
      file: 'tegra194-p3668-all-p3509-0000.dtb',
      edits: r32Ids('3668-0001-400', '3509-0000-300'),
      release: R32,
      facts: { product: 'jetson-xavier-nx-8gb', 'memory.gib': '8', 'dla.count': '2', 'pva.count': '2', 'jetpack.major': '4', 'l4t.release': '32.7.1' },
    },
    {
      board: 'Jetson Orin Nano 8GB devkit',
      file: 'tegra234-p3767-0003-p3768-0000-a0.dtb',
      edits: [
        ...uefiIds('3767-0005-300', '3768-0000-300'),
        ['-t', 's', '/host1x@13e00000/nvdla0@15880000', 'status', 'disabled'],
        ['-t', 's', '/host1x@13e00000/nvdla1@158c0000', 'status', 'disabled'],
      ],
      release: R35,
      facts: { product: 'jetson-orin-nano-8gb', 'memory.gib': '8', 'dla.count': '0', 'pva.count': '1', 'jetpack.major': '5', 'l4t.release': '35.4.1' },
    },
    {
      board: 'Jetson AGX Orin devkit',
      file: 'tegra234-p3701-0000-p3737-0000.dtb',
      edits: uefiIds('3701-0000-500', '3737-0000-500'),
      release: R35,
      facts: { product: 'jetson-agx-orin-devkit', 'memory.gib': '32', 'dla.count': '2', 'pva.count': '1', 'jetpack.major': '5', 'l4t.release': '35.4.1' },
    },
  ];
  for (const { board, file, edits, release, facts } of BOOTED) {
    test(board, () => {
      const booted = edited(file, `booted-${file}`, ...edits);
      const got = labels(['--host-root', hostRoot(`booted-${file}-host`, booted, release)]);
      for (const [fact, value] of Object.entries(facts)) assert.equal(got[`${T}${fact}`], value, fact);
    });
  }
});

describe("--nvidia-gfd-labels: GPU Feature Discovery's keys with each Tegra GPU's values", { skip: SKIP }, () => {
  // GFD (NVIDIA/k8s-device-plugin internal/lm/resource.go) without NVML takes the product from the CUDA device
  // name with spaces as "-" (deviceQuery: "NVIDIA Tegra X1", "NVIDIA Tegra X2", "Xavier", "Orin"), the family
  // from the compute capability, and memory in MiB; here memory is the module's RAM, so only with the module.
  const N = 'nvidia.com/';
  const gfd = (product: string, family: string, major: number, minor: number, memoryMiB?: number) => ({
    [`${N}gpu.product`]: product,
    [`${N}gpu.family`]: family,
    [`${N}gpu.compute.major`]: String(major),
    [`${N}gpu.compute.minor`]: String(minor),
    [`${N}gpu.count`]: '1',
    ...(memoryMiB === undefined ? {} : { [`${N}gpu.memory`]: String(memoryMiB) }),
  });
  const EXPECTED: Record<string, Record<string, string>> = {
    'tegra210-p3448-0000-p3449-0000-b00.dtb': gfd('NVIDIA-Tegra-X1', 'maxwell', 5, 3, 4096),
    'tegra186-p3636-0001-p3509-0000-a01.dtb': gfd('NVIDIA-Tegra-X2', 'pascal', 6, 2, 4096),
    'tegra186-quill-p3310-1000-c03-00-base.dtb': gfd('NVIDIA-Tegra-X2', 'pascal', 6, 2, 8192),
    'tegra194-p3668-all-p3509-0000.dtb': gfd('Xavier', 'volta', 7, 2), // two SKUs, no board id: no module, no memory
    'tegra234-p3767-0003-p3768-0000-a0.dtb': gfd('Orin', 'ampere', 8, 7), // likewise
    'tegra234-p3701-0000-p3737-0000.dtb': gfd('Orin', 'ampere', 8, 7, 32768),
  };
  for (const [file, expected] of Object.entries(EXPECTED)) {
    test(file, () => {
      const got = labels(['--dtb', blob(file), '--nvidia-gfd-labels']);
      const nvidia = Object.fromEntries(Object.entries(got).filter(([key]) => key.startsWith(N)));
      assert.deepEqual(nvidia, expected);
      // Nothing else changes.
      const plain = labels(['--dtb', blob(file)]);
      assert.deepEqual(Object.fromEntries(Object.entries(got).filter(([key]) => !key.startsWith(N))), plain);
    });
  }

  test('-o wide says which GFD keys are missing and why; a disabled GPU gets none', () => {
    const wide = runCli(['labels', '-o', 'wide', '--nvidia-gfd-labels', '--dtb', blob('tegra234-p3767-0003-p3768-0000-a0.dtb')]);
    assert.match(wide.stdout, /^ {2}nvidia\.com\/gpu\.memory: the board's RAM is not known \(see memory\.gib\)$/m);
    const off = edited('tegra210-p3448-0000-p3449-0000-b00.dtb', 'nano-gpu-off.dtb', ['-t', 's', '/gpu', 'status', 'disabled']);
    const got = labels(['--dtb', off, '--nvidia-gfd-labels', '--include-disabled']);
    assert.deepEqual(
      Object.keys(got).filter((key) => key.startsWith(N)),
      [],
    );
    for (const extra of [[], ['--include-disabled']]) {
      const wide = runCli(['labels', '-o', 'wide', '--nvidia-gfd-labels', '--dtb', off, ...extra]).stdout;
      assert.match(wide, /^ {2}nvidia\.com\/gpu\.\*: \/gpu is not enabled \(status "disabled"\)$/m, extra.join(' '));
    }
  });

  test('--no-tegra-facts with --nvidia-gfd-labels is a usage error', () => {
    const result = runCli(['labels', '--dtb', blob('tegra210-p3448-0000-p3449-0000-b00.dtb'), '--no-tegra-facts', '--nvidia-gfd-labels']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--nvidia-gfd-labels needs the Jetson facts: drop --no-tegra-facts/);
  });
});

describe('labels -o wide: why is my GPU (not) labelled?', { skip: SKIP }, () => {
  test('each label shows the nodes it came from; accelerators left out are listed with the flag that adds them', () => {
    const { stdout, status, stderr } = runCli(['labels', '--dtb', blob('tegra194-p3668-all-p3509-0000.dtb'), '-o', 'wide']);
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^beta\.devicetree\.org\/nvidia-gv11b\s+1\s+\/gv11b$/m);
    assert.match(stdout, /^tegra\.beta\.devicetree\.org\/gpu\.compute\.major\s+7\s+\/gv11b compatible "nvidia,gv11b"/m);
    assert.match(stdout, /^beta\.devicetree\.org\/nvidia-carmel\s+8\s+\/cpus\/cpu@0 .* \/cpus\/cpu@7$/m);
    assert.match(stdout, /^ {2}\/host1x\/nvdla0@15880000\s+no rule selects it\s+to label it: -n nvdla$/m);
    assert.match(stdout, /^ {2}\/host1x\/pva0\s+no rule selects it\s+to label it: -n pva0$/m);
    assert.match(stdout, /module: the tree names several modules \(p3668-0000, p3668-0001\)/);
  });

  test('a disabled GPU is listed with --include-disabled', () => {
    const off = edited('tegra234-p3701-0000-p3737-0000.dtb', 'agx-gpu-off.dtb', ['-t', 's', '/ga10b', 'status', 'disabled']);
    const { stdout, stderr } = runCli(['labels', '--dtb', off, '-o', 'wide']);
    assert.match(stdout, /^ {2}\/ga10b\s+status "disabled"\s+to label it: --include-disabled$/m);
    assert.match(stderr, /^warning: skipped \/ga10b: status is "disabled" \(use --include-disabled to label it\)$/m);
  });
});

const mainline = corpus();

describe("-o wide on a mainline Jetson tree (Linux 6.1's Nano devkit)", { skip: 'skip' in mainline ? mainline.skip : false }, () => {
  test('the module is named as missing, with why; the release file as not looked for, with why', () => {
    // Mainline's tegra210-p3450-0000.dts: compatible = "nvidia,p3450-0000", "nvidia,tegra210" (no "+<module>").
    const wide = runCli(['labels', '-o', 'wide', '--dtb', join((mainline as Corpus).dir, 'linux-6.1-arm64/nvidia/tegra210-p3450-0000.dtb')]);
    assert.equal(wide.status, 0, wide.stderr);
    assert.match(wide.stdout, /^ {2}module: the root compatible names no module \(NVIDIA's L4T trees name "nvidia,<carrier>\+<module>"; mainline Linux's do not\)$/m);
    assert.match(wide.stdout, /^ {2}product: needs the module$/m);
    assert.match(
      wide.stdout,
      /^ {2}l4t\.release: not looked for: <host-root>\/etc\/nv_tegra_release is read only when the tree comes from the host \(--host-root, the default\), not with --dtb or --live-tree$/m,
    );
  });
});
