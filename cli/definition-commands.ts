import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_QUEUE, tributaryConfig } from '#config/queues.ts';
import { parseDefinition } from '#domain/definition.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';
import { CliError } from './cli-error.ts';
import { printJson, table } from './format.ts';
import type { CommandContext } from './main.ts';

/** The name a definition file is applied under: its file name without the extension. */
export function definitionNameOf(file: string): string {
  return basename(file, extname(file));
}

async function readDefinitionFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `validate`, `apply` and `defs`. */
export function addDefinitionCommands(program: Command, ctx: CommandContext): void {
  program
    .command('validate')
    .description("check definition files offline with the server's own validator; every problem is printed with its line and column")
    .argument('<file...>', 'YAML or JSON definition files')
    .action(async (files: string[]) => {
      let failed = 0;
      for (const file of files) {
        const text = await readDefinitionFile(file);
        try {
          const spec = parseDefinition(text, { queues: Object.keys(tributaryConfig.queues), defaultQueue: DEFAULT_QUEUE });
          ctx.out(`${file}: valid, ${spec.tasks.length} task${spec.tasks.length === 1 ? '' : 's'}`);
        } catch (error) {
          if (!(error instanceof InvalidDefinitionError)) throw error;
          failed++;
          ctx.err(`${file}: ${error.details.length} problem${error.details.length === 1 ? '' : 's'}`);
          for (const p of error.details) {
            const at = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
            ctx.err(`  ${at}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
          }
        }
      }
      if (failed > 0) throw new CliError(`${failed} of ${files.length} file${files.length === 1 ? '' : 's'} invalid`);
    });

  program
    .command('apply')
    .description('register definitions (PUT /definitions/{name}); prints each version and whether it changed')
    .argument('<file...>', 'YAML or JSON definition files; each is named after its file (loan-application.yaml → loan-application)')
    .option('--name <name>', 'register under this name instead (one file only)')
    .option('--json', 'print the definitions as JSON')
    .action(async (files: string[], opts: { name?: string; json?: boolean }) => {
      if (opts.name && files.length > 1) throw new CliError('--name takes one file');
      const { client } = ctx.target();
      const results = [];
      for (const file of files) {
        const name = opts.name ?? definitionNameOf(file);
        const { created, definition } = await client.putDefinition(name, await readDefinitionFile(file));
        results.push({ file, created, definition });
        if (!opts.json) ctx.out(`${name}: version ${definition.version} (${created ? 'created' : 'unchanged'})`);
      }
      if (opts.json) printJson(results);
    });

  program
    .command('defs')
    .description('list definitions, or show the tasks of one')
    .argument('[name]', 'a definition')
    .option('--version <n>', 'a version of that definition (default: the latest)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { version?: string; json?: boolean }) => {
      const { client } = ctx.target();
      if (name) {
        const def = await client.getDefinition(name, opts.version === undefined ? undefined : Number(opts.version));
        if (opts.json) return printJson(def);
        ctx.out(`${def.name} version ${def.version}${def.description ? ` — ${def.description}` : ''} (created ${def.createdAt})`);
        ctx.out(table(['TASK', 'NEEDS', 'QUEUE', 'TIMEOUT'], def.tasks.map((t) => [t.name, t.needs.join(', ') || '-', t.queue, `${t.timeoutSeconds}s`])));
        return;
      }
      const items = [];
      let nextToken: string | undefined;
      do {
        const page = await client.listDefinitions({ limit: 100, ...(nextToken ? { nextToken } : {}) });
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);
      if (opts.json) return printJson(items);
      if (items.length === 0) return ctx.out('no definitions yet: register one with `npx tributary apply <file>`');
      ctx.out(table(['NAME', 'VERSION', 'DESCRIPTION'], items.map((d) => [d.name, String(d.latestVersion), d.description ?? ''])));
    });
}
