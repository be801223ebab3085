import { Option, type Command } from 'commander';
import { isTributaryApiError } from '../client/errors.ts';
import type { ProcessStatus } from '../client/schemas.ts';
import { CliError } from './cli-error.ts';
import { describeProcess } from './describe-process.ts';
import { between, jsonArgument, positiveInt, printJson, table } from './format.ts';
import { renderGraph, type GraphFormat } from './graph.ts';
import type { CommandContext } from './main.ts';
import { watchProcess } from './watch.ts';

const STATUSES: readonly ProcessStatus[] = ['QUEUED', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'];

interface RerunOptions {
  readonly from?: string[];
  readonly version?: number;
  readonly input?: string;
  readonly definition?: string;
  readonly status: 'FAILED' | 'CANCELLED';
  readonly failedTask?: string;
  readonly startedAfter?: string;
  readonly startedBefore?: string;
  readonly limit?: number;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** `start`, `ps`, `get`, `watch`, `cancel`, `pause`, `resume`, `rerun`, `history`, `complete`, `fail` and `graph`. */
export function addProcessCommands(program: Command, ctx: CommandContext): void {
  program
    .command('start')
    .description('start a process of a definition')
    .argument('<definition>', 'definition name')
    .option('--input <json>', 'process input: JSON text, or @file')
    .option('--version <n>', 'definition version (default: the latest)', positiveInt('--version'))
    .option('--idempotency-key <key>', 'the same key always names the same process')
    .option('--watch', 'then watch it until it ends (exit code 0 COMPLETED, 1 FAILED, 2 CANCELLED)')
    .option('--json', 'print the started process as JSON')
    .action(async (definition: string, opts: { input?: string; version?: number; idempotencyKey?: string; watch?: boolean; json?: boolean }) => {
      const { client } = ctx.target();
      const { created, process } = await client.startProcess({
        definition,
        ...(opts.input === undefined ? {} : { input: jsonArgument(opts.input, '--input') }),
        ...(opts.version === undefined ? {} : { version: opts.version }),
        ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
      });
      if (opts.json) printJson({ created, ...process });
      else ctx.out(`${process.id}${created ? '' : ' (existing process for this idempotency key)'}`);
      if (opts.watch) ctx.setExitCode(await watchProcess(client, process.id, { out: ctx.out, json: opts.json === true }));
    });

  program
    .command('ps')
    .description('list processes, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--definition <name>', 'only this definition')
    .option('--limit <n>', 'how many, 1..100', positiveInt('--limit', 1, 100), 20)
    .option('--json', 'print JSON')
    .action(async (opts: { status?: ProcessStatus; definition?: string; limit: number; json?: boolean }) => {
      const { client } = ctx.target();
      const page = await client.listProcesses({ limit: opts.limit, ...(opts.status ? { status: opts.status } : {}), ...(opts.definition ? { definition: opts.definition } : {}) });
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return ctx.out('no processes');
      ctx.out(
        table(
          ['ID', 'DEFINITION', 'VERSION', 'STATUS', 'CREATED', 'DURATION'],
          // A QUEUED process shows its place in its concurrency key's queue.
          page.items.map((p) => [p.id, p.definition, String(p.version), p.queuePosition === undefined ? p.status : `${p.status} #${p.queuePosition}`, p.createdAt, between(p.createdAt, p.endedAt)]),
        ),
      );
    });

  program
    .command('get')
    .description('show a process and a table of its tasks: status, attempt, worker and duration')
    .argument('<id>', 'process id')
    .option('--json', 'print JSON')
    .option('--all', 'a process of more than 100 tasks: every task, page after page (the default shows its first page)')
    .action(async (id: string, opts: { json?: boolean; all?: boolean }) => {
      const client = ctx.target().client;
      const first = await client.getProcess(id);
      const tasks = [...first.tasks];
      let nextToken = opts.all ? first.tasksNextToken : undefined;
      while (nextToken !== undefined) {
        const page = await client.listTasks(id, { limit: 500, nextToken });
        tasks.push(...page.items);
        nextToken = page.nextToken;
      }
      const { tasksNextToken, ...rest } = first;
      const process = opts.all ? { ...rest, tasks } : first;
      if (opts.json) return printJson(process);
      ctx.out(describeProcess(process));
      if (!opts.all && tasksNextToken !== undefined) {
        ctx.out(`… the first ${first.tasks.length} of ${first.progress.total} tasks: \`tributary get ${id} --all\` lists every one`);
      }
    });

  program
    .command('watch')
    .description('show live progress until the process ends; exit code 0 COMPLETED, 1 FAILED, 2 CANCELLED')
    .argument('<id>', 'process id')
    .option('--interval <ms>', 'poll interval', positiveInt('--interval', 100), 1000)
    .option('--json', 'print the final process as JSON instead of the live view')
    .action(async (id: string, opts: { interval: number; json?: boolean }) => {
      ctx.setExitCode(await watchProcess(ctx.target().client, id, { out: ctx.out, json: opts.json === true, intervalMs: opts.interval }));
    });

  program
    .command('cancel')
    .description('cancel a running process and its unfinished tasks')
    .argument('<id>', 'process id')
    .option('--reason <text>', "why: it becomes the process's error message")
    .option('--json', 'print the process as JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) => {
      const process = await ctx.target().client.cancelProcess(id, opts.reason === undefined ? {} : { reason: opts.reason });
      if (opts.json) return printJson(process);
      ctx.out(`${process.id}: ${process.status}`);
    });

  program
    .command('rerun')
    .description(
      'rerun an ended process in place, keeping what completed; or, with --definition instead of an id, every ended process a query finds (page after page)',
    )
    .argument('[id]', 'process id (leave out with --definition)')
    .option('--from <tasks...>', 'also run these completed tasks again, and everything downstream of them')
    .option('--version <n>', 'run on this version of the definition (kept tasks must exist there with the same needs)', positiveInt('--version'))
    .option('--input <json>', 'replace the process input: JSON text, or @file (one process only)')
    .option('--definition <name>', 'rerun many: the ended processes of this definition')
    .addOption(new Option('--status <status>', 'rerun many: which ended processes').choices(['FAILED', 'CANCELLED']).default('FAILED'))
    .option('--failed-task <task>', 'rerun many: only processes that failed because of this task')
    .option('--started-after <iso>', 'rerun many: only processes started at or after this time')
    .option('--started-before <iso>', 'rerun many: only processes started before this time')
    .option('--limit <n>', 'rerun many: processes per call, 1 to 1000', positiveInt('--limit', 1, 1000))
    .option('--dry-run', 'rerun many: list what would be rerun, change nothing')
    .option('--json', 'print the answer as JSON (rerun many: every page)')
    .action(async (id: string | undefined, opts: RerunOptions) => {
      const { client } = ctx.target();
      const common = { ...(opts.from ? { fromTasks: opts.from } : {}), ...(opts.version === undefined ? {} : { version: opts.version }) };
      if (id !== undefined) {
        if (opts.definition !== undefined) throw new CliError('give a process id or --definition, not both');
        const rerun = await client.rerun(id, { ...common, ...(opts.input === undefined ? {} : { input: jsonArgument(opts.input, '--input') }) });
        if (opts.json) return printJson(rerun);
        ctx.out(`${id}: run ${rerun.run} on version ${rerun.version}, ${rerun.process.status}`);
        ctx.out(`  runs again: ${rerun.reset.join(', ')}`);
        if (rerun.kept.length > 0) ctx.out(`  kept: ${rerun.kept.join(', ')}`);
        return;
      }
      if (opts.definition === undefined) throw new CliError('give a process id, or --definition to rerun many');
      if (opts.input !== undefined) throw new CliError('--input reruns one process: give its id');
      const query = {
        definition: opts.definition,
        status: opts.status,
        ...(opts.failedTask === undefined ? {} : { failedTask: opts.failedTask }),
        ...(opts.startedAfter === undefined ? {} : { startedAfter: opts.startedAfter }),
        ...(opts.startedBefore === undefined ? {} : { startedBefore: opts.startedBefore }),
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...common,
      };
      const pages = [];
      let nextToken: string | undefined;
      do {
        const page = await client.rerunMany({ ...query, ...(nextToken === undefined ? {} : { nextToken }) });
        pages.push(page);
        if (!opts.json) {
          for (const rerunId of page.rerun) ctx.out(`${rerunId}: ${opts.dryRun ? 'would be rerun' : 'rerun'}`);
          for (const skip of page.skipped) ctx.out(`${skip.id}: skipped: ${skip.reason}`);
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      if (opts.json) return printJson(pages);
      const rerun = pages.reduce((n, p) => n + p.rerun.length, 0);
      const skipped = pages.reduce((n, p) => n + p.skipped.length, 0);
      ctx.out(`${pages.reduce((n, p) => n + p.matched, 0)} matched, ${rerun} ${opts.dryRun ? 'would be rerun' : 'rerun'}, ${skipped} skipped`);
    });

  program
    .command('pause')
    .description('pause a running process: running tasks finish, nothing new is scheduled, claims are refused (its timeout keeps counting)')
    .argument('<id>', 'process id')
    .option('--reason <text>', 'why: it is shown in the history')
    .option('--json', 'print the process as JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) => {
      const process = await ctx.target().client.pause(id, opts.reason === undefined ? {} : { reason: opts.reason });
      if (opts.json) return printJson(process);
      ctx.out(`${process.id}: ${process.status}`);
    });

  program
    .command('resume')
    .description('resume a paused process: what became ready is scheduled, waiting tasks get their messages again')
    .argument('<id>', 'process id')
    .option('--json', 'print the process as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const process = await ctx.target().client.resume(id);
      if (opts.json) return printJson(process);
      ctx.out(`${process.id}: ${process.status}`);
    });

  program
    .command('history')
    .description('every event of a process, in time order: schedules, claims, attempts, retries, skips, the end')
    .argument('<id>', 'process id')
    .option('--json', 'print the events as JSON (every page)')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { client } = ctx.target();
      const events = [];
      let nextToken: string | undefined;
      do {
        const page = await client.getHistory(id, { limit: 1000, ...(nextToken === undefined ? {} : { nextToken }) });
        events.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      if (opts.json) return printJson(events);
      const errorOf = (e: unknown): string => {
        const error = e as { code?: string; message?: string } | undefined;
        return error === undefined ? '' : [error.code, error.message].filter(Boolean).join(': ');
      };
      ctx.out(
        table(
          ['AT', 'RUN', 'EVENT', 'TASK', 'ATTEMPT', 'WORKER', 'ERROR'],
          events.map((e) => [e.at, String(e.run), e.type, e.task ?? '', e.attempt === undefined ? '' : String(e.attempt), e.workerId ?? '', errorOf(e.error)]),
        ),
      );
    });

  program
    .command('complete')
    .description('complete a manual (unclaimed) task')
    .argument('<id>', 'process id')
    .argument('<task>', 'task name')
    .option('--output <json>', 'the task output: JSON text, or @file')
    .action(async (id: string, task: string, opts: { output?: string }) => {
      const result = await ctx.target().client.complete(id, task, opts.output === undefined ? {} : { output: jsonArgument(opts.output, '--output') });
      ctx.out(`${result.task}: ${result.status}`);
    });

  program
    .command('fail')
    .description("fail a manual (unclaimed) task: retried while its retry policy allows, else FAILED and the process's failure policy applies")
    .argument('<id>', 'process id')
    .argument('<task>', 'task name')
    .requiredOption('--message <text>', 'why it failed')
    .option('--code <code>', 'a machine-readable error code')
    .option('--no-retry', 'end the task now, whatever attempts are left (retryable: false)')
    .action(async (id: string, task: string, opts: { message: string; code?: string; retry: boolean }) => {
      const error = { message: opts.message, ...(opts.code ? { code: opts.code } : {}), ...(opts.retry ? {} : { retryable: false }) };
      const result = await ctx.target().client.fail(id, task, { error });
      ctx.out(`${result.task}: ${result.status}${result.nextAttemptAt ? ` (next attempt not before ${result.nextAttemptAt})` : ''}`);
    });

  program
    .command('graph')
    .description("draw a definition's DAG, or a process's with each task's status")
    .argument('<definition-or-process>', 'a definition name or a process id')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .option('--version <n>', 'definition version (default: the latest)', positiveInt('--version'))
    .action(async (ref: string, opts: { format: GraphFormat; version?: number }) => {
      const { client } = ctx.target();
      if (opts.version === undefined) {
        try {
          const process = await client.getProcess(ref);
          // The definition adds each task's branch keys (conditions, join rules) to the statuses.
          const specs = new Map((await client.getDefinition(process.definition, process.version)).tasks.map((t) => [t.name, t]));
          const tasks = process.tasks.map((t) => ({ ...t, ...branchKeysOf(specs.get(t.name)) }));
          return ctx.out(renderGraph(tasks, opts.format, `${process.definition} v${process.version} · ${process.id} · ${process.status}`));
        } catch (error) {
          // Not a process id: read it as a definition name.
          if (!isTributaryApiError(error, 'ProcessNotFound', 'ValidationError')) throw error;
        }
      }
      try {
        const def = await client.getDefinition(ref, opts.version);
        ctx.out(renderGraph(def.tasks, opts.format, `${def.name} v${def.version}`));
      } catch (error) {
        if (isTributaryApiError(error, 'DefinitionNotFound', 'ValidationError')) throw new CliError(`'${ref}' is neither a process id nor a definition name`);
        throw error;
      }
    });
}

/** A task spec's branch keys, as the graph draws them. */
function branchKeysOf(spec: { when?: string; join?: string } | undefined): { when?: string; join?: string } {
  return { ...(spec?.when === undefined ? {} : { when: spec.when }), ...(spec?.join === undefined ? {} : { join: spec.join }) };
}
