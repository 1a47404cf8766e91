import * as path from 'node:path';
import * as ts from 'typescript';
import { tmpDir } from '../support/tmp';
import * as fs from 'node:fs';

// Regression: the public types import luxon's DateTime. A project without
// luxon's type declarations got an unresolved `any` there, which every type
// extends, so DeepReadonly gave back the mutable type and no mutation of a
// view failed to compile. Compiles a user file against lib/isolation/types.ts
// with 'luxon' unresolvable and checks that its @ts-expect-error lines hold.
describe('DeepReadonly without luxon type declarations', () => {
  it('still makes views read-only (regression: an unresolved DateTime made every view mutable)', () => {
    const dir = tmpDir('prevalent-types');
    const typesModule = path.resolve(__dirname, '../../lib/isolation/types');
    const file = path.join(dir, 'user.ts');
    fs.writeFileSync(
      file,
      [
        `import type { DeepReadonly } from ${JSON.stringify(typesModule)};`,
        'interface S { items: string[]; byId: Map<string, { n: number }>; when: Date }',
        'declare const s: DeepReadonly<S>;',
        '// @ts-expect-error',
        "s.items.push('x');",
        '// @ts-expect-error',
        "s.byId.set('a', { n: 1 });",
        '// @ts-expect-error',
        's.when.setTime(0);',
        'export const n: number = s.items.length;',
      ].join('\n'),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    host.resolveModuleNameLiterals = (literals, containing, _redirect, opts) =>
      literals.map((lit) =>
        lit.text === 'luxon'
          ? { resolvedModule: undefined }
          : ts.resolveModuleName(lit.text, containing, opts, host),
      );
    const program = ts.createProgram([file], options, host);
    const messages = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `TS${d.code} ${path.basename(d.file?.fileName ?? '')}`);
    // Only the missing module itself is reported: every @ts-expect-error met its error.
    expect(messages).toEqual(['TS2307 types.ts']);
  });
});
