import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Lets `readers` read map items (`itemsFrom`) from `bucket`: `s3:GetObject` on its objects and nothing else (no
 * list, no bucket settings, no write), plus `kms:Decrypt` on its key when it has one.
 *
 * The object ARN ends in `/*`, because the keys come from an upstream task's output at run time; cdk-nag's IAM5
 * finding on it is acknowledged on each reader's role, with the finding's exact id, so any other wildcard that
 * reaches the role still fails.
 */
export function grantMapItemReads(bucket: s3.IBucket, readers: readonly lambda.Function[]): void {
  const objects = bucket.arnForObjects('*');
  const finding = `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(readers[0]!).resolve(objects))}]`;
  for (const fn of readers) {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [objects] });
    bucket.encryptionKey?.grantDecrypt(fn);
    Validations.of(fn.role!).acknowledge({
      id: finding,
      reason:
        'A map reads its items (itemsFrom) from an object whose key is only known at run time (an upstream output), so s3:GetObject is granted on the objects of a bucket the user named with mapItemBuckets or grantMapItems: read only, nothing else.',
    });
  }
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding: `Ref` and `Fn::GetAtt` as `<Id>` and
 * `<Id.Attribute>`, `Fn::Join` joined, strings as they are.
 */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown> | undefined;
  if (node && Array.isArray(node['Fn::Join'])) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenReference).join(delimiter);
  }
  if (node && Array.isArray(node['Fn::GetAtt'])) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (node && 'Ref' in node) return `<${flattenReference(node.Ref)}>`;
  return JSON.stringify(value);
}
