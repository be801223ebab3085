import { ATTR, type Guard } from './guards.ts';

/** Whether `item` (undefined: absent) passes every guard. The in-memory stores and the model use this. */
export function guardsHold(guards: readonly Guard[], subject: object | undefined): boolean {
  const item = subject as Readonly<Record<string, unknown>> | undefined;
  return guards.every((g) => {
    switch (g.kind) {
      case 'statusIn':
        return item === undefined || item[ATTR.status] === undefined ? g.orAbsent : g.statuses.includes(String(item[ATTR.status]));
      case 'absent':
        return item === undefined;
      case 'equals':
        return item !== undefined && item[g.attribute] === g.value;
      // A missing attribute (or a missing item: DynamoDB evaluates a condition on an absent item as on an empty one) passes only with orMissing.
      case 'atMost': {
        const v = item?.[g.attribute];
        if (v === undefined) return g.orMissing === true;
        return typeof v === 'number' && v <= g.value;
      }
      case 'above': {
        const v = item?.[g.attribute];
        if (v === undefined) return g.orMissing;
        return typeof v === 'number' && v > g.value;
      }
      case 'below': {
        const v = item?.[g.attribute];
        return v === undefined ? g.orMissing : typeof v === 'number' && v < g.value;
      }
      case 'exists':
        return item !== undefined && item[g.attribute] !== undefined;
      case 'missing':
        return item === undefined || item[g.attribute] === undefined;
      case 'notMember': {
        const v = item?.[g.attribute];
        return !(v instanceof Set && v.has(g.value));
      }
      default:
        return assertNever(g);
    }
  });
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
