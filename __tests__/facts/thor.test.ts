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
    [`${T}soc`]: 'tegra264',
  });
});

test('-o wide says where Thor\'s GPU facts come from and why l4t.devicetree is not given', async () => {
  const result = await cli(['labels', '--dtb', fixture('jetson-agx-thor.dtb'), '-o', 'wide']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^tegra\.beta\.devicetree\.org\/gpu\.family\s+blackwell\s+derived: the tegra264 SoC's GPU, which is no devicetree node/m);
  assert.match(result.stdout, /^ {2}l4t\.devicetree: Thor trees carry no nvidia,dtsfilename/m);
});
