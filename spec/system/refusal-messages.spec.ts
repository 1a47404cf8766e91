import { initSystem } from '../../lib';
import { DateTime, Duration, Interval } from 'luxon';
import { expectCode } from '../isolation/helpers';
import { freshBasedir, journalRecords } from '../support/tmp';

class Unlisted {
  n = 1;
}

class Board {
  tags: unknown[] = [];
  meta = new Map<string, unknown>();
  deep = { a: { b: {} as Record<string, unknown> } };
  pushTag(): void {
    this.tags.push(new Unlisted());
  }
  setMeta(): void {
    this.meta.set('author', { who: new Unlisted() });
  }
  setDeep(): void {
    this.deep.a.b['c'] = new Unlisted();
  }
  setOddKey(key: string): void {
    this.meta.set(key, new Unlisted());
  }
  keepUrl(): void {
    (this as unknown as { url: URL }).url = new URL('https://example.com/');
  }
}

describe('refusals of what an action stores name the place and the way out (regressions (new-user review): the message named the last key only, and advice led to another error)', () => {
  it('names the place by its path from the root, in an array, a Map and nested objects', async () => {
    const board = initSystem(new Board(), freshBasedir());
    expect(expectCode(() => board.pushTag(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the value the action stored at tags\[0\] is an instance of unregistered class Unlisted/,
    );
    expect(expectCode(() => board.setMeta(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: who in the value the action stored at meta\.get\("author"\) is an instance of unregistered class Unlisted/,
    );
    expect(expectCode(() => board.setDeep(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the value the action stored at deep\.a\.b\.c is/,
    );
    // Regression (review): `$'` and `$&` in a key were read as replacement patterns.
    for (const key of ["price$'", 'a$&b', '$`']) {
      expect(expectCode(() => board.setOddKey(key), 'NOT_SERIALIZABLE')).toContain(
        `the value the action stored at meta.get(${JSON.stringify(key)}) is an instance of unregistered class Unlisted`,
      );
    }
    expect(board.tags).toEqual([]);
    expect(journalRecords(board.basedirAbspath())).toEqual([]);
    await board.close();
  });

  it('says a class with #private members cannot be stored at all, instead of advising to register it', async () => {
    const board = initSystem(new Board(), freshBasedir());
    const message = expectCode(() => board.keepUrl(), 'NOT_SERIALIZABLE');
    expect(message).toMatch(/class URL, which has #private members/);
    expect(message).toMatch(/its href/);
    expect(message).not.toMatch(/register it/);
    await board.close();
  });

  it('suggests a method for an arrow function in a class field', () => {
    class Clicker {
      count = 0;
      onClick = (): void => {
        this.count++;
      };
    }
    expect(expectCode(() => initSystem(new Clicker(), freshBasedir()), 'NOT_SERIALIZABLE')).toMatch(
      /a function \(onClick\): functions cannot be stored.*make it a method of the class/,
    );
  });
});

// Regressions (fidelity red team): an array element made read-only or a getter was called "a
// named property of an Array"; an object made with Object.create() from another object was called
// "an instance of unregistered class Object", whose advice (register Object) is no way out.
describe('refusals that named the wrong thing', () => {
  const TEMPLATE = { kind: 'default' };
  class Shelf {
    arr = [1, 2];
    base = { x: 1 };
    items: unknown[] = [];
    elementReadOnly(): void {
      Object.defineProperty(this.arr, 0, { writable: false });
    }
    elementGetter(): void {
      Object.defineProperty(this.arr, 1, { get: () => 2, enumerable: true, configurable: true });
    }
    fromState(): void {
      this.items.push(Object.create(this.base));
    }
    fromTemplate(): void {
      this.items.push(Object.create(TEMPLATE));
    }
  }

  it('says an element is read-only or an accessor, not a named property', () => {
    const shelf = initSystem(new Shelf(), freshBasedir());
    expect(expectCode(() => shelf.elementReadOnly(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the element "0" the action wrote is read-only/,
    );
    expect(expectCode(() => shelf.elementGetter(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the element "1" the action wrote is an accessor property/,
    );
    return shelf.close();
  });

  it('says an object made with Object.create() has another object as its prototype', () => {
    const shelf = initSystem(new Shelf(), freshBasedir());
    for (const method of ['fromState', 'fromTemplate'] as const) {
      const message = expectCode(() => shelf[method](), 'NOT_SERIALIZABLE');
      expect(message).toMatch(/is an object whose prototype is another object, not a class's/);
      expect(message).not.toMatch(/class Object/);
    }
    return shelf.close();
  });
});

describe('a luxon Duration or Interval stored or passed (regression (service review): the refusal said to register it with @persistent, which fails on the luxon objects inside)', () => {
  class Plan {
    kept: unknown[] = [];
    keep(value: unknown): void {
      this.kept.push(value);
    }
    keepDuration(): void {
      this.kept.push(Duration.fromMillis(90_000));
    }
  }

  it('says how to store it as data instead', async () => {
    const plan = initSystem(Plan, freshBasedir());
    expect(expectCode(() => plan.keepDuration(), 'NOT_SERIALIZABLE')).toMatch(
      /a luxon Duration: prevalent stores luxon DateTimes, not Durations; store it as data \(duration\.toISO\(\)/,
    );
    const at = DateTime.fromMillis(0, { zone: 'utc' });
    const interval = Interval.fromDateTimes(at, at.plus({ hours: 1 }));
    const refusal = expectCode(() => plan.keep(interval), 'NOT_SERIALIZABLE');
    expect(refusal).toMatch(
      /a luxon Interval: .*store its two ends \(interval\.start, interval\.end\)/,
    );
    expect(refusal).not.toMatch(/@persistent/);
    expect(journalRecords(plan.basedirAbspath())).toEqual([]);
    await plan.close();
  });
});

describe('a String object stored or in the initial state (regression (codec review): refused as a "non-configurable property" with no place, which its own index and length properties are by nature)', () => {
  class Notes {
    list: unknown[] = [];
    keepString(): void {
      this.list.push(new String('ab'));
    }
    keepEmptyStringInside(): void {
      this.list.push({ s: new String('') });
    }
  }
  class BoxedAtStart {
    list: unknown[] = [1, new String('ab')];
  }

  it('names it as a String object wrapping a primitive, and its place, as for the other boxed primitives', async () => {
    const notes = initSystem(Notes, freshBasedir());
    for (const [method, place] of [
      [
        'keepString',
        /^NOT_SERIALIZABLE: the value the action stored at list\[0\] is a String object wrapping a primitive: .*\.valueOf\(\)/,
      ],
      [
        'keepEmptyStringInside',
        /^NOT_SERIALIZABLE: s in the value the action stored at list\[0\] is a String object wrapping a primitive/,
      ],
    ] as const) {
      const message = expectCode(() => notes[method](), 'NOT_SERIALIZABLE');
      expect(message).toMatch(place);
      expect(message).not.toMatch(/non-configurable/);
    }
    expect(notes.list).toEqual([]);
    expect(journalRecords(notes.basedirAbspath())).toEqual([]);
    await notes.close();
    const initial = expectCode(() => initSystem(BoxedAtStart, freshBasedir()), 'NOT_SERIALIZABLE');
    expect(initial).toMatch(/list\[1\] is a String object wrapping a primitive/);
    expect(initial).not.toMatch(/non-configurable/);
  });
});

describe('a frozen, sealed or locked object deep in a value an action stores (regression (codec review): the refusal named no place, as "a frozen, sealed or non-extensible object cannot be stored in the state", however deep it was)', () => {
  class Catalog {
    pages: Record<string, unknown> = { home: {} };
    add(): void {
      (this.pages['home'] as Record<string, unknown>)['sections'] = {
        list: [{ ok: 1 }, Object.freeze({ title: 'x' })],
      };
    }
    addFrozen(): void {
      this.pages['about'] = Object.freeze({ title: 'y' });
    }
    addLocked(): void {
      this.pages['contact'] = { form: Object.defineProperty({}, 'to', { value: 'me' }) };
    }
  }

  it('names where it is in the stored value, and that value by its path from the root', async () => {
    const catalog = initSystem(Catalog, freshBasedir());
    expect(expectCode(() => catalog.add(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the value the action stored at pages\.home\.sections holds something a snapshot cannot keep as it is \(at list\[1\]\): a frozen, sealed or non-extensible object cannot be stored/,
    );
    expect(expectCode(() => catalog.addFrozen(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the value the action stored at pages\.about holds something a snapshot cannot keep as it is: a frozen, sealed or non-extensible object/,
    );
    expect(expectCode(() => catalog.addLocked(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the value the action stored at pages\.contact holds something a snapshot cannot keep as it is \(at form\): non-configurable property "to"/,
    );
    expect(catalog.pages).toEqual({ home: {} });
    expect(journalRecords(catalog.basedirAbspath())).toEqual([]);
    await catalog.close();
  });
});
