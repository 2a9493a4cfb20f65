// The watch's line reader, against a local HTTP server that plays the API server's watch stream at the byte
// level: the Kubernetes API conventions' watch format, one JSON event per line ({"type":...,"object":...}),
// here sent in pieces that cut lines and multi-byte characters anywhere, as TCP may. What a real API server
// sends (and when it ends a watch) is tested in cluster-client.test.ts against the real kube-apiserver.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { apiRequester } from '../../src/kubernetes/api-request.ts';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.ts';

let server: Server;
let respond: (response: ServerResponse) => void = () => {};
let url = '';

before(async () => {
  server = createServer((_request, response) => respond(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** Watches through `apiRequester` while the server runs `stream`; the events and how the watch ended. */
async function watchWith(stream: (response: ServerResponse) => void): Promise<{ events: Array<[string, unknown]>; ended: unknown }> {
  respond = stream;
  const requester = apiRequester(loadKubeConfig({ apiServer: url }));
  const events: Array<[string, unknown]> = [];
  const ended = await new Promise<unknown>((resolve) => {
    void requester.watch('/api/v1/nodes', {}, 5000, (type, object) => events.push([type, object]), resolve);
  });
  return { events, ended };
}

test('events cut anywhere, also inside a multi-byte character, arrive whole and in order', async () => {
  const objects = [{ metadata: { name: 'jetson-örin', labels: { 'x/ü': '✓' } } }, { metadata: { name: 'pi' } }, { metadata: { name: '节点' } }];
  const stream = Buffer.from(`${objects.map((object, i) => JSON.stringify({ type: i === 1 ? 'MODIFIED' : 'ADDED', object })).join('\n')}\n`);
  const { events, ended } = await watchWith((response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    // Three bytes at a time: every line and every two- and three-byte character is split somewhere.
    let at = 0;
    const next = () => {
      if (at >= stream.length) return response.end();
      response.write(stream.subarray(at, at + 3));
      at += 3;
      setImmediate(next);
    };
    next();
  });
  assert.equal(ended, null, 'the server ended the stream');
  assert.deepEqual(events, [
    ['ADDED', objects[0]],
    ['MODIFIED', objects[1]],
    ['ADDED', objects[2]],
  ]);
});

test('a line that is not JSON is skipped; a last line without its newline is not an event', async () => {
  const { events } = await watchWith((response) => {
    response.writeHead(200);
    response.end(`not json\n${JSON.stringify({ type: 'ADDED', object: { n: 1 } })}\r\n{"type":"DELETED","object":{}`);
  });
  assert.deepEqual(events, [['ADDED', { n: 1 }]]);
});

test('a line longer than 16 MiB ends the watch with an error instead of growing without bound', async () => {
  const { events, ended } = await watchWith((response) => {
    response.writeHead(200);
    const piece = 'x'.repeat(1024 * 1024);
    let sent = 0;
    const next = () => {
      if (response.destroyed || sent++ > 40) return response.end();
      response.write(piece, () => setImmediate(next));
    };
    next();
  });
  assert.deepEqual(events, []);
  assert.match(String((ended as Error).message), /a line longer than 16 MiB/);
});
