// A bank whose transfers are all-or-nothing: @abortOnException rolls back a
// failing transfer in memory and keeps it out of the journal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortOnException, initSystem, readonly } from 'prevalent';

class Bank {
  balances: Record<string, number> = {};

  open(account: string, deposit: number): void {
    if (account in this.balances) throw new Error(`account ${account} exists`);
    this.balances[account] = deposit;
  }

  @abortOnException
  transfer(from: string, to: string, amount: number): void {
    if (!(to in this.balances)) throw new Error(`no account ${to}`);
    this.balances[to] = this.balances[to]! + amount; // credit first...
    const left = (this.balances[from] ?? 0) - amount;
    if (left < 0) throw new Error(`insufficient funds in ${from}`); // ...so the rollback matters
    this.balances[from] = left;
  }

  @readonly
  total(): number {
    return Object.values(this.balances).reduce((a, b) => a + b, 0);
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
  console.log('balances:', JSON.stringify(bank.balances), 'total:', bank.total());
  await bank.close();

  const again = initSystem(new Bank(), basedir);
  console.log('after restart:', JSON.stringify(again.balances), 'total:', again.total());
  await again.close();
}

void main();
