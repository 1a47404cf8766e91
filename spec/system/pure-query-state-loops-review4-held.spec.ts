import { initSystem } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { Plain, ranRaw } from '../support/state-loops';

/**
 * Fourth review of the loops over a value of the state (lifecycle and
 * interplay): what held. A loop query in 'none' and 'clone' isolation never
 * runs raw, and after close() it is refused as before.
 */

const opened = closedAfterEach();

describe('state loops across the lifecycle', () => {
  it.each(['none', 'clone'] as const)('never run raw in %s isolation', (isolation) => {
    const sys = opened(initSystem(Plain, { basedir: freshBasedir(), isolation }));
    expect(ranRaw(() => sys.byId('b'))).toBe(false);
    expect((sys.byId('b') as { id: string }).id).toBe('b');
  });

  it('are refused after close()', async () => {
    const sys = initSystem(Plain, freshBasedir());
    expect(ranRaw(() => sys.byId('b'))).toBe(true);
    await sys.close();
    expect(() => sys.byId('b')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
