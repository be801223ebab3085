import type { TributaryClient } from '../client/tributary-client.ts';
import type { Process } from '../client/schemas.ts';
import { printJson } from './format.ts';
import { describeProcess } from './describe-process.ts';

/** Exit codes of `watch` and `start --watch`, by final status. */
export const EXIT_CODES: Readonly<Record<string, number>> = { COMPLETED: 0, FAILED: 1, CANCELLED: 2 };

export interface WatchOptions {
  readonly out: (line: string) => void;
  /** Print only the final process, as JSON. */
  readonly json: boolean;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** Redraw in place (a terminal) or print each change once (a pipe or log). @default process.stdout.isTTY */
  readonly live?: boolean;
}

/**
 * Polls the process until it leaves RUNNING and returns the exit code for its
 * final status. On a terminal the view is redrawn in place; otherwise it is
 * printed again only when something changed, so logs stay readable.
 */
export async function watchProcess(client: TributaryClient, id: string, options: WatchOptions): Promise<number> {
  const live = options.live ?? process.stdout.isTTY === true;
  let last = '';
  for (;;) {
    const view: Process = await client.getProcess(id);
    if (!options.json) {
      const text = describeProcess(view);
      const key = JSON.stringify(view.tasks.map((t) => [t.status, t.attempt, t.workerId])) + view.status + String(view.queuePosition ?? '');
      if (live) options.out(`\u001b[H\u001b[2J${text}`);
      else if (key !== last) options.out(`${last === '' ? '' : '\n'}${text}`);
      last = key;
    }
    // A QUEUED process starts by itself when a slot of its concurrency key frees: keep watching.
    if (view.status !== 'RUNNING' && view.status !== 'QUEUED') {
      if (options.json) printJson(view);
      return EXIT_CODES[view.status] ?? 1;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
  }
}
