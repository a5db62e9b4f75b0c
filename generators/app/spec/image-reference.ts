import { parseQualifiedName } from '@swimlane/docker-reference';
import type { ConfigFile } from './config-schema.js';
import type { SpecProblem } from './errors.js';

const reasonOf = (ref: string): string | null => {
  try {
    parseQualifiedName(ref);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

/**
 * The image the chart and pipelines use, registry/repository:tag, checked against the Docker/OCI
 * reference grammar (distribution/reference). Each part is also checked alone, so that the problem
 * names the key it came from (`rename` gives a legacy key's own name).
 */
export function checkImageReference(
  file: string,
  image: Pick<ConfigFile['image'], 'registry' | 'repository' | 'tag'>,
  rename: (path: string) => string = (p) => p,
): SpecProblem[] {
  const repository = image.repository ?? 'x';
  const ref = `${image.registry}/${repository}:${image.tag}`;
  const whole = reasonOf(ref);
  const problems: SpecProblem[] = [];
  const add = (key: string, value: string, why: string, fix: string) =>
    problems.push({
      file,
      path: rename(`image.${key}`),
      message: `${JSON.stringify(value)} makes the image reference ${JSON.stringify(ref)} invalid: ${why}. Fix: ${fix}`,
    });
  const registryOk =
    reasonOf(`${image.registry}/x:latest`) === null && parseQualifiedName(`${image.registry}/x:latest`).domain === image.registry;
  if (!registryOk)
    add(
      'registry',
      image.registry,
      'a registry is a host name with an optional :port (docker.io, registry.example.com:5000), without scheme or path',
      'set the registry host only, e.g. docker.io for Docker Hub.',
    );
  const repoWhy = reasonOf(`docker.io/${repository}:latest`);
  if (repoWhy)
    add(
      'repository',
      repository,
      repoWhy,
      'use lower-case path components of letters, digits and separators (".", "_", "__", "-"), joined by "/", e.g. my-team/iris-service.',
    );
  const tagWhy = reasonOf(`docker.io/x:${image.tag}`);
  if (tagWhy)
    add(
      'tag',
      image.tag,
      'a tag is 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"',
      'use a tag such as 1.2.3 or latest.',
    );
  if (whole && problems.length === 0)
    problems.push({
      file,
      path: rename('image'),
      message: `the image reference ${JSON.stringify(ref)} is invalid (${whole}), from image.registry, image.repository and image.tag. Fix: shorten or correct those keys.`,
    });
  return problems;
}
