// The labels users' nodeSelectors depend on, written out once by hand from the label rules in the README and
// the facts of the real L4T R32.7.1 Nano tree: what a Jetson Nano (the fixture jetson-nano-l4t.dtb, the sample
// examples/devicetree/jetson-nano.dtb and the real tegra210-p3448-0000-p3449-0000-b00.dtb) gets with no flags.
export const JETSON_NANO_COMPATIBLE_LABELS: Readonly<Record<string, string>> = {
  'beta.devicetree.org/arm-armv8': '4',
  'beta.devicetree.org/arm-cortex-a57-64bit': '4',
  'beta.devicetree.org/nvidia-gm20b': '1',
  'beta.devicetree.org/nvidia-jetson-nano': '1',
  'beta.devicetree.org/nvidia-p3449-0000-b00-p3448-0000-b00': '1',
  'beta.devicetree.org/nvidia-tegra210': '1',
  'beta.devicetree.org/nvidia-tegra210-gm20b': '1',
};

/** The Jetson facts of a Nano read from a blob (no host root, so no L4T release). */
export const JETSON_NANO_FACTS: Readonly<Record<string, string>> = {
  'tegra.beta.devicetree.org/gpu.chip': 'gm20b',
  'tegra.beta.devicetree.org/gpu.compute.major': '5',
  'tegra.beta.devicetree.org/gpu.compute.minor': '3',
  'tegra.beta.devicetree.org/gpu.family': 'maxwell',
  'tegra.beta.devicetree.org/l4t.devicetree': 'true',
  // The Nano developer kit module has 4 GB of RAM (NVIDIA's Jetson Nano module data sheet).
  'tegra.beta.devicetree.org/memory.gib': '4',
  'tegra.beta.devicetree.org/module': 'p3448-0000',
  // SKU 0000 of board 3448 is the Jetson Nano (4 GB) developer kit module: NVIDIA's L4T developer guide,
  // "Jetson Module EEPROM Layout".
  'tegra.beta.devicetree.org/product': 'jetson-nano-4gb',
  'tegra.beta.devicetree.org/soc': 'tegra210',
};

export const JETSON_NANO_LABELS: Readonly<Record<string, string>> = { ...JETSON_NANO_COMPATIBLE_LABELS, ...JETSON_NANO_FACTS };
