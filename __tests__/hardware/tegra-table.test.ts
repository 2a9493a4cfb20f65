// The chip table is data (src/hardware/tegra.json): these tests check its shape, so a bad data change
// fails here, and its content against NVIDIA's published figures, restated by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import table from '../../src/hardware/tegra.json' with { type: 'json' };
import { jetpackMajor, jetsonModule, TEGRA_GPU_COMPATIBLES, tegraEngine, tegraGpu, tegraSoc } from '../../src/hardware/tegra.ts';

test('every GPU row is well formed', () => {
  for (const [compatible, gpu] of Object.entries(table.gpus)) {
    assert.match(compatible, /^nvidia,g[a-z]\d{2}[a-z]$/);
    assert.equal(compatible, `nvidia,${gpu.chip}`, "the chip name is the compatible's model part");
    assert.match(gpu.family, /^[a-z]+$/);
    assert.ok(Number.isInteger(gpu.compute.major) && Number.isInteger(gpu.compute.minor) && gpu.compute.major > 0 && gpu.compute.minor >= 0);
  }
  for (const [compatible, soc] of Object.entries(table.socs)) assert.equal(compatible, `nvidia,${soc}`);
  for (const [l4t, jetpack] of Object.entries(table.jetpackByL4tMajor)) assert.ok(/^\d+$/.test(l4t) && Number.isInteger(jetpack));
  for (const [soc, gpu] of Object.entries(table.socGpus)) {
    assert.ok(Object.values(table.socs).includes(soc), `${soc} is in the SoC table`);
    assert.match(gpu.family, /^[a-z]+$/);
    assert.ok(Number.isInteger(gpu.compute.major) && Number.isInteger(gpu.compute.minor));
  }
  for (const [engine, compatibles] of Object.entries(table.engines)) {
    assert.match(engine, /^[a-z]+$/, "the engine name is the fact's first word: <engine>.count");
    for (const compatible of compatibles) {
      assert.match(compatible, /^nvidia,tegra\d{3}-[a-z]+$/);
      assert.equal(tegraGpu([compatible]), undefined, `${compatible} is an engine, not a GPU`);
    }
  }
});

test("accelerator engines, as NVIDIA's L4T trees name their nodes (Xavier: nvdla0/1, pva0/1; Orin: nvdla0/1, pva0)", () => {
  assert.deepEqual(tegraEngine(['nvidia,tegra194-nvdla']), { engine: 'dla', compatible: 'nvidia,tegra194-nvdla' });
  assert.deepEqual(tegraEngine(['nvidia,tegra234-nvdla']), { engine: 'dla', compatible: 'nvidia,tegra234-nvdla' });
  assert.deepEqual(tegraEngine(['nvidia,tegra194-pva']), { engine: 'pva', compatible: 'nvidia,tegra194-pva' });
  assert.deepEqual(tegraEngine(['nvidia,tegra234-pva', 'simple-bus']), { engine: 'pva', compatible: 'nvidia,tegra234-pva' }); // Orin's pva0 is also a bus
  // Video engines and the GPU are not counted as accelerators.
  for (const other of ['nvidia,tegra234-nvenc', 'nvidia,tegra234-vic', 'nvidia,ga10b', 'simple-bus']) assert.equal(tegraEngine([other]), undefined);
});

test('NVIDIA CUDA GPUs list, Jetson rows: compute capability and architecture of each Tegra GPU', () => {
  const expected: Record<string, [string, string]> = {
    'nvidia,gk20a': ['kepler', '3.2'], // Jetson TK1
    'nvidia,gm20b': ['maxwell', '5.3'], // Jetson Nano, TX1
    'nvidia,gp10b': ['pascal', '6.2'], // Jetson TX2
    'nvidia,gv11b': ['volta', '7.2'], // Jetson AGX Xavier, Xavier NX
    'nvidia,ga10b': ['ampere', '8.7'], // Jetson AGX Orin, Orin NX, Orin Nano
  };
  assert.deepEqual(new Set(TEGRA_GPU_COMPATIBLES), new Set(Object.keys(expected)));
  for (const [compatible, [family, compute]] of Object.entries(expected)) {
    const gpu = tegraGpu(['nvidia,tegra-something', compatible]);
    assert.equal(gpu?.family, family);
    assert.equal(`${gpu?.compute.major}.${gpu?.compute.minor}`, compute);
  }
  assert.equal(tegraGpu(['arm,mali-t860']), undefined);
});

test('L4T major → JetPack major, as NVIDIA ships them', () => {
  // JetPack 7.0/7.1 are R38 (Thor only), 7.2 is R39 (Thor and Orin): NVIDIA's JetPack archive.
  assert.deepEqual([32, 34, 35, 36, 38, 39].map(jetpackMajor), [4, 5, 5, 6, 7, 7]);
  assert.equal(jetpackMajor(33), undefined);
  assert.equal(tegraSoc(['nvidia,p3768-0000+p3767-0005', 'nvidia,tegra234', 'nvidia,tegra23x']), 'tegra234');
});

test('module table: part numbers with their SKU, products valid as label values', () => {
  for (const [part, { product, memoryGiB }] of Object.entries(table.modules)) {
    assert.match(part, /^p\d{4}-\d{4}$/);
    assert.ok([2, 4, 8, 16, 32, 64, 128].includes(memoryGiB), `${part}: ${memoryGiB} GiB is a size Jetson modules come in`);
    assert.match(product, /^jetson-[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(`${product}-super`.length <= 63, `${product}-super fits a label value`);
  }
});

test('module table against NVIDIA\'s "Jetson Module EEPROM Layout" (L4T 32.7 guide) and its Orin successors', () => {
  const expected: Record<string, string> = {
    'p2180-1000': 'jetson-tx1',
    'p3448-0000': 'jetson-nano-4gb', // developer kit module
    'p3448-0002': 'jetson-nano-4gb', // production module
    'p3448-0003': 'jetson-nano-2gb',
    'p3310-1000': 'jetson-tx2',
    'p3489-0000': 'jetson-tx2i',
    'p3636-0001': 'jetson-tx2-nx',
    'p2888-0001': 'jetson-agx-xavier-16gb',
    'p2888-0004': 'jetson-agx-xavier-32gb',
    'p2888-0005': 'jetson-agx-xavier-64gb',
    'p2888-0008': 'jetson-agx-xavier-industrial',
    'p3668-0001': 'jetson-xavier-nx-8gb', // the original (production) Xavier NX
    'p3668-0003': 'jetson-xavier-nx-16gb',
    'p3767-0000': 'jetson-orin-nx-16gb',
    'p3767-0001': 'jetson-orin-nx-8gb',
    'p3767-0003': 'jetson-orin-nano-8gb',
    'p3767-0004': 'jetson-orin-nano-4gb',
    'p3701-0004': 'jetson-agx-orin-32gb',
    'p3701-0005': 'jetson-agx-orin-64gb',
  };
  for (const [part, product] of Object.entries(expected)) assert.equal(jetsonModule(part)?.product, product, part);
  assert.equal(jetsonModule('p3767-9999'), undefined);
});

test("module RAM, as NVIDIA's module data sheets give it (and the GB in most products' names)", () => {
  const expected: Record<string, number> = {
    'p2180-1000': 4, // TX1
    'p3448-0000': 4,
    'p3448-0002': 4,
    'p3448-0003': 2, // Nano 4GB (dev kit, production), Nano 2GB
    'p3310-1000': 8,
    'p3489-0000': 8,
    'p3489-0888': 4,
    'p3636-0001': 4, // TX2, TX2i, TX2 4GB, TX2 NX
    'p2888-0006': 8,
    'p2888-0001': 16,
    'p2888-0004': 32,
    'p2888-0005': 64,
    'p2888-0008': 32, // AGX Xavier 8/16/32/64, Industrial
    'p3668-0000': 8,
    'p3668-0001': 8,
    'p3668-0003': 16, // Xavier NX (dev kit, 8GB, 16GB)
    'p3767-0000': 16,
    'p3767-0001': 8,
    'p3767-0003': 8,
    'p3767-0004': 4,
    'p3767-0005': 8, // Orin NX 16/8, Orin Nano 8/4, dev kit
    'p3701-0000': 32,
    'p3701-0004': 32,
    'p3701-0005': 64,
    'p3701-0008': 64, // AGX Orin dev kit, 32GB, 64GB, Industrial
    'p3834-0000': 64,
    'p3834-0008': 128, // Thor T4000, T5000
  };
  assert.deepEqual(new Set(Object.keys(table.modules)), new Set(Object.keys(expected)));
  for (const [part, gib] of Object.entries(expected)) assert.equal(jetsonModule(part)?.memoryGiB, gib, part);
});
