// Overlays are told from base trees by what dtc writes into them (its overlay format: fragments with
// __overlay__, and __fixups__ / __local_fixups__ at the root); base trees, also those built with -@
// (__symbols__), are not overlays. The fixture pi4-overlay.dtbo is dtc -@ output of pi4-overlay.dts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { overlayMarker } from '../../src/devicetree/overlay.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { DtNode } from '../../src/devicetree/tree.ts';
import { fixture } from '../helpers/corpus.ts';

const tree = (file: string) => parseBlob(readFileSync(fixture(file)), file).root;

/** A child node added to `parent`, as the parser builds them. */
function child(parent: DtNode, name: string): DtNode {
  const node = new DtNode(name, parent);
  parent.children.push(node);
  return node;
}

test('an overlay as dtc -@ builds it is one: /__fixups__ names it first', () => {
  assert.equal(overlayMarker(tree('pi4-overlay.dtbo')), '/__fixups__');
});

test('a fragment with __overlay__ alone, or __local_fixups__ alone, marks an overlay too', () => {
  const fragments = new DtNode('');
  child(child(fragments, 'fragment@0'), '__overlay__');
  assert.equal(overlayMarker(fragments), '/fragment@0/__overlay__');
  const local = new DtNode('');
  child(local, '__local_fixups__');
  assert.equal(overlayMarker(local), '/__local_fixups__');
});

test('board trees are not overlays', () => {
  for (const file of ['jetson-nano-l4t.dtb', 'raspberry-pi-4.dtb', 'disabled-gpu.dtb', 'jetson-agx-thor.dtb']) assert.equal(overlayMarker(tree(file)), undefined, file);
  // L4T R32's plugin-manager fragments use "_overlay_" (one underscore) inside a base tree: not dtc's format.
  const l4t = new DtNode('');
  child(child(child(child(l4t, 'plugin-manager'), 'fragment@0'), 'override@0'), '_overlay_');
  assert.equal(overlayMarker(l4t), undefined);
});
