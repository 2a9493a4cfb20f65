// The formats people hand over instead of a .dtb, by the magic numbers their own specifications give:
// gzip (RFC 1952: 1f 8b), xz (fd 37 7a 58 5a 00), zstd (RFC 8878: 28 b5 2f fd), bzip2 ("BZh"), Android's
// dt_table_header (DT_TABLE_MAGIC 0xd7b7ab1e), U-Boot's legacy image (IH_MAGIC 0x27051956), and devicetree
// source text. Samples are made here by the real tools where Node has them (zlib), else by those bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BoundedBytes } from '../../src/devicetree/bounded-bytes.ts';
import { FdtError } from '../../src/devicetree/errors.ts';
import { foreignFormatHint } from '../../src/devicetree/foreign-formats.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';

const hint = (bytes: Uint8Array) => foreignFormatHint(new BoundedBytes(bytes));

test('compressed blobs say how to decompress them', () => {
  assert.match(hint(gzipSync(Buffer.from('anything'))) ?? '', /^this is gzip-compressed data: decompress it first/);
  assert.match(hint(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0])) ?? '', /^this is xz-compressed/);
  assert.match(hint(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])) ?? '', /^this is zstd-compressed/);
  assert.match(hint(Buffer.from('BZh91AY&SY')) ?? '', /^this is bzip2-compressed/);
});

test('container images and source text are named', () => {
  assert.match(hint(Buffer.from([0xd7, 0xb7, 0xab, 0x1e, 0, 0, 0, 0])) ?? '', /Android DTB\/DTBO table image/);
  assert.match(hint(Buffer.from([0x27, 0x05, 0x19, 0x56, 0, 0, 0, 0])) ?? '', /U-Boot legacy image/);
  for (const text of ['/dts-v1/;\n/ {};', '// SPDX\n/dts-v1/;', '/* c */', '#include "x.dtsi"', '  /dts-v1/;', '/ {\n};', '/plugin/;']) {
    assert.match(hint(Buffer.from(text)) ?? '', /^this is devicetree source: compile it with dtc/, JSON.stringify(text));
  }
});

test('anything else gets no guess', () => {
  for (const bytes of [Buffer.from('{"not": "a blob"}'), Buffer.from([0, 0, 0, 0]), Buffer.from('#!/bin/sh'), Buffer.from([0x1f])]) assert.equal(hint(bytes), undefined);
});

test('the hint is part of the BAD_MAGIC error; the code stays BAD_MAGIC', () => {
  assert.throws(
    () => parseBlob(gzipSync(Buffer.alloc(64))),
    (error: unknown) => error instanceof FdtError && error.code === 'BAD_MAGIC' && /; this is gzip-compressed data/.test(error.message),
  );
});
