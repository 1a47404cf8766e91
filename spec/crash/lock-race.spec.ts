// Regression: after the lock holder was SIGKILLed, two processes calling
// initSystem at the same moment could both take over its stale lock (3 of 10
// rounds in an acceptance test): each wrote a temp file, renamed it over LOCK
// and read LOCK back, and both read-backs could see their own pid. Both then
// wrote, and the journal got a repeated sequence number (JOURNAL_CORRUPT on
// the next open). Here three children race for the directory in every round,
// on the lock of a SIGKILLed winner (even rounds) or a released one (odd
// rounds); exactly one may get in, and it keeps the directory open until the
// others have answered, so two holders would overlap.
import * as fs from 'node:fs';
import { initSystem } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { LOCK_CHILD, LedgerChild, dispose, holder } from './support/children';
import { Ledger, dumpLedger, modelAfter } from './support/ledger';

const ROUNDS = 24;
const RACERS = 3;

async function startRacers(): Promise<LedgerChild[]> {
  const racers = Array.from({ length: RACERS }, () => new LedgerChild(LOCK_CHILD));
  try {
    await Promise.all(racers.map((r) => r.waitFor('loaded')));
    return racers;
  } catch (err) {
    await Promise.all(racers.map(dispose));
    throw err;
  }
}

const answer = (r: LedgerChild): string | undefined =>
  r.lines.find((l) => /^(in|locked|failed) /.test(l));

/** One round: the racers open `dir` at the same moment; returns the one that got in. */
async function race(dir: string, racers: LedgerChild[], round: number): Promise<LedgerChild> {
  const at = Date.now() + 50;
  for (const r of racers) r.send(JSON.stringify({ dir, at }));
  await Promise.all(racers.map((r) => r.waitUntil('an answer', () => answer(r) !== undefined)));
  const answers = racers.map(answer);
  const winners = racers.filter((r) => answer(r)!.startsWith('in '));
  // Every other racer was refused with LOCKED, and nothing else went wrong.
  const refused = answers.filter((a) => a!.startsWith('locked ')).length;
  expect({ round, answers, winners: winners.length, refused }).toEqual({
    round,
    answers,
    winners: 1,
    refused: RACERS - 1,
  });
  return winners[0]!;
}

describe('crash: processes racing for the directory lock', () => {
  it('lets exactly one of three processes in at the same moment, over a SIGKILLed or released lock', async () => {
    const dir = freshBasedir('race');
    const first = await holder(dir, 1);
    await first.kill();
    let next: Promise<LedgerChild[]> | undefined = startRacers();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const racers = await (next as Promise<LedgerChild[]>);
        // Started now, the next racers load while this round runs.
        next = round + 1 < ROUNDS ? startRacers() : undefined;
        try {
          const winner = await race(dir, racers, round);
          // The winner did action round + 2 (the first child did action 1).
          expect(winner.lines).toContain(`in ${round + 2}`);
          if (round % 2 === 0) {
            await winner.kill();
          } else {
            winner.send('close');
            await winner.waitFor('closed');
          }
          await Promise.all(racers.map((r) => r.ended));
        } finally {
          await Promise.all(racers.map(dispose));
        }
      }
    } finally {
      if (next) await Promise.all((await next).map(dispose));
    }
    // Every action is there once, in order: no two writers ever shared the journal.
    const sys = initSystem(Ledger, { basedir: dir, isolation: 'none' });
    expect(dumpLedger(sys)).toEqual(modelAfter(ROUNDS + 1));
    await sys.close();
    // Closed: no lock file is left (no arbitration or temporary file either).
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('LOCK'))).toEqual([]);
  }, 60_000);
});
