import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkDefinition } from '#domain/definition.ts';

/**
 * The Python worker's map example, offline: examples/python-worker/worker.py
 * routes a child of the map `resize` (by the message's `map`, else its name)
 * to the handler that uses the claim's item and index, and the report reads
 * the map's result. No stack runs here (maps run on the server); the worker's
 * whole loop against the real handlers is python-worker.test.ts.
 */

const WORKER = fileURLToPath(new URL('../../examples/python-worker/worker.py', import.meta.url));
const DEFINITION = new URL('../../examples/python-worker/resize-images.yaml', import.meta.url);

/** Loads worker.py as a module and prints what its handlers return for the scripted tasks, as JSON. */
const SCRIPT = `
import importlib.util, json, sys, threading
spec = importlib.util.spec_from_file_location("worker", sys.argv[1])
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
upstream = {"resize": {"total": 3, "completed": 2, "failed": 1, "results": [{"thumbnail": "thumbnails/cat-128.png"}, None, {"thumbnail": "thumbnails/dog-128.png"}]}}
def claim(item, index):
    return {"leaseToken": "t", "attempt": 1, "input": {"process": {}, "upstream": {}}, "map": "resize", "index": index, "item": item}
def run(message, claimed):
    try:
        return worker.handle(message, claimed, threading.Event())
    except worker.TaskFailed as error:
        return {"failed": error.code, "message": str(error)}
print(json.dumps([
    run({"task": "resize[0]", "map": "resize", "index": 0}, claim("photos/cat.png", 0)),
    run({"task": "resize[1]"}, claim("notes/readme.txt", 1)),
    run({"task": "resize[2]"}, claim("photos/dog.JPG", 2)),
    run({"task": "report"}, {"input": {"process": {}, "upstream": upstream}}),
    run({"task": "report"}, {"input": {"process": {}, "upstream": {"resize": {"total": 9, "completed": 9, "failed": 0, "resultsOmitted": True}}}}),
]))
`;

describe("the Python worker's map example", () => {
  it("runs a child of map 'resize' with the claim's item and index, and reports the map's result", () => {
    // As python-worker.test.ts: CI installs python3-boto3, which a version manager's python3 on PATH would not see.
    const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0);
    if (python === undefined) throw new Error('python3 with boto3 is needed: sudo apt-get install -y python3-boto3');
    const run = spawnSync(python, ['-c', SCRIPT, WORKER], { encoding: 'utf8', env: { PATH: process.env.PATH, RESIZE_WORK_SECONDS: '0' } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      { file: 'photos/cat.png', index: 0, thumbnail: 'thumbnails/cat-128.png' },
      { failed: 'NotAnImage', message: "item 1 is not an image file: 'notes/readme.txt'" },
      { file: 'photos/dog.JPG', index: 2, thumbnail: 'thumbnails/dog-128.png' },
      { total: 3, completed: 2, failed: 1, thumbnails: ['thumbnails/cat-128.png', 'thumbnails/dog-128.png'] },
      { total: 9, completed: 9, failed: 0, thumbnails: null },
    ]);
  });

  it('has a definition the server accepts, with a map over input.files', async () => {
    const doc = parse(await readFile(DEFINITION, 'utf8')) as { tasks: { name: string; map?: unknown }[] };
    expect(doc.tasks.find((t) => t.name === 'resize')?.map).toEqual({ items: 'input.files', maxConcurrency: 10, toleratedFailurePercent: 50 });
    expect(() => checkDefinition(doc)).not.toThrow();
  });
});
