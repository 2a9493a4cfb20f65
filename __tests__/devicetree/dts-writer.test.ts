// The dts and JSON writers on names and values no real blob has: names dtc cannot read back are refused
// with one printable line, and string values are escaped as dtc reads them. That dtc really compiles the
// output back to the same tree is checked in differential.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toDts } from '../../src/devicetree/dts-writer.ts';
import { DevicetreeSourceError } from '../../src/devicetree/errors.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { toJsonTree } from '../../src/devicetree/tree-json.ts';
import { buildBlob, type NodeSpec } from '../helpers/fdt-builder.ts';

const tree = (spec: NodeSpec) => parseBlob(buildBlob(spec));
/** C0 and C1 control characters and DEL: none may reach a terminal from a message. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what the writer must never emit is exactly these
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function refuses(spec: NodeSpec, message: RegExp): void {
  assert.throws(
    () => toDts(tree(spec)),
    (e) => {
      assert.ok(e instanceof DevicetreeSourceError, String(e));
      assert.doesNotMatch(e.message, CONTROL, 'the message is one printable line');
      assert.match(e.message, /^cannot write .* as devicetree source: .*; use -o json$/);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('node names dtc cannot read back are refused, naming the node', () => {
  refuses(
    { name: '', children: [{ name: 'soc', children: [{ name: 'x\x1b[31m' }] }] },
    /node "\/soc\/x\\u001b\[31m" as devicetree source: dtc cannot read its name back \(node names take only/,
  );
  refuses({ name: '', children: [{ name: 'a\nb' }] }, /node "\/a\\nb"/);
  refuses({ name: '', children: [{ name: 'a/b' }] }, /node "\/a\/b"/);
  refuses({ name: '', children: [{ name: 'a b' }] }, /node "\/a b"/);
  refuses({ name: '', children: [{ name: 'caf\xe9' }] }, /node "\/caf\\u00e9"/);
  refuses({ name: '', children: [{ name: '\x9b2J' }] }, /node "\/\\u009b2J"/);
  refuses({ name: '', children: [{ name: 'a*b' }] }, /node "\/a\*b"/); // in the lexer's set, but dtc's node_name_chars check refuses it
  refuses({ name: '', children: [{ name: 'a@1@2' }] }, /one @/);
  refuses({ name: '', children: [{ name: 'soc', children: [{ name: '' }] }] }, /an unnamed subnode of node "\/soc" as devicetree source: dtc cannot read an empty node name/);
});

test('property names dtc cannot read back are refused, naming the property and its node', () => {
  refuses(
    { name: '', children: [{ name: 'n', props: { 'evil\x1b]0;title\x07': 'x' } }] },
    /property "evil\\u001b\]0;title\\u0007" of node "\/n" as devicetree source: dtc cannot read its name back/,
  );
  refuses({ name: '', props: { 'a@b': 'x' } }, /property "a@b" of node "\/"/);
  refuses({ name: '', props: { '': 'x' } }, /property "" of node "\/" as devicetree source: its name is empty/);
});

test('two siblings or two properties of one name are refused (dtc refuses them)', () => {
  refuses({ name: '', children: [{ name: 'a' }, { name: 'a' }] }, /node "\/a" as devicetree source: its parent has two subnodes of that name/);
  const blob = buildBlob([{ begin: '' }, { prop: 'p', value: 'x' }, { prop: 'p', value: 'y' }, { end: true }]);
  assert.throws(() => toDts(parseBlob(blob)), /property "p" of node "\/" as devicetree source: the node has two properties of that name/);
});

test('every name dtc reads is written as it is', () => {
  const dts = toDts(tree({ name: '', props: { '#a?*-+,._9': 'x' }, children: [{ name: 'A-Z_0.9,+@1,2' }, { name: '@0' }, { name: '0x10' }] }));
  assert.match(dts, /^\t#a\?\*-\+,\._9 = "x";$/m);
  assert.match(dts, /^\tA-Z_0\.9,\+@1,2 \{$/m);
  assert.match(dts, /^\t@0 \{$/m);
  assert.match(dts, /^\t0x10 \{$/m);
});

test('strings with control characters are written with the escapes dtc reads', () => {
  const dts = toDts(tree({ name: '', props: { p: ['tab\there', 'line\nbreak\r', 'bell\x07 ff\f vt\v', 'quote" backslash\\'] } }));
  assert.match(dts, /^\tp = "tab\\there", "line\\nbreak\\r", "bell\\a ff\\f vt\\v", "quote\\" backslash\\\\";$/m);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dts output may hold no control bytes but tab and newline
  assert.doesNotMatch(dts, /[\x00-\x08\x0b-\x1f\x7f-\xff]/);
  // ESC is not text: the value is shown as bytes, never as a string.
  assert.match(toDts(tree({ name: '', props: { p: 'a\x1b[2J' } })), /^\tp = \[61 1b 5b 32 4a 00\];$/m);
});

test('JSON: values with \\t or \\n are strings, and a property named __proto__ is a property like any other', () => {
  const json = toJsonTree(tree({ name: '', props: { __proto__: 'x', text: 'a\tb\n' } as Record<string, string> }));
  assert.deepEqual(JSON.parse(JSON.stringify(json)).root.properties, { __proto__: { strings: ['x'] }, text: { strings: ['a\tb\n'] } });
});
