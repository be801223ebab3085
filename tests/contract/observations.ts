import { describe, expect, it } from 'vitest';

/**
 * What each adapter answered in each scenario, so that a second pass can
 * compare them: any behaviour that differs between the adapters fails a test,
 * even where the scenario's own assertions are loose (a page that may come
 * back short, an error's wording).
 */
export class Observations {
  private readonly titles: string[] = [];
  private readonly seen = new Map<string, Map<string, unknown>>();

  /** Declares a scenario (at collection time), once per title. */
  declare(title: string): void {
    if (!this.titles.includes(title)) this.titles.push(title);
  }

  record(adapter: string, title: string, value: unknown): void {
    const byAdapter = this.seen.get(title) ?? new Map<string, unknown>();
    byAdapter.set(adapter, value);
    this.seen.set(title, byAdapter);
  }

  /**
   * One test per scenario: both adapters recorded an answer, and the answers
   * are equal. Call after every contract of the file is defined.
   */
  defineAgreement(name: string, adapters: readonly [string, string]): void {
    describe(name, () => {
      for (const title of this.titles) {
        it(title, () => {
          const byAdapter = this.seen.get(title);
          const [a, b] = adapters;
          expect(byAdapter?.has(a), `${a} answered`).toBe(true);
          expect(byAdapter?.has(b), `${b} answered`).toBe(true);
          expect(byAdapter?.get(b)).toEqual(byAdapter?.get(a));
        });
      }
    });
  }
}

/** An error as both adapters can agree on it: its name and a message pattern are checked by the scenario. */
export async function refusal(p: Promise<unknown>): Promise<{ name: string } | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    return { name: (error as Error).name };
  }
}
