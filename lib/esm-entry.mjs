// Copied to dist/index.mjs by the build: the ES-module entry of prevalent
// (package.json "exports", "import"). It is the CommonJS build (one copy,
// shared with require()), with luxon's ES build handed to it: luxon gives
// ES-module importers that build and require() its CommonJS one; without
// this, an ES-module application's Settings.defaultZone would not reach the
// DateTimes prevalent makes, and restored DateTimes would not be instances
// of its DateTime class (lib/luxon.ts).
import * as luxon from 'luxon';
import prevalent from './index.js';
import luxonHandover from './luxon.js';

luxonHandover.useLuxon(luxon);

export const {
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
} = prevalent;
export default prevalent;
