import { z } from 'zod';

/**
 * The `process:` key of a task (issue 17, part 3): the task runs another
 * definition as a child process. Its shape as written and its normalised
 * form; `definition-schema.ts` puts it on a task. The rules across keys (not
 * also a `map`, no `queue`) and the `input` expression are checked in
 * `#domain/sub-process-spec.ts`; that the child definition exists, at PUT
 * (`#app/definitions.ts`).
 */

/** What a running child process gets when its parent ends first: cancelled (the default), or left running. */
export const ON_PARENT_END = ['cancel', 'abandon'] as const;
export type OnParentEnd = (typeof ON_PARENT_END)[number];

/** How deep processes nest: a root process is at depth 0; a start deeper than this fails its task (ProcessDepthExceeded). */
export const MAX_PROCESS_DEPTH = 10;

const versionMessage = 'process.version must be a whole number, 1 or more';
const definitionMessage = 'process.definition must be the name of a definition (text)';

/** `process:` on a task, as written. */
export const SubProcessDocumentSchema = z.strictObject(
  {
    definition: z.string({ error: definitionMessage }).min(1, definitionMessage),
    version: z.number({ error: versionMessage }).int(versionMessage).min(1, versionMessage).optional(),
    input: z.string({ error: 'process.input must be a CEL expression (text)' }).optional(),
    onParentEnd: z.enum(ON_PARENT_END, { error: `process.onParentEnd must be one of: ${ON_PARENT_END.join(', ')}` }).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "process must be a mapping with a 'definition', e.g. { definition: kyc-check }" : undefined) },
);
export type SubProcessDocument = z.infer<typeof SubProcessDocumentSchema>;

/** `process:` of a normalised task: `onParentEnd` spelled out (default `cancel`); no `input` means the task's upstream object. */
export const SubProcessSpecSchema = z.object({
  definition: z.string(),
  version: z.number().int().positive().optional(),
  input: z.string().optional(),
  onParentEnd: z.enum(ON_PARENT_END),
});
export type SubProcessSpec = z.infer<typeof SubProcessSpecSchema>;
