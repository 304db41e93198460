/** AWS console URLs for alerts: the execution that failed and the logs of its run. */

function consoleBase(region: string): string {
  return `https://${region}.console.aws.amazon.com`;
}

/** The region of an ARN (`arn:aws:states:eu-west-2:123:execution:...`), if it has one. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored, applied to one ARN field split on colons
  return region && /^[a-z]{2}(-[a-z]+)+-\d$/.test(region) ? region : undefined;
}

/** Step Functions console page of one execution. */
export function executionConsoleUrl(executionArn: string, fallbackRegion = 'eu-west-2'): string {
  const region = regionOfArn(executionArn) ?? fallbackRegion;
  return `${consoleBase(region)}/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/**
 * The CloudWatch console's fragment escaping: URL-encode, then write '%' as '$'. Values inside
 * the fragment's own query (the filter pattern) are URL-encoded once more first.
 */
function cwEscape(s: string): string {
  return encodeURIComponent(s).replace(/%/g, '$');
}

/** Log events of one log group, filtered to a term (the run id) when given. */
export function logGroupConsoleUrl(region: string, logGroup: string, filterTerm?: string): string {
  let fragment = `logsV2:log-groups/log-group/${cwEscape(encodeURIComponent(logGroup))}/log-events`;
  if (filterTerm) fragment += cwEscape('?filterPattern=') + cwEscape(encodeURIComponent(`"${filterTerm}"`));
  return `${consoleBase(region)}/cloudwatch/home?region=${region}#${fragment}`;
}

/** The log groups list, filtered by a name prefix (all functions of a stack). */
export function logGroupsConsoleUrl(region: string, prefix: string): string {
  return `${consoleBase(region)}/cloudwatch/home?region=${region}#logsV2:log-groups${cwEscape('?logGroupNameFilter=')}${cwEscape(encodeURIComponent(prefix))}`;
}

/** One CloudWatch alarm's page. */
export function alarmConsoleUrl(region: string, alarmName: string): string {
  return `${consoleBase(region)}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}
