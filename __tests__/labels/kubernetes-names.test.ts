import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidDnsSubdomain, isValidLabelKey, isValidLabelName, isValidLabelValue } from '../../src/labels/kubernetes-names.ts';

test('label names: 63 alphanumerics, "-", "_", "." inside', () => {
  for (const ok of ['a', 'A9', 'nvidia-gm20b', 'a.b_c-d', 'x'.repeat(63)]) assert.ok(isValidLabelName(ok), ok);
  for (const bad of ['', '-a', 'a-', '.a', 'a/b', 'a b', 'a+', 'x'.repeat(64), 'caf\u00e9']) assert.ok(!isValidLabelName(bad), bad);
});

test('label values may be empty', () => {
  assert.ok(isValidLabelValue(''));
  assert.ok(isValidLabelValue('12'));
  assert.ok(!isValidLabelValue('1 2'));
});

test('prefixes are lowercase DNS subdomains of at most 253 characters', () => {
  for (const ok of ['beta.devicetree.org', 'devicetree.example.com', 'a', 'a-1.b']) assert.ok(isValidDnsSubdomain(ok), ok);
  for (const bad of ['', 'Beta.devicetree.org', 'a..b', '-a.b', 'a_b', 'a.', `${'a'.repeat(250)}.com`]) assert.ok(!isValidDnsSubdomain(bad), bad);
});

test('keys: optional prefix and one slash', () => {
  assert.ok(isValidLabelKey('beta.devicetree.org/nvidia-gm20b'));
  assert.ok(isValidLabelKey('plain'));
  assert.ok(!isValidLabelKey('beta.devicetree.org/qcom-msm8916-mtp/1'));
  assert.ok(!isValidLabelKey('/name'));
});
