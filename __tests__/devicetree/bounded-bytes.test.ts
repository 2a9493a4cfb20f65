// StringWindow against a byte-by-byte reference written here: the first NUL at or after an offset, and
// Latin-1 as one character per byte. Real blobs reach it through the differential tests (the L4T trees'
// structure blocks are 170-410 KB, several windows); these cases aim at the window's edges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedBytes, StringWindow } from '../../src/devicetree/bounded-bytes.ts';
import { FdtError } from '../../src/devicetree/errors.ts';

const WINDOW = 64 * 1024; // the implementation's window size, so that cases can straddle its edges

function referenceNul(bytes: Uint8Array, offset: number, end: number): number | undefined {
  for (let i = offset; i < end; i++) if (bytes[i] === 0) return i;
  return undefined;
}

function referenceText(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** A deterministic pseudo-random generator (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Strings of 0-40 bytes (every byte value but NUL), one of them 70,000 bytes (longer than a window), with data between. */
function layout(seed: number): { bytes: Uint8Array; starts: number[] } {
  const next = random(seed);
  const bytes = new Uint8Array(400_000);
  const starts: number[] = [];
  let at = 0;
  while (at < bytes.length - 80_000) {
    starts.push(at);
    const length = starts.length === 40 ? 70_000 : Math.floor(next() * 41);
    for (let i = 0; i < length; i++) bytes[at + i] = 1 + Math.floor(next() * 255);
    at += length + 1; // the NUL
    const gap = Math.floor(next() * 64); // a property's bytes, NULs among them
    for (let i = 0; i < gap; i++) bytes[at + i] = Math.floor(next() * 256);
    at += gap;
  }
  return { bytes, starts };
}

test('a forward walk finds every string and its text as the byte-by-byte reference does', () => {
  for (const seed of [1, 2, 3]) {
    const { bytes, starts } = layout(seed);
    const window = new StringWindow(new BoundedBytes(bytes));
    let crossings = 0;
    for (const start of starts) {
      const nul = window.nulAfter(start, bytes.length, 'BAD_NAME', 'node name');
      assert.equal(nul, referenceNul(bytes, start, bytes.length), `seed ${seed}: string at ${start}`);
      assert.equal(window.latin1(start, nul), referenceText(bytes, start, nul), `seed ${seed}: text at ${start}`);
      if (Math.floor(start / WINDOW) !== Math.floor(nul / WINDOW)) crossings++;
    }
    assert.ok(crossings > 0, `seed ${seed}: some strings straddle a multiple of the window size`);
  }
});

test('jumping back before the window, or far past it, reads the same', () => {
  const { bytes, starts } = layout(4);
  const window = new StringWindow(new BoundedBytes(bytes));
  for (const start of [starts.at(-1)!, starts[0]!, starts[200]!, starts[10]!, starts.at(-2)!]) {
    const nul = window.nulAfter(start, bytes.length, 'BAD_NAME', 'node name');
    assert.equal(nul, referenceNul(bytes, start, bytes.length));
    assert.equal(window.latin1(start, nul), referenceText(bytes, start, nul));
  }
});

test('a NUL at or after `end` is not found, and the error names the string where it starts', () => {
  const bytes = new Uint8Array(WINDOW * 3).fill(0x61);
  bytes[100] = 0;
  bytes[WINDOW * 2 + 5] = 0;
  const window = new StringWindow(new BoundedBytes(bytes));
  assert.equal(window.nulAfter(90, 101, 'BAD_NAME', 'node name'), 100);
  const refused = (offset: number, end: number) => {
    assert.throws(
      () => window.nulAfter(offset, end, 'BAD_STRING', 'property name'),
      (error: unknown) => error instanceof FdtError && error.code === 'BAD_STRING' && error.offset === offset,
      `from ${offset} before ${end}`,
    );
  };
  refused(90, 100); // the NUL is exactly at end
  refused(101, WINDOW * 2); // longer than a window, no NUL before end
  assert.equal(window.nulAfter(101, WINDOW * 3, 'BAD_NAME', 'node name'), WINDOW * 2 + 5, 'longer than a window, found past it');
  refused(WINDOW * 2 + 6, WINDOW * 3); // runs to the end of the bytes
});
