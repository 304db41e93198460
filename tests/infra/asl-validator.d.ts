/** asl-validator ships no type declarations; the part the infra tests use. */
declare module 'asl-validator' {
  export interface AslValidationError {
    'Error code': string;
    Message: string;
  }
  export interface AslValidationResult {
    isValid: boolean;
    errors: AslValidationError[];
    errorsText(separator?: string): string;
  }
  export interface AslValidatorOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  export default function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;
}
