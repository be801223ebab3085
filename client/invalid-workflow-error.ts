/** One problem of a workflow, located in the definition document it builds, e.g. `{ path: 'tasks[1].timeoutSeconds', message: '…' }`. */
export interface WorkflowProblem {
  readonly path?: string;
  readonly message: string;
}

/**
 * A code-first workflow that does not build: `details` lists every problem at
 * once, with the same messages the server would answer a PUT with.
 *
 * @example
 * try { wf.toDefinition(); } catch (e) { if (e instanceof InvalidWorkflowError) console.error(e.details); }
 */
export class InvalidWorkflowError extends Error {
  readonly workflow: string;
  readonly details: readonly WorkflowProblem[];

  constructor(workflow: string, details: readonly WorkflowProblem[], options?: ErrorOptions) {
    const lines = details.map((p) => `  ${p.path === undefined ? '' : `${p.path}: `}${p.message}`);
    super(`workflow '${workflow}' is invalid: ${details.length} problem(s):\n${lines.join('\n')}`, options);
    this.name = 'InvalidWorkflowError';
    this.workflow = workflow;
    this.details = details;
  }
}
