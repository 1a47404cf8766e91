import type { Prevalent } from '../../lib';

/**
 * `opened(system)` for a spec file: every system passed through it is
 * closed after each test (registers the afterEach when called at the top
 * of the file).
 */
export function closedAfterEach(): <T extends object>(system: Prevalent<T>) => Prevalent<T> {
  const open: Array<Prevalent<object>> = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return (system) => {
    open.push(system as Prevalent<object>);
    return system;
  };
}
