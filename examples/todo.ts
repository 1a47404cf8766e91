// The todo list from coopy's README, closed and reopened in one process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyOf, initSystem, readonly } from 'prevalent';

interface Task {
  name: string;
  description: string;
  done: boolean;
}

class Todo {
  tasks: Task[] = [];

  addTask(name: string, description: string): void {
    this.tasks.push({ name, description, done: false });
  }

  complete(name: string): void {
    const task = this.tasks.find((t) => t.name === name);
    if (!task) throw new Error(`no task named "${name}"`);
    task.done = true;
  }

  /** Replaces the task of the same name (a copy edited by the caller). */
  update(task: Task): void {
    const at = this.tasks.findIndex((t) => t.name === task.name);
    if (at < 0) throw new Error(`no task named "${task.name}"`);
    this.tasks[at] = task;
  }

  @readonly
  task(name: string): Task | undefined {
    return this.tasks.find((t) => t.name === name);
  }

  @readonly
  open(): string[] {
    return this.tasks.filter((t) => !t.done).map((t) => t.name);
  }
}

async function main(): Promise<void> {
  const basedir = path.resolve(__dirname, '..', '.data', 'todo');
  fs.rmSync(basedir, { recursive: true, force: true });

  const todo = initSystem(new Todo(), basedir);
  todo.addTask('Some Task Name', 'A Task Description');
  todo.addTask('Write docs', 'FORMAT.md and DURABILITY.md');
  todo.complete('Some Task Name');
  // A query hands out a read-only view: edit a copy, and store it with an action.
  const draft = copyOf(todo.task('Write docs')!);
  draft.description += ', and ARCHITECTURE.md';
  todo.update(draft);
  console.log('open before restart:', todo.open());
  await todo.close();

  const again = initSystem(new Todo(), basedir);
  console.log('open after restart: ', again.open());
  console.log('its description:    ', again.task('Write docs')?.description);
  await again.close();
}

void main();
