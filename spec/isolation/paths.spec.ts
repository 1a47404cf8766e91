import { beginTracking, endTracking, exportValue, tracked } from '../../lib/isolation/tracking';
import { locate, locateStats, resolvePath, rootView, viewOf } from '../../lib/isolation/views';
import { expectCode } from './helpers';

function makeState() {
  return {
    users: [
      { name: 'ann', address: { city: 'Oslo' } },
      { name: 'bob', address: { city: 'Rome' } },
    ],
    byId: new Map<unknown, { title: string }>([
      [1, { title: 'one' }],
      ['two', { title: 'two' }],
      [true, { title: 'yes' }],
      [null, { title: 'null' }],
    ]),
    archive: {} as Record<string, unknown>,
  };
}

function searches<T>(fn: () => T): [T, number] {
  const before = locateStats.searches;
  const result = fn();
  return [result, locateStats.searches - before];
}

describe('locate and resolvePath', () => {
  it('knows the path of a view reached by navigation without searching', () => {
    const raw = makeState();
    const root = rootView(raw);
    const city = root.users[1]!.address;
    const [path, n] = searches(() => locate(city, raw));
    expect(path).toEqual(['users', '1', 'address']);
    expect(n).toBe(0);
    expect(resolvePath(raw, path)).toBe(raw.users[1]!.address);
    expect(searches(() => locate(root, raw))).toEqual([[], 0]);
  });

  it('records Map keys as steps, for Map.get and for iteration', () => {
    const raw = makeState();
    const root = rootView(raw);
    expect(searches(() => locate(root.byId.get(1)!, raw))).toEqual([['byId', { mapKey: 1 }], 0]);
    const values = [...root.byId.values()];
    expect(searches(() => locate(values[2]!, raw))).toEqual([['byId', { mapKey: true }], 0]);
    const [, viaEntries] = [...root.byId.entries()][3]!;
    const [path, n] = searches(() => locate(viaEntries, raw));
    expect([path, n]).toEqual([['byId', { mapKey: null }], 0]);
    expect(resolvePath(raw, path)).toBe(raw.byId.get(null));
    expect(resolvePath(raw, ['byId', { mapKey: 'two' }])).toBe(raw.byId.get('two'));
  });

  it('knows the path of an object an action reached, without searching', () => {
    const raw = makeState();
    const log = beginTracking();
    const result = tracked(raw).users[0]!.address;
    endTracking();
    expect(log.size).toBe(0);
    const view = exportValue(result, 'readonly');
    expect(searches(() => locate(view, raw))).toEqual([['users', '0', 'address'], 0]);
  });

  it('searches when the path is unknown, then remembers it', () => {
    const raw = makeState();
    const view = viewOf(raw.users[0]!.address); // no navigation recorded a path
    expect(searches(() => locate(view, raw))).toEqual([['users', '0', 'address'], 1]);
    expect(searches(() => locate(view, raw))).toEqual([['users', '0', 'address'], 0]);
  });

  it('finds an object an action moved (recorded where it was stored) and refuses one that left the state', () => {
    const raw = makeState();
    const root = rootView(raw);
    const ann = root.users[0]!;
    const bob = root.users[1]!;
    // Move ann into the archive and drop bob, as an action would.
    beginTracking();
    const p = tracked(raw);
    p.archive['ann'] = p.users[0];
    p.users.splice(0, 2);
    endTracking();
    expect(searches(() => locate(ann, raw))).toEqual([['archive', 'ann'], 0]);
    // address links to ann, whose new place was recorded: no search.
    expect(searches(() => locate(ann.address, raw))).toEqual([['archive', 'ann', 'address'], 0]);
    const message = expectCode(() => locate(bob, raw), 'STALE_REFERENCE');
    expect(message).toMatch(
      /no longer part of the state .* pass an object read from the system again/,
    );
  });

  it('detects a recorded path that now leads to another object', () => {
    const raw = makeState();
    const first = rootView(raw).users[0]!;
    raw.users.reverse(); // users[0] is now bob
    expect(searches(() => locate(first, raw))).toEqual([['users', '1'], 1]);
  });

  it('resolvePath throws STALE_REFERENCE for a path that leads nowhere', () => {
    const raw = makeState();
    expectCode(() => resolvePath(raw, ['users', '5']), 'STALE_REFERENCE');
    expectCode(() => resolvePath(raw, ['users', '0', 'name']), 'STALE_REFERENCE');
    expectCode(() => resolvePath(raw, ['byId', { mapKey: 99 }]), 'STALE_REFERENCE');
    expectCode(() => resolvePath(raw, ['users', { mapKey: 0 }]), 'STALE_REFERENCE');
    expect(resolvePath(raw, [])).toBe(raw);
  });

  it('searches a large state (objects, arrays, Maps) for a view without a path', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => ({ id: i, inner: { i } }));
    const raw = { items, index: new Map(items.map((it) => [`k${it.id}`, it])) };
    const target = viewOf(items[49_999]!.inner);
    expect(searches(() => locate(target, raw))).toEqual([['items', '49999', 'inner'], 1]);
  });

  it('keeps exact links for many views made from one container (handlers sharing their parent)', () => {
    const pages: Record<string, { id: string; text: string }> = {};
    for (let i = 0; i < 40; i++) pages[`p${i}`] = { id: `p${i}`, text: 'x' };
    const list = Array.from({ length: 40 }, (_, i) => ({ n: i }));
    const raw = { pages, list, archive: {} as Record<string, unknown> };
    const root = rootView(raw);
    // Long runs from one parent, then runs interleaved between two parents.
    const views = Array.from({ length: 30 }, (_, i) => root.pages[`p${i}`]!);
    const items = Array.from({ length: 30 }, (_, i) => root.list[i]!);
    for (let i = 30; i < 40; i++) {
      views.push(root.pages[`p${i}`]!);
      items.push(root.list[i]!);
    }
    for (let i = 0; i < 40; i++) {
      expect(searches(() => locate(views[i]!, raw))).toEqual([['pages', `p${i}`], 0]);
      expect(searches(() => locate(items[i]!, raw))).toEqual([['list', String(i)], 0]);
      expect(root.pages[`p${i}`]).toBe(views[i]);
    }
    // Moving one page records its new place on its own handler, not on the
    // handler prototype its siblings share.
    beginTracking();
    const p = tracked(raw);
    p.archive['p20'] = p.pages['p20'];
    delete p.pages['p20'];
    endTracking();
    expect(searches(() => locate(views[20]!, raw))).toEqual([['archive', 'p20'], 0]);
    expect(searches(() => locate(views[21]!, raw))).toEqual([['pages', 'p21'], 0]);
    expect(searches(() => locate(views[39]!, raw))).toEqual([['pages', 'p39'], 0]);
    raw.pages['p21'] = { id: 'other', text: 'y' };
    expectCode(() => locate(views[21]!, raw), 'STALE_REFERENCE');
  });
});
