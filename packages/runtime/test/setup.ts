// Each test file runs in the service's folder: its config.yaml and data/ are the tests' defaults.
import { SERVICE_DIR } from './service.js';

process.chdir(SERVICE_DIR);
