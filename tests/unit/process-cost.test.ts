import { describe, expect, it } from 'vitest';
import { writeUnitsOf } from '../../bench/write-units.ts';
import { WORKLOADS } from '../../bench/workloads.ts';

/**
 * Issue 19, part 5: the cost `GET /processes/{id}` shows is a model (the DAG and the progress counters, no read of the
 * tasks). It must stay within 10% of what the processes really cost. Measured on the test engine: writes billed as
 * AWS bills them by the in-memory table (`aws-write-bill.ts`, the capacity meter's rules: transactions twice per item,
 * index entries by size), reads as DynamoDB bills strongly consistent reads (the sweeper's index queries left out: a
 * cost per round, not per process); requests as the API counts them (a start, a claim and a completion per task).
 */
describe('the cost of a process, as GET /processes/{id} models it', () => {
  for (const id of ['a', 'b', 'c']) {
    const workload = WORKLOADS.find((w) => w.id === id)!;
    it(`is within 10% of the measured units on workload (${id}): ${workload.title}`, async () => {
      const measured = await writeUnitsOf(workload);
      const views = await Promise.all(measured.processIds.map((p) => measured.engine.client.getProcess(p)));
      expect(views.every((v) => v.status === 'COMPLETED')).toBe(true);
      type Cost = NonNullable<(typeof views)[number]['cost']>;
      const sum = (f: (c: Cost) => number) =>
        views.reduce((n, v) => {
          if (!v.cost) throw new Error(`GET /processes/${v.id} shows no cost`);
          return n + f(v.cost);
        }, 0);
      const modelled = { writeUnits: sum((c) => c.writeUnits), readUnits: sum((c) => c.readUnits), requests: sum((c) => c.requests) };
      const apart = (model: number, real: number) => Math.abs(model - real) / real;
      expect(apart(modelled.writeUnits, measured.units), `write units: model ${modelled.writeUnits}, measured ${measured.units}`).toBeLessThan(0.1);
      expect(apart(modelled.readUnits, measured.processReadUnits), `read units: model ${modelled.readUnits}, measured ${measured.processReadUnits}`).toBeLessThan(0.1);
      expect(modelled.requests).toBe(workload.processes + 2 * measured.tasks);
      expect(sum((c) => c.usd)).toBeGreaterThan(0);
    }, 120_000);
  }
});
