/**
 * The AWS SDK's "Could not load credentials from any providers" does not say where it looked.
 * This names the settings its default chain reads, in the order it reads them, so the person
 * knows what to set.
 */
function isMissingCredentials(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  return e?.name === 'CredentialsProviderError' || /could not load credentials|unable to load credentials/i.test(e?.message ?? '');
}

export function missingCredentialsMessage(env: NodeJS.ProcessEnv = process.env): string {
  const profile = env.AWS_PROFILE ? `profile ${JSON.stringify(env.AWS_PROFILE)} (AWS_PROFILE)` : 'profile "default" (AWS_PROFILE unset)';
  const files = `${env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'} and ${env.AWS_CONFIG_FILE ?? '~/.aws/config'}`;
  return (
    'no AWS credentials found; looked at AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), ' +
    `${profile} in ${files} (keys, SSO, role), AWS_WEB_IDENTITY_TOKEN_FILE, the container and instance metadata endpoints; ` +
    'set AWS_PROFILE=<name> or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables (aws configure, aws sso login)'
  );
}

/** The error unchanged, or one that says which credential settings were looked at. */
export function explainAwsError(err: unknown, env: NodeJS.ProcessEnv = process.env): Error {
  if (isMissingCredentials(err)) return new Error(missingCredentialsMessage(env));
  return err instanceof Error ? err : new Error(String(err));
}
