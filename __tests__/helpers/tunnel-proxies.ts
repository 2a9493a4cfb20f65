// The two kinds of proxy a kubeconfig's `proxy-url` may name, as small tunnelling servers that record where
// each tunnel went: an HTTP proxy's CONNECT (RFC 9110 §9.3.6: the request target is host:port, a 2xx
// answer turns the connection into a tunnel) and SOCKS5 (RFC 1928: a greeting offering methods, the answer
// choosing "no authentication", then a CONNECT request by IPv4, domain name or IPv6 address and a reply).
// Bytes are passed through untouched: TLS runs end to end, through the tunnel, to the API server.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';

export interface TunnelProxy {
  /** The proxy's URL for a kubeconfig's proxy-url: http://127.0.0.1:PORT or socks5://127.0.0.1:PORT. */
  readonly url: string;
  /** host:port of every tunnel opened, in order. */
  readonly tunnels: string[];
  stop(): Promise<void>;
}

/** Joins two sockets both ways; either end closing or failing closes the other. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b).on('error', () => a.destroy());
  b.pipe(a).on('error', () => b.destroy());
  a.on('error', () => b.destroy()).on('close', () => b.destroy());
  b.on('error', () => a.destroy()).on('close', () => a.destroy());
}

async function listening(server: HttpServer | TcpServer, scheme: string, tunnels: string[], sockets: Set<Socket>): Promise<TunnelProxy> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    async stop() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** An HTTP proxy that serves CONNECT only. */
export function startConnectProxy(): Promise<TunnelProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((_request, response) => response.writeHead(405, { allow: 'CONNECT' }).end());
  server.on('connect', (request, client: Socket, head: Buffer) => {
    const target = /^(.+):(\d+)$/.exec(request.url ?? '');
    if (target === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    tunnels.push(request.url!);
    const upstream = connect(Number(target[2]), target[1]!.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      splice(client, upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  return listening(server, 'http', tunnels, sockets);
}

/** A SOCKS5 proxy without authentication that serves CONNECT only. */
export function startSocks5Proxy(): Promise<TunnelProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    let buffered = Buffer.alloc(0);
    let greeted = false;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!greeted) {
        // VER NMETHODS METHODS...
        if (buffered.length < 2 || buffered.length < 2 + buffered[1]!) return;
        const version = buffered[0];
        const methods = buffered.subarray(2, 2 + buffered[1]!);
        buffered = buffered.subarray(2 + buffered[1]!);
        if (version !== 5 || !methods.includes(0)) {
          client.end(Buffer.from([5, 0xff])); // no acceptable method
          return;
        }
        greeted = true;
        client.write(Buffer.from([5, 0])); // no authentication required
      }
      // VER CMD RSV ATYP DST.ADDR DST.PORT
      if (buffered.length < 5) return;
      const [version, command, , type] = buffered;
      const addressLength = type === 1 ? 4 : type === 4 ? 16 : type === 3 ? 1 + buffered[4]! : -1;
      if (version !== 5 || command !== 1 || addressLength < 0) {
        client.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0])); // command not supported
        return;
      }
      if (buffered.length < 4 + addressLength + 2) return;
      const address = buffered.subarray(4, 4 + addressLength);
      const host =
        type === 1
          ? [...address].join('.')
          : type === 3
            ? address.subarray(1).toString('latin1')
            : [...Array(8).keys()].map((i) => address.readUInt16BE(i * 2).toString(16)).join(':');
      const port = buffered.readUInt16BE(4 + addressLength);
      const rest = buffered.subarray(4 + addressLength + 2);
      client.off('data', onData);
      tunnels.push(`${host}:${port}`);
      const upstream = connect(port, host, () => {
        client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])); // succeeded (bound address not told)
        upstream.write(rest);
        splice(client, upstream);
      });
      upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))); // connection refused
    };
    client.on('data', onData).on('error', () => client.destroy());
  });
  return listening(server, 'socks5', tunnels, sockets);
}
