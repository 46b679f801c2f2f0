import { connect, type Socket } from 'node:net';

/** Opens a TCP connection to a loopback port, for requests `fetch` cannot send (huge headers, aborts). */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `raw` on a new connection and resolves with everything the server sent until it closed. */
export async function rawRequest(port: number, raw: string): Promise<string> {
  const socket = await openSocket(port);
  return new Promise((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.write(raw);
  });
}
