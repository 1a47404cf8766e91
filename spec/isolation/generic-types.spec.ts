import { initSystem, persistent, type DeepReadonly, type Prevalent } from '../../lib';
import { closedAfterEach } from '../support/opened';
import { freshBasedir } from '../support/tmp';
import { codeOf } from './helpers';

/*
 * Compile-time checks (npm run typecheck) of views met inside generic code:
 * a repository helper over `Prevalent<Repo<T>>` or `DeepReadonly<T[]>`, with
 * T a type parameter.
 */

interface Entity {
  id: string;
  createdAt: Date;
  tags: string[];
}

@persistent('GenericTypes.Note')
class Note implements Entity {
  constructor(
    public id: string,
    public createdAt = new Date(5),
    public tags: string[] = [],
  ) {}
}

class Repo<T extends Entity> {
  items: T[] = [];
  add(item: T): void {
    this.items.push(item);
  }
}

// Regression (types review): an array's elements were mapped as an object's members are
// (`T[K] extends AnyMethod ? ReadonlyMethod<T[K]> : DeepReadonly<T[K]>`), which TypeScript
// cannot resolve for a type parameter: an element of `DeepReadonly<T[]>` was not a
// `DeepReadonly<T>`, had none of T's members, and was refused by the repository's own action.
export function findById<T extends Entity>(
  items: DeepReadonly<T[]>,
  id: string,
): DeepReadonly<T> | undefined {
  return items.find((item) => item.id === id);
}

export function readdFirst<T extends Entity>(repo: Prevalent<Repo<T>>): number {
  const first = repo.items[0];
  if (first !== undefined) repo.add(first);
  return first?.createdAt.getTime() ?? 0;
}

export function refusesWrites<T extends Entity>(repo: Prevalent<Repo<T>>): void {
  // @ts-expect-error the elements stay read-only
  repo.items[0]!.tags.push('t');
  // @ts-expect-error and so does the array
  repo.items.push(repo.items[0]!);
}

class Notes extends Repo<Note> {}

const opened = closedAfterEach();

describe('views in generic code', () => {
  it('find, pass back and refuse writes as for a concrete type', () => {
    const notes = opened(initSystem(Notes, { basedir: freshBasedir(), durability: 'none' }));
    notes.add(new Note('a'));
    expect(findById(notes.items, 'a')?.id).toBe('a');
    expect(readdFirst(notes)).toBe(5);
    expect(notes.items).toHaveLength(2);
    expect(codeOf(() => refusesWrites(notes))).toBe('READONLY_VIOLATION');
  });
});
