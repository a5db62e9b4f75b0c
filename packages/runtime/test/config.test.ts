import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config.js';

describe('loadConfig', () => {
  it("reads this service's config.yaml", () => {
    const config = loadConfig('config.yaml', {});
    expect(config.service.port).toBeGreaterThan(0);
    expect(config.model.top_n).toBeGreaterThan(0);
  });

  it('applies MLS_<SECTION>_<KEY>[_<SUB>] overrides with the type of the setting, and the short forms', () => {
    const config = parseConfig(
      {},
      {
        MLS_SERVICE_PORT: '9000',
        MLS_LOGGING_FLUENTD_ENABLED: 'true',
        MLS_SERVICE_BODY_LIMIT_BYTES: '2048',
        MLS_MODEL_DIR: '/models/x',
        LOG_LEVEL: 'debug',
        HOST: '127.0.0.1',
      },
    );
    expect(config.service.port).toBe(9000);
    expect(config.service.body_limit_bytes).toBe(2048);
    expect(config.logging.fluentd.enabled).toBe(true);
    expect(config.model.dir).toBe('/models/x');
    expect(config.logging.level).toBe('debug');
    expect(config.service.host).toBe('127.0.0.1');
    expect(parseConfig({}, { PORT: '1', MLS_SERVICE_PORT: '2' }).service.port).toBe(2);
  });

  it('keeps sections it does not check', () => {
    const config = parseConfig({ kubernetes: { replicas: 3 } }, {});
    expect(config.kubernetes).toEqual({ replicas: 3 });
  });

  it('names the variable, the key and the bad value', () => {
    expect(() => parseConfig({}, { MLS_SERVICE_PORT: 'eighty' })).toThrow(
      'environment variable MLS_SERVICE_PORT must be a number; got "eighty"',
    );
    expect(() => parseConfig({}, { MLS_SERVICE_PORT: '70000' })).toThrow(/MLS_SERVICE_PORT: service.port: .*got 70000/);
    expect(() => parseConfig({}, { MLS_SERVICE_PROT: '80' })).toThrow(/MLS_SERVICE_PROT names no setting.*MLS_SERVICE_PORT/);
    expect(() => parseConfig({}, { MLS_LOGGING_FLUENTD_ENABLED: 'maybe' })).toThrow('must be true or false; got "maybe"');
  });

  it('logging.fluentd.encoding: json (the default) or msgpack, from config.yaml or the environment; anything else is refused', () => {
    expect(parseConfig({}, {}).logging.fluentd.encoding).toBe('json');
    expect(parseConfig({ logging: { fluentd: { encoding: 'msgpack' } } }, {}).logging.fluentd.encoding).toBe('msgpack');
    expect(parseConfig({}, { MLS_LOGGING_FLUENTD_ENCODING: 'msgpack' }).logging.fluentd.encoding).toBe('msgpack');
    expect(() => parseConfig({}, { MLS_LOGGING_FLUENTD_ENCODING: 'protobuf' })).toThrow(/logging\.fluentd\.encoding.*"json".*"msgpack"/s);
  });

  it('logging.fluentd.transport: forward (the default) or pino-fluentd; anything else is refused with the allowed values', () => {
    expect(parseConfig({}, {}).logging.fluentd.transport).toBe('forward');
    expect(parseConfig({ logging: { fluentd: { transport: 'pino-fluentd' } } }, {}).logging.fluentd.transport).toBe('pino-fluentd');
    expect(parseConfig({}, { MLS_LOGGING_FLUENTD_TRANSPORT: 'pino-fluentd' }).logging.fluentd.transport).toBe('pino-fluentd');
    const refused = (raw: Record<string, unknown>, env: Record<string, string> = {}) => {
      try {
        parseConfig(raw, env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    for (const message of [
      refused({ logging: { fluentd: { transport: 'fluent-bit' } } }),
      refused({}, { MLS_LOGGING_FLUENTD_TRANSPORT: 'pino' }),
    ]) {
      expect(message).toContain('logging.fluentd.transport');
      expect(message).toContain('"forward"');
      expect(message).toContain('"pino-fluentd"');
    }
  });

  it('names the file, the key and the bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mls-config-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, 'service:\n  max_batch_size: 0\n');
    expect(() => loadConfig(path, {})).toThrow(`${path}: service.max_batch_size:`);
    expect(() => loadConfig(path, {})).toThrow('got 0');
    writeFileSync(path, 'service:\n  prot: 80\n');
    expect(() => loadConfig(path, {})).toThrow(/service: .*prot/);
    expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow('cannot read the config file');
  });
});
