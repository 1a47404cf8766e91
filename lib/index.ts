import 'reflect-metadata';

export { initSystem } from './system/init';
export type { Prevalent, PrevalentMutable, SystemControls, SnapshotOptions } from './system/types';
export type { DeepReadonly, ReadonlyDate, ReadonlyTypedArray } from './isolation/types';
export type { SystemOptions, Durability, Isolation, RestoreProgress } from './system/options';
export type { StorableClass } from './codec/registry';
export { readonly, abortOnException, unlocked, persistent } from './decorators';
export type { MethodDecorator } from './decorators';
export { Clock } from './clock/clock';
export { mockClock, enableClock } from './clock/clock';
export { PrevalenceError, isPrevalenceError } from './errors';
export type { PrevalenceErrorCode } from './errors';
export { realFs } from './fs/seam';
export type { EntryKind, FileSystem } from './fs/seam';
export { verifyReplay } from './system/verify';
export type { ReplayReport, ReplayDivergence, VerifyOptions } from './system/verify';
