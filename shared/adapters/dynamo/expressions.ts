import type { Guard } from '#domain/lifecycle.ts';
import type { ItemWrite } from '../item-table.ts';

/**
 * Turns an {@link ItemWrite} into DynamoDB expression parameters. Conditions
 * come only from the lifecycle table's guards: no status is written here by
 * hand. Every name and value is a placeholder, so any attribute name is safe.
 */
export interface Expressions {
  readonly UpdateExpression?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();
  private valueCount = 0;

  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.byName.size}`;
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  expressions(update: string | undefined, condition: string | undefined): Expressions {
    return {
      ...(update ? { UpdateExpression: update } : {}),
      ...(condition ? { ConditionExpression: condition } : {}),
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

function condition(guards: readonly Guard[], p: Placeholders): string | undefined {
  const parts = guards.map((g): string => {
    switch (g.kind) {
      case 'statusIn': {
        const status = p.name('status');
        const list = g.statuses.map((s) => p.value(s)).join(', ');
        const inList = g.statuses.length === 1 ? `${status} = ${list}` : `${status} IN (${list})`;
        return g.orAbsent ? `(attribute_not_exists(${status}) OR ${inList})` : inList;
      }
      case 'absent':
        return `attribute_not_exists(${p.name('pk')})`;
      case 'equals':
        return `${p.name(g.attribute)} = ${p.value(g.value)}`;
      case 'atMost': {
        const a = p.name(g.attribute);
        return g.orMissing ? `(attribute_not_exists(${a}) OR ${a} <= ${p.value(g.value)})` : `${a} <= ${p.value(g.value)}`;
      }
      case 'above': {
        const a = p.name(g.attribute);
        return g.orMissing ? `(attribute_not_exists(${a}) OR ${a} > ${p.value(g.value)})` : `${a} > ${p.value(g.value)}`;
      }
      case 'below': {
        const a = p.name(g.attribute);
        return g.orMissing ? `(attribute_not_exists(${a}) OR ${a} < ${p.value(g.value)})` : `${a} < ${p.value(g.value)}`;
      }
      case 'exists':
        return `attribute_exists(${p.name(g.attribute)})`;
      case 'missing':
        return `attribute_not_exists(${p.name(g.attribute)})`;
      case 'notMember':
        // False on a missing set too, so NOT passes: the first count creates the set.
        return `NOT contains(${p.name(g.attribute)}, ${p.value(g.value)})`;
      default:
        throw new Error(`unknown guard ${JSON.stringify(g satisfies never)}`);
    }
  });
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** Expression parameters of a write: the update (for updates) and the condition. */
export function expressionsOf(write: ItemWrite): Expressions {
  const p = new Placeholders();
  if (write.type === 'put' || write.type === 'delete') return p.expressions(undefined, condition(write.guards, p));
  const sets = [
    ...Object.entries(write.set ?? {}).map(([k, v]) => `${p.name(k)} = ${p.value(v)}`),
    ...Object.entries(write.setIfMissing ?? {}).map(([k, v]) => `${p.name(k)} = if_not_exists(${p.name(k)}, ${p.value(v)})`),
    ...Object.entries(write.setSum ?? {}).map(([k, s]) => {
      const fallback = s.orElseSource !== undefined ? p.name(s.orElseSource) : s.orElse !== undefined ? p.value(s.orElse) : undefined;
      const source = fallback === undefined ? p.name(s.source) : `if_not_exists(${p.name(s.source)}, ${fallback})`;
      return `${p.name(k)} = ${source} + ${p.value(s.plus)}`;
    }),
    ...Object.entries(write.append ?? {}).map(([k, v]) => `${p.name(k)} = list_append(if_not_exists(${p.name(k)}, ${p.value([])}), ${p.value(v)})`),
  ];
  const adds = [
    ...Object.entries(write.add ?? {}).map(([k, v]) => `${p.name(k)} ${p.value(v)}`),
    // The document client writes a Set of numbers as a number set (NS).
    ...Object.entries(write.addMember ?? {}).map(([k, v]) => `${p.name(k)} ${p.value(new Set([v]))}`),
  ];
  const removes = [
    ...(write.remove ?? []).map((k) => p.name(k)),
    // Indexes name the list before the update: all n go at once, the rest move up.
    ...Object.entries(write.removeHead ?? {}).flatMap(([k, n]) => Array.from({ length: n }, (_, i) => `${p.name(k)}[${i}]`)),
  ];
  const clauses = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ].filter(Boolean);
  return p.expressions(clauses.join(' '), condition(write.guards, p));
}
