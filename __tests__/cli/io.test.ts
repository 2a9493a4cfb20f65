// How the CLI writes to its standard output and error: writeAll, with write(2)'s documented outcomes
// (POSIX write(): a short count, EAGAIN on a full non-blocking pipe, EPIPE once the reader is gone) played
// by a stand-in, and the built CLI writing into a pipe whose reader leaves after the first bytes.
// tier: full (the last test runs the built CLI)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { writeAll } from '../../src/cli/io.ts';
import { type Corpus, corpusPath, jetsonL4t } from '../helpers/corpus.ts';
import { CLI, REPO } from '../helpers/run-cli.ts';

const failure = (code: string) => Object.assign(new Error(code), { code });

test('short writes are continued and a full pipe is waited for, until every byte is out', () => {
  const written: number[] = [];
  let calls = 0;
  writeAll(1, 'abcdef', (fd, buffer, offset) => {
    assert.equal(fd, 1);
    calls++;
    if (calls === 2) throw failure('EAGAIN');
    const n = Math.min(2, buffer.length - offset);
    written.push(...buffer.subarray(offset, offset + n));
    return n;
  });
  assert.equal(Buffer.from(written).toString(), 'abcdef');
  assert.equal(calls, 4);
});

test('a reader that has gone (EPIPE) ends the output quietly; any other failure is thrown', () => {
  let calls = 0;
  writeAll(1, 'abc', () => {
    calls++;
    throw failure('EPIPE');
  });
  assert.equal(calls, 1);
  assert.throws(
    () =>
      writeAll(2, 'abc', () => {
        throw failure('EBADF');
      }),
    { code: 'EBADF' },
  );
});

const l4t = jetsonL4t();

test('the built CLI into a pipe closed after its first bytes (`| head -c 1`): exit 0, nothing on stderr', { skip: 'skip' in l4t ? l4t.skip : false }, async () => {
  // The Nano's tree as JSON is far more than a pipe holds (64 KiB), so the writes after the reader left fail with EPIPE.
  const nano = corpusPath(l4t as Corpus, 'tegra210-p3448-0000-p3449-0000-b00.dtb');
  const child = spawn(process.execPath, [CLI, 'dump', '--dtb', nano, '-o', 'json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.once('data', () => child.stdout.destroy());
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});
