import { Readable } from 'node:stream';
import { readCapped } from './response-body.js';

describe('readCapped', () => {
  it('reads a short body completely', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    await expect(readCapped(body, 100)).resolves.toEqual({ text: 'hello world', truncated: false });
    expect(body.readableEnded).toBe(true);
  });

  it('stops at the cap and destroys the rest', async () => {
    const body = Readable.from([Buffer.from('abcdef'), Buffer.from('ghijkl'), Buffer.from('mnop')]);
    await expect(readCapped(body, 8)).resolves.toEqual({ text: 'abcdefgh', truncated: true });
    expect(body.destroyed).toBe(true);
  });
});
