import { readFileSync } from 'node:fs';
import { format, type Options } from 'prettier';

/** The generated service's Prettier options (its .prettierrc.json, shipped from templates/service): code the generator writes in code is formatted with them. */
const SERVICE_PRETTIER: Options = JSON.parse(readFileSync(new URL('../../../templates/service/_prettierrc.json', import.meta.url), 'utf8'));

/** TypeScript source as the service's `prettier --check` wants it, so a fresh service passes its own `npm run lint`. */
export function formatTypeScript(source: string): Promise<string> {
  return format(source, { ...SERVICE_PRETTIER, parser: 'typescript' });
}
