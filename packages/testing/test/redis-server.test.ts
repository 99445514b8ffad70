import { createConnection } from 'node:net';
import { startRedisServer } from '@keel/testing';

function answers(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    socket.once('connect', () => socket.write('INCR n\r\n'));
    socket.once('data', (c) => {
      socket.destroy();
      resolve(c.toString().trim());
    });
  });
}

describe('startRedisServer', () => {
  it('runs a private server that a test can kill and restart empty on the same port', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await answers(server.port)).toBe(':1');
      expect(await answers(server.port)).toBe(':2');
      await server.kill();
      expect(server.running).toBe(false);
      expect(await answers(server.port)).toBe('error ECONNREFUSED');
      await server.restart();
      expect(server.running).toBe(true);
      expect(await answers(server.port)).toBe(':1'); // nothing persisted
    } finally {
      await server.stop();
    }
    expect(server.running).toBe(false);
    await server.stop(); // twice is fine
  });

  it('names the binary and port when the server cannot start', async () => {
    await expect(startRedisServer({ binary: 'no-such-redis-server-binary' })).rejects.toThrow(
      /could not start no-such-redis-server-binary/,
    );
  });
});
