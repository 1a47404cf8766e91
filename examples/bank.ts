// A bank whose transfers are all-or-nothing: @abortOnException rolls back a
// failing transfer in memory and keeps it out of the journal. Accounts are
// keyed by name in a Map: a plain object keyed by outside input would find
// "toString" or "constructor" there already (README, "Data from requests").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortOnException, initSystem, readonly } from 'prevalent';

class Bank {
  balances = new Map<string, number>();

  open(account: string, deposit: number): void {
    if (this.balances.has(account)) throw new Error(`account ${account} exists`);
    this.balances.set(account, deposit);
  }

  @abortOnException
  transfer(from: string, to: string, amount: number): void {
    const credited = this.balances.get(to);
    if (credited === undefined) throw new Error(`no account ${to}`);
    this.balances.set(to, credited + amount); // credit first...
    const left = (this.balances.get(from) ?? 0) - amount;
    if (left < 0) throw new Error(`insufficient funds in ${from}`); // ...so the rollback matters
    this.balances.set(from, left);
  }

  @readonly
  total(): number {
    let sum = 0;
    for (const amount of this.balances.values()) sum += amount;
    return sum;
  }

  /** The balances as a plain object, for JSON (JSON.stringify writes a Map as {}). */
  @readonly
  statement(): Record<string, number> {
    return Object.fromEntries(this.balances);
  }
}

async function main(): Promise<void> {
  const basedir = path.resolve(__dirname, '..', '.data', 'bank');
  fs.rmSync(basedir, { recursive: true, force: true });
  const bank = initSystem(new Bank(), basedir);
  bank.open('alice', 100);
  bank.open('bob', 20);
  bank.transfer('alice', 'bob', 30);
  try {
    bank.transfer('bob', 'alice', 500);
  } catch (err) {
    console.log('refused:', (err as Error).message);
  }
  console.log('balances:', JSON.stringify(bank.statement()), 'total:', bank.total());
  await bank.close();

  const again = initSystem(new Bank(), basedir);
  console.log('after restart:', JSON.stringify(again.statement()), 'total:', again.total());
  await again.close();
}

void main();
