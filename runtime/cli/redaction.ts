import { redact } from '../telemetry/redact';

/** Passwords of the URLs the CLI was given through the environment, for masking anywhere. */
function urlPasswords(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const name of ['TRIBUTARY_SOURCE_URL', 'TRIBUTARY_WAREHOUSE_URL']) {
    const value = env[name];
    if (!value) continue;
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password) found.push(password);
    } catch {
      // not a URL: the CLI reports that separately
    }
  }
  return found;
}

/** Removes credentials from a message: passwords in URLs, registered secrets, env URL passwords. */
export function redactSecrets(message: string, env: NodeJS.ProcessEnv): string {
  return redact(message, urlPasswords(env));
}
