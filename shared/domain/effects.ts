/**
 * What a write does to its item, declared on its row of the lifecycle table
 * (`effects`): each attribute it touches, and how. The row names the
 * attributes; the store supplies the values (times, tokens, outputs), as a
 * map checked against the declaration ({@link checkEffectValues}), so a store
 * can neither forget an attribute nor write one its row does not name.
 * A row's status (its `to`, unless `same`) is set without being declared.
 */

/**
 * How a write changes one attribute.
 * - `set`: set to the store's value (required).
 * - `set?`: set when the store gives a value; untouched otherwise.
 * - `setOrRemove`: set to the store's value, or removed when it gives none.
 * - `setIfMissing`: set only where the item lacks it (required).
 * - `sum`: set to another attribute of the item plus a number ({@link EffectSum}, required), or to a number the
 *   store already knows (a claim given its lease length: `leaseSeconds`).
 * - `add`: a counter, added to (required).
 * - `add?`: a counter, added to when the store gives a value; untouched (not even created) otherwise.
 * - `append`: records appended to a list (required, created empty if missing).
 * - `append?`: records appended when the store gives some; untouched otherwise.
 * - `remove`: removed (no value).
 * - `removeHead`: the first n elements of a list removed (n required; the list's head, oldest first).
 * - `addMember`: a number added to a number set (required; created if missing; adding a member twice changes nothing).
 */
export type EffectOp = 'set' | 'set?' | 'setOrRemove' | 'setIfMissing' | 'sum' | 'add' | 'add?' | 'append' | 'append?' | 'remove' | 'removeHead' | 'addMember';

/** Attribute name to operation. */
export type Effects = Readonly<Record<string, EffectOp>>;

/** `target = source + plus`, read from the item when written (e.g. a lease expiry from the stored lease length). */
export interface EffectSum {
  readonly source: string;
  readonly plus: number;
  /** The source's value when the item lacks it. */
  readonly orElse?: number;
  /** Another attribute whose value stands in when the item lacks `source` (not with `orElse`). */
  readonly orElseSource?: string;
}

type ValueOf<Op extends EffectOp> = Op extends 'sum' ? EffectSum | number : Op extends 'add' | 'add?' | 'removeHead' | 'addMember' ? number : Op extends 'append' | 'append?' ? readonly unknown[] : unknown;
type RequiredOps = 'set' | 'setIfMissing' | 'sum' | 'add' | 'append' | 'removeHead' | 'addMember';
type OptionalOps = 'set?' | 'setOrRemove' | 'add?' | 'append?';

/**
 * The values a store gives for a row's effects: every required attribute, and
 * the optional ones it has. `remove` attributes take none.
 *
 * @example
 * const values: EffectValues<{ sweepAt: 'set'; sends: 'add'; held: 'remove' }> = { sweepAt: 5, sends: 1 };
 */
export type EffectValues<E extends Effects> = { readonly [K in keyof E as E[K] extends RequiredOps ? K : never]: ValueOf<E[K]> } & {
  readonly [K in keyof E as E[K] extends OptionalOps ? K : never]?: ValueOf<E[K]> | undefined;
};

/** The writes that go with a row in the same transaction: each names a row of a companion table. */
export type Companion =
  | 'task.settleParent'
  | 'endCounter.count'
  | 'progress.count'
  | 'input.pause'
  | 'input.resume'
  | 'input.reopen'
  | 'record.event'
  | 'record.run'
  | 'pool.take'
  | 'pool.free'
  // Issue 18: an ending holder's slot goes to the head of its pool's queue (process row `handOver`).
  | 'process.handOver'
  // A map's child: its map's counters, the next child of its lane, and the map's count of settled lanes.
  | 'mapCounter.count'
  | 'task.schedule'
  | 'task.settleLane'
  // A task limit's slots (issue 18, `slot-writes.ts`).
  | 'slot.take'
  | 'slot.start'
  | 'slot.renew'
  | 'slot.free';

/** A write's effects resolved against its values: what a store sends (the shape of an item update). */
export interface ResolvedEffects {
  readonly set: Record<string, unknown>;
  readonly setIfMissing: Record<string, unknown>;
  readonly setSum: Record<string, EffectSum>;
  readonly add: Record<string, number>;
  readonly append: Record<string, readonly unknown[]>;
  readonly remove: string[];
  readonly removeHead: Record<string, number>;
  readonly addMember: Record<string, number>;
}

/**
 * Checks a store's values against a row's declaration, and resolves them into
 * the parts of one write. A value for an attribute the row does not name, or a
 * required one missing, is a bug in the store: it throws.
 *
 * @example
 * resolveEffects({ sweepAt: 'set', held: 'remove' }, { sweepAt: 5 }, 'task event x')
 * // { set: { sweepAt: 5 }, remove: ['held'], setIfMissing: {}, setSum: {}, add: {}, append: {}, removeHead: {}, addMember: {} }
 */
export function resolveEffects(effects: Effects, values: Readonly<Record<string, unknown>>, label: string): ResolvedEffects {
  checkEffectValues(effects, values, label);
  const out: ResolvedEffects = { set: {}, setIfMissing: {}, setSum: {}, add: {}, append: {}, remove: [], removeHead: {}, addMember: {} };
  for (const [attribute, op] of Object.entries(effects)) {
    const value = values[attribute];
    switch (op) {
      case 'set':
      case 'set?':
        if (value !== undefined) out.set[attribute] = value;
        break;
      case 'setOrRemove':
        if (value === undefined) out.remove.push(attribute);
        else out.set[attribute] = value;
        break;
      case 'setIfMissing':
        out.setIfMissing[attribute] = value;
        break;
      case 'sum':
        if (typeof value === 'number') out.set[attribute] = value;
        else out.setSum[attribute] = value as EffectSum;
        break;
      case 'add':
        out.add[attribute] = value as number;
        break;
      case 'add?':
        if (value !== undefined) out.add[attribute] = value as number;
        break;
      case 'append':
      case 'append?':
        if (Array.isArray(value) && value.length > 0) out.append[attribute] = value as unknown[];
        break;
      case 'remove':
        out.remove.push(attribute);
        break;
      case 'removeHead':
        out.removeHead[attribute] = value as number;
        break;
      case 'addMember':
        out.addMember[attribute] = value as number;
        break;
      default:
        throw new Error(`${label}: unknown effect ${JSON.stringify(op satisfies never)}`);
    }
  }
  return out;
}

/** Throws unless `values` names only the row's attributes (none of its `remove`s) and every required one. */
export function checkEffectValues(effects: Effects, values: Readonly<Record<string, unknown>>, label: string): void {
  for (const [attribute, value] of Object.entries(values)) {
    const op = effects[attribute];
    if (op === undefined) throw new Error(`${label} declares no effect on '${attribute}'`);
    if (op === 'remove' && value !== undefined) throw new Error(`${label} removes '${attribute}': it takes no value`);
  }
  for (const [attribute, op] of Object.entries(effects)) {
    const required = op === 'set' || op === 'setIfMissing' || op === 'sum' || op === 'add' || op === 'append' || op === 'removeHead' || op === 'addMember';
    if (required && values[attribute] === undefined) throw new Error(`${label} needs a value for '${attribute}'`);
  }
}
