// Lets child processes spawned by tests run TypeScript sources directly
// (node -r ./spec/support/register.js child.ts): transpile-only, CommonJS,
// standard decorators. Each transpiled file is cached by the hash of its
// source, so only the first child pays for loading the TypeScript compiler:
// the kill tests start more than a hundred children.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CACHE_FORMAT = 'prevalent-register-1';
const cacheDir =
  process.env.PREVALENT_TS_CACHE ||
  path.join(os.tmpdir(), `prevalent-ts-cache-${process.getuid ? process.getuid() : 'user'}`);
let ts;

function transpile(source, filename) {
  ts = ts || require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  }).outputText;
}

require.extensions['.ts'] = function compileCachedTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto
    .createHash('sha256')
    .update(`${CACHE_FORMAT}\0${filename}\0${source}`)
    .digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed, so a child starting at the same time never reads half a file.
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, output);
      fs.renameSync(tmp, cached);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
  module._compile(output, filename);
};
