import 'reflect-metadata';
import { initSystem } from './system/init';
import { readonly, abortOnException, unlocked, persistent } from './decorators';
import { Clock, mockClock, enableClock } from './clock/clock';
import { PrevalenceError, isPrevalenceError } from './errors';
import { realFs } from './fs/seam';
import { verifyReplay } from './system/verify';
import { copyOf } from './system/copy-of';

export { initSystem };
export type { Prevalent, PrevalentMutable, SystemControls, SnapshotOptions } from './system/types';
export type {
  DeepReadonly,
  ReadonlyDate,
  ReadonlyTypedArray,
  ReadonlyObject,
  ReadonlyMethod,
  ViewOrValue,
  AnyMethod,
} from './isolation/types';
export type { SystemOptions, Durability, Isolation, RestoreProgress } from './system/options';
export type { StorableClass } from './codec/registry';
export { readonly, abortOnException, unlocked, persistent };
export type { MethodDecorator } from './decorators';
export { Clock, mockClock, enableClock };
export { PrevalenceError, isPrevalenceError };
export type { PrevalenceErrorCode } from './errors';
export { realFs };
export type { FileSystem, EntryKind } from './fs/seam';
export { verifyReplay };
export type { ReplayReport, ReplayDivergence, VerifyOptions } from './system/verify';
export { copyOf };
export type { DeepMutable } from './system/copy-of';

/**
 * The whole API as one object, for `import prevalent from 'prevalent'` (a
 * TypeScript project compiled to CommonJS reads a default import as
 * `exports.default`; the ES-module entry's default is the module itself,
 * which holds the same functions).
 */
const prevalent = {
  initSystem,
  readonly,
  abortOnException,
  unlocked,
  persistent,
  Clock,
  mockClock,
  enableClock,
  PrevalenceError,
  isPrevalenceError,
  realFs,
  verifyReplay,
  copyOf,
};
export default prevalent;
