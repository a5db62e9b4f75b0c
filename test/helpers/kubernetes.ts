// Checks rendered Kubernetes manifests with kubernetes-models (JSON Schema of each kind: catches wrong
// types and missing required fields; misspelt field names pass, so tests assert the fields they need).
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: any;
}

/** Parses `helm template` output; fails on any YAML error. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`invalid YAML in rendered manifests: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** Validates one manifest against the schema of its apiVersion/kind; throws with the reasons. */
export async function validateManifest(m: Manifest): Promise<void> {
  if (!m.apiVersion || !m.kind) throw new Error(`manifest without apiVersion/kind: ${JSON.stringify(m).slice(0, 200)}`);
  const module = await import(`kubernetes-models/${m.apiVersion}/${m.kind}`).catch(() => {
    throw new Error(`kubernetes-models has no model for ${m.apiVersion} ${m.kind}`);
  });
  const Model = module[m.kind];
  try {
    new Model(m).validate();
  } catch (e) {
    throw new Error(`${m.kind} ${m.metadata?.name}: ${(e as Error).message}`);
  }
}

export const findManifest = (ms: Manifest[], kind: string, predicate: (m: Manifest) => boolean = () => true) => {
  const found = ms.filter((m) => m.kind === kind && predicate(m));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}, found ${found.length}: ${ms.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found[0]!;
};
