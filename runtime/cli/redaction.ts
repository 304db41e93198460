/** Removes credentials from a message: passwords in URLs and the values of known secrets. */
export function redactSecrets(message: string, env: NodeJS.ProcessEnv): string {
  let out = message.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@\s]*@/gi, '$1:***@');
  for (const name of ['TRIBUTARY_SOURCE_URL', 'TRIBUTARY_WAREHOUSE_URL']) {
    const value = env[name];
    if (!value) continue;
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password.length >= 3) out = out.split(password).join('***');
    } catch {
      // not a URL: nothing to redact from it
    }
  }
  return out;
}
