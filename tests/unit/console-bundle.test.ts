import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_GZIP_BUDGET_BYTES, gzippedSizes } from '../../console/build-console.ts';

/** The console's build: everything bundled (no CDN), within the 300 KB gzipped. */
describe('the console build', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes index.html, app.js and app.css, at most 300 KB gzipped in all, with nothing fetched from another origin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'console-build-'));
    dirs.push(dir);
    await buildConsole(dir);
    const { files, total } = gzippedSizes(dir);
    console.log(`console bundle: ${(total / 1024).toFixed(1)} KB gzipped`, files);
    expect(Object.keys(files).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    expect(total).toBeLessThanOrEqual(CONSOLE_GZIP_BUDGET_BYTES);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('src="/console/app.js"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await readFile(join(dir, 'app.js'), 'utf8');
    // The layout library runs on the console server, not in the bundle (it alone is over the budget).
    expect(js).not.toContain('org.eclipse.elk');
  });
});
