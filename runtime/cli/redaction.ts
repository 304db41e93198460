import { registerUrlPassword } from '../config/urls';
import { redact } from '../telemetry/redact';

/** Removes credentials from a message: passwords in URLs, registered secrets, env URL passwords. */
export function redactSecrets(message: string, env: NodeJS.ProcessEnv): string {
  for (const name of ['TRIBUTARY_SOURCE_URL', 'TRIBUTARY_WAREHOUSE_URL']) {
    const value = env[name];
    if (value) registerUrlPassword(value);
  }
  return redact(message);
}
