import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('SSR import', () => {
  it('should import the SDK and the testing entry with no window or document', async () => {
    const g = globalThis as Record<string, unknown>;
    assert.equal(g.window, undefined);
    assert.equal(g.document, undefined);
    const sdk = await import('./index.js');
    const testing = await import('./testing/index.js');
    assert.equal(g.window, undefined, 'importing defined no window');
    assert.equal(g.document, undefined, 'importing defined no document');
    const client = sdk.createConsultClient({ tokenUrl: 'https://portal.test/api' });
    const session = client.createSession('c1');
    assert.equal(session.state.connection, 'idle');
    assert.equal(session.state.localMedia.canScreenShare, false);
    const fake = new testing.FakeSession({ connection: 'connected' });
    assert.equal(fake.state.connection, 'connected');
    await session.leave();
  });
});
