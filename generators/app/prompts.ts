import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type Generator from 'yeoman-generator';
import { EXAMPLES, exampleForTask } from './examples.js';
import { exampleInputs, type Inputs } from './index.js';
import type { MlserviceOptions } from './options.js';
import { DNS_NAME } from './spec/config-schema.js';
import { TASKS } from './spec/features-schema.js';

/** Tiny validators: true, or the message to show. */
export const validateName = (s: string): true | string =>
  s === '' || (DNS_NAME.test(s) && s.length <= 53)
    ? true
    : 'Use lower-case letters, digits and "-", starting with a letter (max 53 characters).';
export const validateYamlPath = (s: string): true | string => (/\.ya?ml$/.test(s) ? true : 'Give the path of a .yaml file.');

/** A .yaml path (relative to `base`) that names an existing file. */
export const validateYamlFile =
  (base: string) =>
  (s: string): true | string => {
    const shape = validateYamlPath(s);
    if (shape !== true) return shape;
    const path = resolve(base, s);
    if (!existsSync(path)) return `${path} does not exist; give the path of your file (relative to ${base}).`;
    return statSync(path).isFile() ? true : `${path} is not a file.`;
  };

/** Asks where features.yaml/config.yaml come from; every answer has an option and a default. */
export async function askSources(generator: Generator, o: MlserviceOptions): Promise<Inputs> {
  const answers = await generator.prompt<{ source: string; task: (typeof TASKS)[number]; features: string; config: string; name: string }>([
    {
      type: 'select',
      name: 'source',
      message: 'Start from',
      choices: [
        { name: 'an example (you pick the task next)', value: 'example' },
        { name: 'my own features.yaml and config.yaml', value: 'files' },
      ],
      default: 'example',
    },
    {
      type: 'select',
      name: 'task',
      message: 'Task',
      choices: TASKS.map((task) => ({
        name: `${task}: the ${exampleForTask(task)} example (${EXAMPLES[exampleForTask(task)].description})`,
        value: task,
      })),
      default: o.task ?? 'classification',
      when: (a) => a.source === 'example',
    },
    {
      type: 'input',
      name: 'features',
      message: 'Path to features.yaml',
      default: 'features.yaml',
      when: (a) => a.source === 'files',
      validate: validateYamlFile(generator.destinationRoot()),
    },
    {
      type: 'input',
      name: 'config',
      message: 'Path to config.yaml',
      default: 'config.yaml',
      when: (a) => a.source === 'files',
      validate: validateYamlFile(generator.destinationRoot()),
    },
    {
      type: 'input',
      name: 'name',
      message: "Service name (empty: from config.yaml, else this folder's name)",
      default: o.name ?? '',
      validate: validateName,
    },
  ]);
  const name = answers.name || undefined;
  if (answers.source === 'files')
    return { featuresPath: generator.destinationPath(answers.features), configPath: generator.destinationPath(answers.config), name };
  return exampleInputs(exampleForTask(answers.task), name);
}
