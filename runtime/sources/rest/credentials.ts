import { getSecretString, parseSecretJson, SecretError, type SecretOptions } from '../../config/secrets';
import { registerSecret } from '../../telemetry/redact';

/**
 * An API key from Secrets Manager: either the plain key or a JSON object holding it under
 * `api_key` (or `apiKey`). The value is registered for redaction before anything can print it.
 */
export async function getApiKeySecret(secretId: string, options: SecretOptions = {}): Promise<string> {
  const text = (await getSecretString(secretId, options)).trim();
  if (!text.startsWith('{')) {
    if (!text) throw new SecretError(secretId, 'is empty');
    return text;
  }
  const obj = parseSecretJson(secretId, text);
  const key = obj.api_key ?? obj.apiKey;
  if (typeof key !== 'string' || key.length === 0) throw new SecretError(secretId, 'missing key "api_key" (or "apiKey")');
  registerSecret(key);
  return key;
}
