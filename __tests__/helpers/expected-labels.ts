// The labels users' nodeSelectors depend on, written out once: what an L4T Jetson Nano (the fixture
// jetson-nano-l4t.dtb and the sample examples/devicetree/jetson-nano.dtb) gets with the default node names.
export const JETSON_NANO_LABELS: Readonly<Record<string, string>> = {
  'beta.devicetree.org/arm-armv8': '4',
  'beta.devicetree.org/arm-cortex-a57': '4',
  'beta.devicetree.org/nvidia-gm20b': '1',
  'beta.devicetree.org/nvidia-jetson-nano': '1',
  'beta.devicetree.org/nvidia-tegra210': '1',
  'beta.devicetree.org/nvidia-tegra210-gm20b': '1',
};
