import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidLabelName } from '../../src/labels/kubernetes-names.ts';
import { compatibleToLabelName } from '../../src/labels/label-name.ts';

test('vendor and model are joined with "-", as the Go labeller named them', () => {
  assert.equal(compatibleToLabelName('nvidia,tegra210-gm20b'), 'nvidia-tegra210-gm20b');
  assert.equal(compatibleToLabelName('nvidia,jetson-nano'), 'nvidia-jetson-nano');
  assert.equal(compatibleToLabelName('arm,cortex-a57'), 'arm-cortex-a57');
  assert.equal(compatibleToLabelName('brcm,bcm2711'), 'brcm-bcm2711');
});

test('a compatible without a vendor is used as it is', () => {
  assert.equal(compatibleToLabelName('pwm-fan'), 'pwm-fan');
  assert.equal(compatibleToLabelName('simple-bus'), 'simple-bus');
});

test('the vendor table renames xlnx to xilinx, only as a vendor', () => {
  assert.equal(compatibleToLabelName('xlnx,zynqmp'), 'xilinx-zynqmp');
  assert.equal(compatibleToLabelName('acme,xlnx-clone'), 'acme-xlnx-clone');
  assert.equal(compatibleToLabelName('xlnxfoo,bar'), 'xlnxfoo-bar');
});

test("vendors named like Object's own properties are vendors like any other (issue 17: they matched inherited members)", () => {
  // The label rules: vendor, "-", model; "_" is allowed inside a name; the ends are trimmed to alphanumerics.
  assert.equal(compatibleToLabelName('constructor,foo'), 'constructor-foo');
  assert.equal(compatibleToLabelName('toString,y'), 'toString-y');
  assert.equal(compatibleToLabelName('hasOwnProperty,z'), 'hasOwnProperty-z');
  assert.equal(compatibleToLabelName('__proto__,x'), 'proto__-x');
  assert.equal(compatibleToLabelName('valueOf,'), 'valueOf');
});

test('further commas become "-"', () => {
  assert.equal(compatibleToLabelName('acme,a,b,c'), 'acme-a-b-c');
});

test('characters Kubernetes forbids become "-" and the ends are trimmed to alphanumerics', () => {
  assert.equal(compatibleToLabelName('qcom,msm8916-mtp/1'), 'qcom-msm8916-mtp-1');
  assert.equal(compatibleToLabelName('solidrun,cubox-i/dl'), 'solidrun-cubox-i-dl');
  assert.equal(compatibleToLabelName(' jedec,spi-nor'), 'jedec-spi-nor');
  assert.equal(compatibleToLabelName('fsl,qoriq-rcpm-2.1+'), 'fsl-qoriq-rcpm-2.1');
  assert.equal(compatibleToLabelName('acme,caf\u00c3\u00a9'), 'acme-caf');
  assert.equal(compatibleToLabelName('-_.x._-'), 'x');
  assert.equal(compatibleToLabelName('ti,am335x_evm'), 'ti-am335x_evm');
});

test('nothing usable left gives undefined', () => {
  for (const c of ['', ',', '///', ' ', '+,+']) assert.equal(compatibleToLabelName(c), undefined, JSON.stringify(c));
});

test('long names are cut to 63 characters with a stable hash, keeping distinct compatibles distinct', () => {
  const base = `acme,${'very-long-model-name-'.repeat(4)}`;
  const a = compatibleToLabelName(`${base}rev-a`)!;
  const b = compatibleToLabelName(`${base}rev-b`)!;
  assert.equal(a.length, 63);
  assert.ok(isValidLabelName(a) && isValidLabelName(b));
  assert.notEqual(a, b);
  assert.equal(a.slice(0, 50), b.slice(0, 50));
  assert.match(a, /-[0-9a-f]{8}$/);
  assert.equal(compatibleToLabelName(`${base}rev-a`), a, 'stable across calls');
  assert.equal(compatibleToLabelName(`acme,${'x'.repeat(58)}`), `acme-${'x'.repeat(58)}`, 'exactly 63 is kept whole');
});

test('a cut that ends on a separator is trimmed before the hash', () => {
  const name = compatibleToLabelName(`acme,${'a'.repeat(48)}//////${'b'.repeat(20)}`)!;
  assert.ok(isValidLabelName(name), name);
  assert.match(name, /^acme-a+-[0-9a-f]{8}$/);
});
