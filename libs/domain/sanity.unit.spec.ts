import { ok } from './index.js';
test('sanity', () => expect(ok).toBe(true));
