// Jetson Thor (tegra264), on the hand-written fixture jetson-agx-thor.dts: no Thor blob is public, so the
// tree is built from what public sources show (its header names them). What rests on that tree: the root
// compatibles (so soc, module and product), and that there is no GPU node and no nvidia,dtsfilename. What
// rests on the SoC table: the GPU facts, Blackwell and CUDA 13's compute capability 11.0 (OE4T/meta-tegra's
// tegra264.inc: TEGRA_CUDA_ARCHITECTURE 110). Expected values written by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../helpers/corpus.ts';
import { cli } from '../helpers/run-cli.ts';

const T = 'tegra.beta.devicetree.org/';
const B = 'beta.devicetree.org/';

test('AGX Thor devkit: SoC, module and product from the root, GPU facts from the SoC table (its GPU is on PCIe)', async () => {
  const result = await cli(['labels', '--dtb', fixture('jetson-agx-thor.dtb'), '-o', 'json']);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    [`${B}nvidia-p3834-0008`]: '1',
    [`${B}nvidia-p4071-0000-p3834-0008`]: '1',
    [`${B}nvidia-tegra264`]: '1',
    [`${T}gpu.compute.major`]: '11',
    [`${T}gpu.compute.minor`]: '0',
    [`${T}gpu.family`]: 'blackwell',
    [`${T}module`]: 'p3834-0008',
    [`${T}product`]: 'jetson-t5000',
    [`${T}memory.gib`]: '128', // Jetson T5000: 128 GB LPDDR5X
    [`${T}soc`]: 'tegra264',
  });
});

test("-o wide says where Thor's GPU facts come from and why l4t.devicetree is not given", async () => {
  const result = await cli(['labels', '--dtb', fixture('jetson-agx-thor.dtb'), '-o', 'wide']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^tegra\.beta\.devicetree\.org\/gpu\.family\s+blackwell\s+derived: the tegra264 SoC's GPU, which is no devicetree node/m);
  assert.match(result.stdout, /^ {2}l4t\.devicetree: Thor trees carry no nvidia,dtsfilename/m);
});

test("--nvidia-gfd-labels on Thor: the SoC table's GPU, CUDA 13's name \"NVIDIA Thor\", the T5000's 128 GB", async () => {
  const result = await cli(['labels', '--dtb', fixture('jetson-agx-thor.dtb'), '--nvidia-gfd-labels', '-o', 'json']);
  assert.equal(result.status, 0, result.stderr);
  const nvidia = Object.fromEntries(Object.entries(JSON.parse(result.stdout) as Record<string, string>).filter(([key]) => key.startsWith('nvidia.com/')));
  assert.deepEqual(nvidia, {
    'nvidia.com/gpu.compute.major': '11',
    'nvidia.com/gpu.compute.minor': '0',
    'nvidia.com/gpu.count': '1',
    // GFD itself would say "undefined": its getArchFamily has no case for compute capability 11.
    'nvidia.com/gpu.family': 'blackwell',
    'nvidia.com/gpu.memory': String(128 * 1024),
    'nvidia.com/gpu.product': 'NVIDIA-Thor',
  });
});
