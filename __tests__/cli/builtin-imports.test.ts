// The names scripts/builtin-imports.ts reads from an importer's import statements: the stand-in for a
// built-in exports exactly these, so a name missed here would be undefined in the bundle (esbuild refuses
// to build when an import has no matching export, which catches the rest).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importedNames } from '../../scripts/builtin-imports.ts';

const names = (source: string, specifier: string) => {
  const taken = importedNames(source, specifier);
  return taken === 'everything' ? taken : [...taken].sort();
};

test('named, renamed and default imports; type-only names and other modules left out', () => {
  assert.deepEqual(names("import { readFileSync, statSync as stat } from 'node:fs';", 'node:fs'), ['readFileSync', 'statSync']);
  assert.deepEqual(names('import fs from "node:fs";', 'node:fs'), ['default']);
  assert.deepEqual(names("import fs, { constants } from 'node:fs';", 'node:fs'), ['constants', 'default']);
  assert.deepEqual(names("import { type Dir, type Dirent, lstatSync } from 'node:fs';", 'node:fs'), ['lstatSync']);
  assert.deepEqual(names("import type { Server } from 'node:http';\nimport { createServer } from 'node:http';", 'node:http'), ['createServer']);
  assert.deepEqual(names("import { join } from 'node:path';\nimport { readFileSync } from 'node:fs';", 'node:fs'), ['readFileSync']);
  // Several statements of one module, over several lines, as minified and formatted sources spell them.
  assert.deepEqual(names('import {\n  a,\n  b,\n} from \'node:util\';import{c}from"node:util";', 'node:util'), ['a', 'b', 'c']);
  // A bare specifier is another module than its node: form.
  assert.deepEqual(names("import { request } from 'https';", 'node:https'), []);
  assert.deepEqual(names("import { request } from 'https';", 'https'), ['request']);
});

test('a namespace import takes everything', () => {
  assert.equal(names("import * as net from 'node:net';", 'node:net'), 'everything');
  assert.equal(names("import { isIP } from 'net';\nimport * as net from 'net';", 'net'), 'everything');
});
