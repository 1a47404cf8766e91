import { findOutsideWrite, findOutsideWriteInConstruction } from '../../lib/clock/outside-writes';

/** What findOutsideWrite finds in a method written as `source` (object-literal method syntax). */
function targetIn(source: string): string | undefined {
  return findOutsideWrite(source)?.target;
}

describe('findOutsideWrite: writes in an action that no snapshot keeps', () => {
  it.each([
    ['m() { counter++; }', 'counter'],
    ['m() { total += 2; }', 'total'],
    ['m() { last = this.x; }', 'last'],
    ['m() { [a, this.b] = [1, 2]; }', 'a'],
    ['m() { ({ a: this.a, b: seen } = o()); }', 'seen'],
    ['m() { for (k in this.o) {} }', 'k'],
    ['m() { const id = Wiki.nextId++; this.x = id; }', 'Wiki.nextId'],
    ['m() { stats.calls += 1; }', 'stats.calls'],
    ['m() { cache[this.key] = 1; }', 'cache[this.key]'],
    ['m() { delete registry.items[0]; }', 'registry.items[0]'],
    ['m() { globalThis.lastAction = "m"; }', 'globalThis.lastAction'],
    ['m() { this.constructor.count++; }', 'this.constructor.count'],
    ['m() { super.constructor.count++; }', 'super.constructor.count'],
    ['m() { this["constructor"].cache[this.key] = 1; }', 'this["constructor"].cache[this.key]'],
    ['m() { this.items.forEach((i) => { seen = i; }); }', 'seen'],
    ['m() { Wiki_1.nextId++; }', 'Wiki_1.nextId'],
    ['m() { Page.prototype.shared.level = 2; }', 'Page.prototype.shared.level'],
  ])('finds %s', (source, target) => {
    expect(targetIn(source)).toBe(target);
  });

  it.each([
    'm() { this.count++; this.pages[id] = 1; delete this.pages.a; }',
    'm(page) { page.rev++; page.tags[0] = "x"; }',
    'm() { let n = 0; n++; const o = {}; o.a = 1; }',
    'm() { var i; for (i = 0; i < 3; i++) {} }',
    'm() { for (const k in this.o) {} for (let v of this.list) v = 1; }',
    'm() { this.items.forEach((item, i) => { item.seen = true; i++; }); }',
    'm() { function helper() { let z = 0; z++; } helper(); }',
    'm() { arguments[0].x = 1; }',
    'm() { try { this.a(); } catch (e) { e.handled = true; } }',
    'm() { super.x = 1; this.constructor = 1; }',
    'm() { return Wiki.nextId + counter; }',
    'm() { const c = Wiki; c.nextId++; }',
    'm() { cache.set(1, 2); log.push(this.x); }',
  ])('finds nothing in %s', (source) => {
    expect(targetIn(source)).toBeUndefined();
  });

  it('gives the whole expression as written, and nothing for native code', () => {
    expect(findOutsideWrite('m() { const id = ++Wiki.nextId; }')).toEqual({
      text: '++Wiki.nextId',
      target: 'Wiki.nextId',
    });
    expect(findOutsideWrite('function push() { [native code] }')).toBeUndefined();
  });

  it.each([
    // tsc for ES5 (regression: its module-level cache `var templateObject_1;` was taken for state)
    'function (x) { this.log.push(tag(templateObject_1 || (templateObject_1 = __makeTemplateObject(["a", "b"], ["a", "b"])), x)); }',
    'function (x) { this.log.push(tag(templateObject_2 || (templateObject_2 = tslib_1.__makeTemplateObject(["a"], ["a"])), x)); }',
    // Babel for ES5, and loose
    'function add(x) { this.log.push(tag(_templateObject || (_templateObject = _taggedTemplateLiteral(["a", "b"])), x)); }',
    'function add(x) { this.log.push(tag(_templateObject2 || (_templateObject2 = _taggedTemplateLiteralLoose(["a"])), x)); }',
  ])(
    'takes a tagged template compiled to a module-level cache for no write outside the state: %s',
    (source) => {
      expect(targetIn(source)).toBeUndefined();
    },
  );

  it.each([
    // tsc --experimentalDecorators --target es2015 (regression: `var Acc_1;` is the module's, so both writes were warned about)
    `build(n) {
      let Acc = Acc_1 = class Acc {
        add(v) { this.total += v; Acc_1.count++; return this; }
      };
      Acc.count = 0;
      Acc = Acc_1 = __decorate([dec], Acc);
      return new Acc().add(n).total;
    }`,
    // the same for ES2022
    `build(n) {
      let Acc = class Acc {
        static { Acc_1 = this; }
        static count = 0;
        add(v) { Acc_1.count++; return this; }
      };
      Acc = Acc_1 = __decorate([dec], Acc);
      return new Acc().add(n);
    }`,
  ])("takes tsc's alias of a decorated class declared in the method for a local: %s", (source) => {
    expect(targetIn(source)).toBeUndefined();
  });

  it("still finds an alias-like name whose class is not the method's own", () => {
    expect(targetIn('m() { Wiki_1.nextId++; }')).toBe('Wiki_1.nextId');
    expect(targetIn('m() { { let Acc = 1; } Acc_1 = 2; }')).toBe('Acc_1');
  });

  it('still finds other lazily filled module variables', () => {
    expect(targetIn('m() { return cache || (cache = this.build()); }')).toBe('cache');
    expect(targetIn('m() { templateObject_1 = __makeTemplateObject(this.parts, []); }')).toBe(
      'templateObject_1',
    );
  });

  it("takes a named method function's own name for no local (swc and Babel name ES5 methods)", () => {
    expect(targetIn('function create() { create.calls++; }')).toBe('create.calls');
    expect(targetIn('function walk(n) { var walk = {}; walk.n = n; }')).toBeUndefined();
  });

  it('sees a name declared in an inner scope as local there only', () => {
    expect(targetIn('m() { { let n = 0; n++; } n++; }')).toBe('n');
    expect(targetIn('m() { const f = (n) => n++; f(1); }')).toBeUndefined();
  });
});

describe('findOutsideWriteInConstruction', () => {
  it('finds a field initialiser or constructor that counts in a static field', () => {
    class Page {
      static lastId = 0;
      id = ++Page.lastId;
    }
    class Counted {
      static made = 0;
      constructor() {
        Counted.made++;
      }
    }
    expect(findOutsideWriteInConstruction(Page.toString())?.target).toBe('Page.lastId');
    expect(findOutsideWriteInConstruction(Counted.toString())?.target).toBe('Counted.made');
  });

  it('takes the temporaries esbuild hoists to the module for lowered field initialisers for no write outside the state (regression: `label = this.title ?? "untitled"` for es2015-es2019 was warned about as a write to _a)', () => {
    // esbuild --target=es2019: `var _a, _b, _c, _d;` at module level, shared by the class's fields.
    const page = `class Page {
      constructor(title) {
        __publicField(this, "title", title);
        __publicField(this, "label", (_a = this.title) != null ? _a : "untitled");
        __publicField(this, "depth", (_c = (_b = this.parent) == null ? void 0 : _b.depth) != null ? _c : 0);
        __publicField(this, "meta", (_e = (_d = this.options).meta) != null ? _e : _d.meta = {});
        __publicField(this, "size", (_f = this.options.sizes).main || (_f.main = 1));
      }
    }`;
    expect(findOutsideWriteInConstruction(page)).toBeUndefined();
  });

  it.each([
    ['m() { _a = this.title; }', '_a'],
    ['m() { this.label = (_last = this.title) + "!"; }', '_last'],
    ['m() { this.n = (_count = _count + 1) + _count; }', '_count'],
    ['m() { this.n = _seen + (_seen = 1) + _seen; }', '_seen'],
    ['m() { this.n = (_a = this.x) != null ? _a : 0; _a.y = 1; }', '_a.y'],
    ['m() { this.n = (last = this.x) != null ? last : 0; }', 'last'],
  ])(
    'still finds a write to a module variable that outlives its statement: %s',
    (source, target) => {
      expect(findOutsideWrite(source)?.target).toBe(target);
    },
  );

  it.each([
    // tsc --target es5 (regression: the function's own name was taken for a local, so nothing was found)
    ['function Page() { this.id = ++Page.lastId; }', 'Page.lastId'],
    // Babel for ES5
    [
      'function Ticket() { _classCallCheck(this, Ticket); _defineProperty(this, "no", ++Ticket.issued); }',
      'Ticket.issued',
    ],
  ])(
    'finds a constructor function (a class compiled for ES5) counting in its own static field: %s',
    (source, target) => {
      expect(findOutsideWriteInConstruction(source)?.target).toBe(target);
    },
  );

  it('does not look at static members or methods', () => {
    class Quiet {
      static made = 0;
      static reset(): void {
        Quiet.made = 0;
      }
      id = 1;
      bump(): void {
        Quiet.made++;
      }
    }
    expect(findOutsideWriteInConstruction(Quiet.toString())).toBeUndefined();
  });
});
